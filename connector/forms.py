"""The form of the ONLYOFFICE settings page: a view of ``connector.ds_settings``, which validates and stores.

The form only converts between what a person types and what ``ds_settings.update()`` takes (MB ↔ bytes,
three-state TLS, checkboxes ↔ the customization object) and turns the config's ``ValidationError`` into
messages beside the fields. Text inputs show what is stored in the database, so that saving an untouched
page never copies an environment value into the database; the effective value and its source are in the
help text. Only fields the person changed are sent, so a change made elsewhere meanwhile is not undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise

from connector import ds_settings, formats
from connector.ds_settings import DocServerConfig, Source

MIB = 1024 * 1024
# Form field → customization key of the editor config.
CUSTOMIZATION_FIELDS = {
    "chat": "chat",
    "comments": "comments",
    "help": "help",
    "compact_header": "compactHeader",
    "feedback": "feedback",
    "macros": "macros",
}
# What ONLYOFFICE does when a key is absent, so an untouched checkbox shows the editor's real behaviour.
CUSTOMIZATION_DEFAULTS = {
    "chat": True,
    "comments": True,
    "help": True,
    "compactHeader": False,
    "feedback": False,
    "macros": True,
}
# A config option whose form field has another name (None: not one field, shown at the top).
FIELD_FOR_OPTION: dict[str, str | None] = {"max_edit_size": "max_edit_size_mb", "customization": None}
VERIFY_TLS_FROM_ENV, VERIFY_TLS_YES, VERIFY_TLS_NO = "env", "yes", "no"
# What the choice stores; the environment's choice stores None (leave it to ONLYOFFICE_VERIFY_TLS).
_VERIFY_TLS_VALUES: dict[object, bool] = {VERIFY_TLS_YES: True, VERIFY_TLS_NO: False}
# What the built-in default of each environment-backed field means, for the help text.
DEFAULT_MEANING = {
    "public_url": gettext_lazy("not set, so editing is off"),
    "internal_url": gettext_lazy("the public URL"),
    "connector_url": gettext_lazy("the address of each request"),
    "jwt_secret": gettext_lazy("not set, so JWT is off"),
    "jwt_header": ds_settings.DEFAULT_JWT_HEADER,
    "verify_tls": gettext_lazy("on"),
}
FIELD_PURPOSE = {
    "public_url": gettext_lazy("The address users' browsers load the editor from."),
    "internal_url": gettext_lazy("The address this server uses for downloads, commands and conversions."),
    "connector_url": gettext_lazy("This application's address as the Document Server reaches it."),
    "jwt_secret": gettext_lazy("The Document Server's JWT_SECRET. It is never shown; leave empty to keep it."),
    "jwt_header": gettext_lazy("The Document Server's JWT_HEADER."),
    "verify_tls": gettext_lazy("Check the Document Server's certificate on every request this server makes."),
}


def _duration(seconds: int) -> str:
    """1 hour, 7 days, 90 seconds: the largest unit that divides exactly, so nothing is rounded away."""
    # Each unit spelt out: the extractor only finds ngettext calls with literal strings.
    if seconds and seconds % 86400 == 0:
        return ngettext("%(count)d day", "%(count)d days", seconds // 86400) % {"count": seconds // 86400}
    if seconds and seconds % 3600 == 0:
        return ngettext("%(count)d hour", "%(count)d hours", seconds // 3600) % {"count": seconds // 3600}
    if seconds and seconds % 60 == 0:
        return ngettext("%(count)d minute", "%(count)d minutes", seconds // 60) % {"count": seconds // 60}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


def _megabytes(num_bytes: int) -> Decimal:
    value = (Decimal(num_bytes) / MIB).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # normalize() would write 100 as 1E+2: whole numbers take the integral form instead.
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()


def initial_values(cfg: DocServerConfig, sources: Mapping[str, Source]) -> dict[str, object]:
    """The form's starting values: stored values for environment-backed fields, effective ones for options."""
    stored = {name: getattr(cfg, name) if sources[name] == "database" else "" for name in ds_settings.URL_FIELDS}
    stored["jwt_header"] = cfg.jwt_header if sources["jwt_header"] == "database" else ""
    if sources["verify_tls"] == "database":
        stored["verify_tls"] = VERIFY_TLS_YES if cfg.verify_tls else VERIFY_TLS_NO
    else:
        stored["verify_tls"] = VERIFY_TLS_FROM_ENV
    customization = dict(cfg.customization)
    flags = {name: customization.get(key, CUSTOMIZATION_DEFAULTS[key]) for name, key in CUSTOMIZATION_FIELDS.items()}
    return {
        **stored,
        "jwt_secret": "",  # write-only: the stored secret never reaches the page
        "forcesave": cfg.forcesave,
        "lossy_edit": sorted(cfg.lossy_edit),
        **flags,
        "review_display": customization.get("reviewDisplay", ""),
        "block_download": cfg.block_download,
        "download_token_ttl": cfg.download_token_ttl,
        "callback_token_ttl": cfg.callback_token_ttl,
        "max_edit_size_mb": _megabytes(cfg.max_edit_size),
    }


