"""The ONLYOFFICE settings in Django admin: one row, edited through ``connector.config.update()``.

Saving through ``update()`` gives the admin page the same validation and the same immediate, all-process
effect as ``manage.py onlyoffice settings``. The JWT secret is write-only: the page never shows it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connector import config, formats
from connector.models import ConnectorSettings

MODEL_FIELDS = ("public_url", "internal_url", "connector_url", "jwt_header", "verify_tls")
# Below this a brute-force search of the HMAC key is within reach (RFC 7518 §3.2 asks for the hash size).
MIN_SECRET_LENGTH = 32
OPTION_FIELDS = (
    "forcesave",
    "lossy_edit",
    "block_download",
    "download_token_ttl",
    "callback_token_ttl",
    "max_edit_size",
)


class ConnectorSettingsForm(forms.ModelForm):
    # Never rendered back (render_value=False); left empty, the stored secret stays.
    jwt_secret = forms.CharField(
        label=gettext_lazy("JWT secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("The Document Server's secret. Leave empty to keep the stored one."),
    )
    clear_jwt_secret = forms.BooleanField(
        label=gettext_lazy("Clear the stored secret (fall back to ONLYOFFICE_JWT_SECRET)"), required=False
    )
    forcesave = forms.BooleanField(label=gettext_lazy("Save on every click of Save (forcesave)"), required=False)
    lossy_edit = forms.MultipleChoiceField(
        label=gettext_lazy("Formats edited in place despite possible loss"),
        choices=[(name, name) for name in formats.lossy_formats()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    block_download = forms.BooleanField(label=gettext_lazy("Hide download in the editor"), required=False)
    download_token_ttl = forms.IntegerField(label=gettext_lazy("Download link lifetime (seconds)"), min_value=60)
    callback_token_ttl = forms.IntegerField(label=gettext_lazy("Callback link lifetime (seconds)"), min_value=3600)
    max_edit_size = forms.IntegerField(label=gettext_lazy("Largest editable file (bytes)"), min_value=1)
    chat = forms.BooleanField(label=gettext_lazy("Chat"), required=False, initial=True)
    comments = forms.BooleanField(label=gettext_lazy("Comments"), required=False, initial=True)
    help = forms.BooleanField(label=gettext_lazy("Help"), required=False, initial=True)
    compactHeader = forms.BooleanField(label=gettext_lazy("Compact header"), required=False)
    feedback = forms.BooleanField(label=gettext_lazy("Feedback button"), required=False)
    macros = forms.BooleanField(label=gettext_lazy("Macros"), required=False, initial=True)
    reviewDisplay = forms.ChoiceField(
        label=gettext_lazy("Review display"),
        choices=[("", gettext_lazy("editor default"))] + [(name, name) for name in config.REVIEW_DISPLAY_CHOICES],
        required=False,
    )

    class Meta:
        model = ConnectorSettings
        fields = MODEL_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["jwt_secret"] = ""  # write-only: the stored secret never reaches the page
        options = {**config.OPTION_DEFAULTS, **(self.instance.options or {})}
        customization = options["customization"]
        for name in OPTION_FIELDS:
            self.initial.setdefault(name, options[name])
        for name in (*config.CUSTOMIZATION_FLAGS, "reviewDisplay"):
            if name in customization:
                self.initial[name] = customization[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            self.changes = config.validate(**self._changes_from(cleaned))
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
        return cleaned

    def _changes_from(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        changes = {name: cleaned.get(name) for name in (*MODEL_FIELDS, *OPTION_FIELDS) if name in cleaned}
        for name in ("public_url", "internal_url", "connector_url", "jwt_header"):
            changes[name] = changes.get(name) or ""
        customization: dict[str, Any] = {name: bool(cleaned.get(name)) for name in config.CUSTOMIZATION_FLAGS}
        if cleaned.get("reviewDisplay"):
            customization["reviewDisplay"] = cleaned["reviewDisplay"]
        changes["customization"] = customization
        if cleaned.get("clear_jwt_secret"):
            changes["jwt_secret"] = ""
        elif cleaned.get("jwt_secret"):
            changes["jwt_secret"] = cleaned["jwt_secret"]
        return changes


@admin.register(ConnectorSettings)
class ConnectorSettingsAdmin(admin.ModelAdmin):
    form = ConnectorSettingsForm
    readonly_fields = ("secret_status", "updated_at")
    fieldsets = (
        (gettext_lazy("Document Server"), {"fields": ("public_url", "internal_url", "connector_url", "verify_tls")}),
        (
            gettext_lazy("Security"),
            {"fields": ("secret_status", "jwt_secret", "clear_jwt_secret", "jwt_header")},
        ),
        (gettext_lazy("Editing"), {"fields": ("forcesave", "lossy_edit", "block_download", "max_edit_size")}),
        (
            gettext_lazy("Editor interface"),
            {"fields": ("chat", "comments", "help", "compactHeader", "feedback", "macros", "reviewDisplay")},
        ),
        (gettext_lazy("Links"), {"fields": ("download_token_ttl", "callback_token_ttl", "updated_at")}),
    )

    @admin.display(description=gettext_lazy("Stored secret"))
    def secret_status(self, obj: ConnectorSettings) -> str:
        return config.mask_secret(obj.jwt_secret)

    def has_view_permission(self, request: HttpRequest, obj: ConnectorSettings | None = None) -> bool:
        # A read-only admin page would print every model field, the secret included: viewing needs change rights.
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the one row is created on the first visit

    def has_delete_permission(self, request: HttpRequest, obj: ConnectorSettings | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        ConnectorSettings.objects.get_or_create(pk=config.SETTINGS_PK)
        url = reverse("admin:connector_connectorsettings_change", args=[config.SETTINGS_PK])
        return HttpResponseRedirect(url)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            effective = config.current()
            if not effective.configured:
                self.message_user(request, _("No Document Server URL is set: editing is off."), messages.WARNING)
            if not effective.jwt_enabled:
                self.message_user(
                    request,
                    _("No JWT secret is set: anyone who can reach the Document Server can use this connector."),
                    messages.WARNING,
                )
            elif len(effective.jwt_secret) < MIN_SECRET_LENGTH:
                self.message_user(
                    request,
                    _("The JWT secret is short: use a long random secret (32 characters or more) on both sides."),
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: ConnectorSettings, form: Any, change: bool) -> None:
        config.update(**form.changes)
        obj.refresh_from_db()
