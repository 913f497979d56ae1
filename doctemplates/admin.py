from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from attachments.users import User
from doctemplates.models import DismissedBuiltin, DocumentTemplate
from doctemplates.services import template_delete


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin[DocumentTemplate]):
    """Every template at a glance. Adding one goes through the templates pages, which check the file's content;
    deleting one here frees its files as the pages do (and a shipped one stays deleted, as there)."""

    list_display = ["name", "file_type", "language", "space", "builtin_key", "created_by", "created_at"]
    list_filter = ["file_type", "language"]
    search_fields = ["name"]
    readonly_fields = ["file", "file_type", "size", "sha256", "thumbnail", "builtin_key", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: DocumentTemplate) -> None:
        template_delete(template=obj, deleted_by=_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DocumentTemplate]) -> None:
        for template in queryset:
            template_delete(template=template, deleted_by=_user(request))


@admin.register(DismissedBuiltin)
class DismissedBuiltinAdmin(admin.ModelAdmin[DismissedBuiltin]):
    """The shipped templates someone deleted. Deleting an entry here lets the next `doctemplates install` add the
    template again."""

    list_display = ["key", "dismissed_by", "dismissed_at"]
    readonly_fields = ["key", "dismissed_by", "dismissed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DismissedBuiltin | None = None) -> bool:
        return False
