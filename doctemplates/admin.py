from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from doctemplates.models import DocumentTemplate
from doctemplates.services import template_delete


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin[DocumentTemplate]):
    """Every template at a glance. Adding one goes through the templates pages, which check the file's content;
    deleting one here frees its files as the pages do."""

    list_display = ["name", "file_type", "language", "space", "builtin_key", "created_by", "created_at"]
    list_filter = ["file_type", "language"]
    search_fields = ["name"]
    readonly_fields = ["file", "file_type", "size", "sha256", "thumbnail", "builtin_key", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: DocumentTemplate) -> None:
        template_delete(template=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DocumentTemplate]) -> None:
        for template in queryset:
            template_delete(template=template)
