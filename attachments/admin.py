from django.contrib import admin

from attachments.models import Attachment, Membership, Space, Version


class MembershipInline(admin.TabularInline[Membership, Space]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin[Space]):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class VersionInline(admin.TabularInline[Version, Attachment]):
    model = Version
    extra = 0
    can_delete = False
    fields = readonly_fields = ("number", "size", "sha256", "source", "created_by", "created_at", "comment")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ["title", "space", "current_version", "size", "updated_at", "deleted_at"]
    # "Has date": the files in their space's trash (attachments.trash).
    list_filter = ["space", "deleted_at"]
    search_fields = ["title"]
    readonly_fields = ["current_version", "size"]
    inlines = [VersionInline]
