"""The connector in Django admin.

The settings have one editor, the project page ``/onlyoffice/settings/`` (connector/views/settings.py), which also
runs the connection check; the admin entry leads there, so there is one form and one set of rules. Save
requests and callback events are listed read-only: they are the audit trail of every save.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from connector.models import CallbackEvent, ConnectorSettings, SaveRequest

M = TypeVar("M", bound=Model)


@admin.register(ConnectorSettings)
class ConnectorSettingsAdmin(admin.ModelAdmin[ConnectorSettings]):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: ConnectorSettings | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConnectorSettings | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConnectorSettings | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("onlyoffice-settings"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("onlyoffice-settings"))


class _ReadOnlyAdmin(admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(SaveRequest)
class SaveRequestAdmin(_ReadOnlyAdmin[SaveRequest]):
    list_display = ("id", "attachment", "callback_status", "state", "attempts", "editor", "created_at", "version")
    list_filter = ("state", "callback_status")
    list_select_related = ("attachment", "editor", "version")
    search_fields = ("attachment__title",)
    date_hierarchy = "created_at"
    # The Document Server's links grant access to the edited file until they expire: never shown.
    exclude = ("url", "changes_url")
    readonly_fields = ("has_url",)

    @admin.display(boolean=True, description=gettext_lazy("File link received"))
    def has_url(self, obj: SaveRequest) -> bool:
        return bool(obj.url)


@admin.register(CallbackEvent)
class CallbackEventAdmin(_ReadOnlyAdmin[CallbackEvent]):
    list_display = ("id", "attachment", "status", "key", "received_at")
    list_filter = ("status",)
    list_select_related = ("attachment",)
    search_fields = ("attachment__title", "key")
    date_hierarchy = "received_at"
