from django.contrib import admin

from attachments.models import Attachment, Membership, Space, Version


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class VersionInline(admin.TabularInline):
    model = Version
    extra = 0
    can_delete = False
    fields = ["number", "size", "sha256", "source", "created_by", "created_at", "comment"]
    readonly_fields = fields


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["title", "space", "current_version", "size", "updated_at", "deleted_at"]
    # "Has date": the files in their space's trash (attachments.trash).
    list_filter = ["space", "deleted_at"]
    search_fields = ["title"]
    readonly_fields = ["current_version", "size"]
    inlines = [VersionInline]