class SettingsForm(forms.Form):
    public_url = forms.CharField(label=gettext_lazy("Document Server URL (public)"), required=False, max_length=500)
    internal_url = forms.CharField(label=gettext_lazy("Document Server URL (internal)"), required=False, max_length=500)
    connector_url = forms.CharField(label=gettext_lazy("Connector URL"), required=False, max_length=500)
    # strip=False: config refuses surrounding spaces with a message instead of silently storing something else.
    jwt_secret = forms.CharField(
        label=gettext_lazy("JWT secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_jwt_secret = forms.BooleanField(
        label=gettext_lazy("Clear the secret stored here"),
        required=False,
        help_text=gettext_lazy("ONLYOFFICE_JWT_SECRET then applies, if it is set."),
    )
    jwt_header = forms.CharField(label=gettext_lazy("JWT header"), required=False, max_length=100)
    verify_tls = forms.ChoiceField(
        label=gettext_lazy("Verify TLS certificates"),
        widget=forms.RadioSelect,
        choices=[
            (VERIFY_TLS_FROM_ENV, gettext_lazy("Use the environment (ONLYOFFICE_VERIFY_TLS), else on")),
            (VERIFY_TLS_YES, gettext_lazy("Yes")),
            (VERIFY_TLS_NO, gettext_lazy("No (only for a test server with a self-signed certificate)")),
        ],
    )
    forcesave = forms.BooleanField(
        label=gettext_lazy("Store a version each time an editor clicks Save (forcesave)"),
        required=False,
        help_text=gettext_lazy("Otherwise a version is stored when the last editor closes the document."),
    )
    lossy_edit = forms.MultipleChoiceField(
        label=gettext_lazy("Formats edited in place despite possible loss"),
        choices=[(name, name) for name in formats.lossy_formats()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Saving in these formats may drop what they cannot hold (tracked changes, macros, styles). "
            "Unchecked ones open read-only. OOXML files (docx, xlsx, pptx) are always editable."
        ),
    )
    chat = forms.BooleanField(label=gettext_lazy("Chat"), required=False)
    comments = forms.BooleanField(label=gettext_lazy("Comments"), required=False)
    help = forms.BooleanField(label=gettext_lazy("Help menu"), required=False)
    compact_header = forms.BooleanField(label=gettext_lazy("Compact header"), required=False)
    feedback = forms.BooleanField(label=gettext_lazy("Feedback & Support button"), required=False)
    macros = forms.BooleanField(label=gettext_lazy("Run document macros"), required=False)
    review_display = forms.ChoiceField(
        label=gettext_lazy("Review display"),
        required=False,
        choices=[
            ("", gettext_lazy("Editor default")),
            ("markup", gettext_lazy("Markup: changes highlighted")),
            ("simple", gettext_lazy("Simple: changes highlighted, no balloons")),
            ("final", gettext_lazy("Final: changes applied")),
            ("original", gettext_lazy("Original: changes hidden")),
        ],
        help_text=gettext_lazy("How tracked changes are shown when a document opens."),
    )
    block_download = forms.BooleanField(
        label=gettext_lazy("Block download for viewers"),
        required=False,
        help_text=gettext_lazy(
            "Viewers can open files but get no copy by any path: not from the file page, the API, the editor "
            "(download, print, copy, Save copy as), Download as or older versions. Editors and admins keep "
            "download. Set a JWT secret too: without one, the links the Document Server fetches files from work "
            "for anyone who has them."
        ),
    )
    download_token_ttl = forms.IntegerField(label=gettext_lazy("Download link lifetime (seconds)"))
    callback_token_ttl = forms.IntegerField(label=gettext_lazy("Save link lifetime (seconds)"))
    max_edit_size_mb = forms.DecimalField(
        label=gettext_lazy("Largest file opened for editing (MB)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("Larger files open read-only. The default is 100 MB."),
    )

    def __init__(
        self, data: Mapping[str, object] | None = None, *, cfg: DocServerConfig, sources: Mapping[str, Source]
    ):
        super().__init__(data, initial=initial_values(cfg, sources))
        self.changes: dict[str, object] = {}
        for name in ds_settings.ENV_VARIABLES:
            self.fields[name].help_text = _source_help(name, cfg, sources[name])
        self.fields["download_token_ttl"].help_text = _ttl_help(
            gettext_lazy("How long the link the Document Server downloads a file from stays valid."),
            cfg.download_token_ttl,
        )
        self.fields["callback_token_ttl"].help_text = _ttl_help(
            gettext_lazy("How long the Document Server may report saves after an editor opened a document."),
            cfg.callback_token_ttl,
        )

    def clean(self) -> dict[str, object]:
        super().clean()
        cleaned: dict[str, object] = self.cleaned_data
        if cleaned.get("clear_jwt_secret") and cleaned.get("jwt_secret"):
            self.add_error("jwt_secret", _("Either enter a new secret or clear the stored one, not both."))
        self.changes = self._changes(cleaned)
        return cleaned

    def _changes(self, cleaned: Mapping[str, object]) -> dict[str, object]:
        """What ``ds_settings.update()`` should store: the changed fields only, in the config's units."""
        changed = set(self.changed_data)
        changes: dict[str, object] = {}
        simple = (*ds_settings.URL_FIELDS, "jwt_header", "forcesave", "lossy_edit", "block_download")
        for name in (*simple, "download_token_ttl", "callback_token_ttl"):
            if name in changed and name in cleaned:
                changes[name] = cleaned[name]
        if "verify_tls" in changed and "verify_tls" in cleaned:
            changes["verify_tls"] = _VERIFY_TLS_VALUES.get(cleaned["verify_tls"])
        size_mb = cleaned.get("max_edit_size_mb")
        if "max_edit_size_mb" in changed and isinstance(size_mb, Decimal):
            changes["max_edit_size"] = int(size_mb * MIB)
        if cleaned.get("clear_jwt_secret"):
            changes["jwt_secret"] = ""
        elif cleaned.get("jwt_secret"):
            changes["jwt_secret"] = cleaned["jwt_secret"]
        if changed & {*CUSTOMIZATION_FIELDS, "review_display"}:
            changes["customization"] = self._customization(cleaned)
        return changes

    def _customization(self, cleaned: Mapping[str, object]) -> dict[str, object]:
        # Every flag is written out, so the stored object says exactly what the page showed.
        custom: dict[str, object] = {key: bool(cleaned.get(name)) for name, key in CUSTOMIZATION_FIELDS.items()}
        if cleaned.get("review_display"):
            custom["reviewDisplay"] = cleaned["review_display"]
        return custom

    def add_config_errors(self, error: ValidationError) -> None:
        """Put the messages of ``ds_settings.validate``/``update`` beside the fields they are about."""
        for option, messages in error.message_dict.items():
            name = FIELD_FOR_OPTION.get(option, option)
            self.add_error(name if name in self.fields else None, messages)


def _source_help(name: str, cfg: DocServerConfig, source: Source) -> str:
    variable = ds_settings.ENV_VARIABLES[name]
    parts = [str(FIELD_PURPOSE[name])]
    if name not in ("jwt_secret", "verify_tls"):
        # The secret is cleared with its checkbox; TLS has its own "use the environment" choice.
        parts.append(_("Leave empty to use %(variable)s, then the default.") % {"variable": variable})
    if source == "default":
        parts.append(_("In effect: the default (%(default)s).") % {"default": DEFAULT_MEANING[name]})
    elif source == "environment":
        parts.append(
            _("In effect: %(value)s, from the environment (%(variable)s).")
            % {"value": _effective_text(name, cfg), "variable": variable}
        )
    else:
        parts.append(_("In effect: %(value)s, stored on this page.") % {"value": _effective_text(name, cfg)})
    return " ".join(parts)


def _effective_text(name: str, cfg: DocServerConfig) -> str:
    if name == "jwt_secret":
        return ds_settings.mask_secret(cfg.jwt_secret)
    if name == "verify_tls":
        return _("on") if cfg.verify_tls else _("off")
    return str(getattr(cfg, name))


def _ttl_help(purpose: StrOrPromise, seconds: int) -> str:
    return _("%(purpose)s Now: %(duration)s.") % {"purpose": purpose, "duration": _duration(seconds)}
