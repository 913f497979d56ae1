"""The connector's Document Server settings, resolved once per field and shared by every process.

Precedence, field by field (see docs/settings.md):

1. a value stored in the database (the admin page or ``manage.py onlyoffice settings``) wins;
2. a field left blank there falls back to its environment variable: ``ONLYOFFICE_URL``,
   ``ONLYOFFICE_INTERNAL_URL``, ``ONLYOFFICE_CONNECTOR_URL``, ``ONLYOFFICE_JWT_SECRET`` (or
   ``ONLYOFFICE_JWT_SECRET_FILE``), ``ONLYOFFICE_JWT_HEADER``, ``ONLYOFFICE_VERIFY_TLS``, read through the
   Django setting of the same name: config/settings.py parses each one when the process starts, by the same
   rules as a stored value (config/validators.py), so a bad variable stops the process instead of a page;
3. then the built-in default (the internal URL defaults to the public one).

The remaining options (forcesave, lossy formats, customization, link lifetimes, size limit) live only in
the database row's ``options`` and otherwise take their defaults.

Why a cache: ``current()`` is called on every editor page, callback and save task. The database row is kept
in Django's cache, which every web and worker process shares (Redis in production, a file cache in
development), for ``CACHE_TTL`` seconds. ``update()`` replaces the cached row, so a change applies to all
processes at once without a restart; the TTL only bounds how long a change made behind our back (a manual
SQL update) can go unseen. The environment belongs to each process: it is read once, when its settings load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypedDict, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from config import validators
from connector import formats
from connector.models import ConnectorSettings

logger = logging.getLogger(__name__)

# The version suffix lets a deployment change what is cached without reading an old shape back.
CACHE_KEY = "connector:settings-row:v1"
CACHE_TTL = 30
SETTINGS_PK = 1

Source = Literal["database", "environment", "default"]

# Fields with an environment fallback: model field -> variable, which is also the name of its parsed setting.
ENV_VARIABLES = {
    "public_url": "ONLYOFFICE_URL",
    "internal_url": "ONLYOFFICE_INTERNAL_URL",
    "connector_url": "ONLYOFFICE_CONNECTOR_URL",
    "jwt_secret": "ONLYOFFICE_JWT_SECRET",
    "jwt_header": "ONLYOFFICE_JWT_HEADER",
    "verify_tls": "ONLYOFFICE_VERIFY_TLS",
}
URL_FIELDS = ("public_url", "internal_url", "connector_url")
DEFAULT_JWT_HEADER = "Authorization"

CUSTOMIZATION_FLAGS = ("chat", "comments", "help", "compactHeader", "feedback", "macros")
REVIEW_DISPLAY_CHOICES = ("markup", "simple", "final", "original")


class Options(TypedDict, total=False):
    """The options column of the settings row: a stored row holds only the options ever saved."""

    forcesave: bool
    lossy_edit: list[str]
    customization: dict[str, object]
    block_download: bool
    download_token_ttl: int
    callback_token_ttl: int
    max_edit_size: int


OPTION_DEFAULTS: Options = {
    "forcesave": False,
    "lossy_edit": [],
    "customization": {},
    "block_download": False,
    "download_token_ttl": 3600,
    "callback_token_ttl": 7 * 24 * 3600,
    "max_edit_size": 100 * 1024 * 1024,
}
# Lower bounds that keep the connector working: the DS needs minutes to fetch a file and may call back
# days after an editor opened a document.
_INT_OPTION_MINIMUM = {"download_token_ttl": 60, "callback_token_ttl": 3600, "max_edit_size": 1}
# Below this a brute-force search of the HMAC key is within reach (RFC 7518 §3.2 asks for the hash size).
MIN_SECRET_LENGTH = 32


def mask_secret(secret: str) -> str:
    """How a secret may be shown: whether it is set and, when long enough to spare them, its last 2 characters."""
    if not secret:
        return _("not set")
    if len(secret) < 12:
        return _("set")
    return _("set (ends …%(tail)s)") % {"tail": secret[-2:]}


@dataclass(frozen=True)
class DocServerConfig:
    """The effective settings. Build it with ``current()``; never log the secret (repr masks it)."""

    public_url: str
    internal_url: str
    connector_url: str
    jwt_secret: str = field(repr=False)
    jwt_header: str = DEFAULT_JWT_HEADER
    verify_tls: bool = True
    forcesave: bool = False
    lossy_edit: frozenset[str] = frozenset()
    customization: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    block_download: bool = False
    download_token_ttl: int = 3600
    callback_token_ttl: int = 7 * 24 * 3600
    max_edit_size: int = 100 * 1024 * 1024

    def __repr__(self) -> str:
        return (
            f"DocServerConfig(public_url={self.public_url!r}, internal_url={self.internal_url!r}, "
            f"connector_url={self.connector_url!r}, jwt_secret={mask_secret(self.jwt_secret)!r}, "
            f"jwt_header={self.jwt_header!r}, verify_tls={self.verify_tls!r}, forcesave={self.forcesave!r}, "
            f"lossy_edit={sorted(self.lossy_edit)!r}, block_download={self.block_download!r})"
        )

    @property
    def configured(self) -> bool:
        return bool(self.public_url)

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_secret)

    def public_origin(self) -> str:
        return url_origin(self.public_url)

    def internal_origin(self) -> str:
        return url_origin(self.internal_url)


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, the default port left out; "" for an empty URL."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    default_port = {"http": 80, "https": 443}.get(scheme)
    port = parts.port
    if port is None or port == default_port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


# --- reading ---------------------------------------------------------------------------------------------


def current() -> DocServerConfig:
    """The effective settings; served from the shared cache (no SQL) when the row is cached."""
    config, _sources = _resolve(_stored_row())
    return config


def viewers_may_download() -> bool:
    """The "Block download" option as the store's download policy (attachments.permissions.can_download)."""
    return not current().block_download


_REQUEST_ATTRIBUTE = "_onlyoffice_config"


def for_request(request: HttpRequest) -> DocServerConfig:
    """``current()``, read once per request: the rows and buttons of one page each need it (one cache GET each)."""
    cached: DocServerConfig | None = getattr(request, _REQUEST_ATTRIBUTE, None)
    if cached is None:
        cached = current()
        setattr(request, _REQUEST_ATTRIBUTE, cached)
    return cached


def sources() -> dict[str, Source]:
    """Where each environment-backed field's effective value comes from: database, environment or default."""
    _config, field_sources = _resolve(_stored_row())
    return field_sources


class StoredRow(TypedDict, total=False):
    """The settings row as plain values ({} when there is none), which is what the cache holds."""

    public_url: str
    internal_url: str
    connector_url: str
    jwt_secret: str
    jwt_header: str
    verify_tls: bool | None
    options: Options


def _stored_row() -> StoredRow:
    try:
        row: StoredRow | None = cache.get(CACHE_KEY)
    except Exception:
        # The cache only saves queries: when it is down, the database still has the answer.
        logger.warning("connector settings: cache unavailable, reading the database", exc_info=True)
        return _row_from_database()
    if row is not None:
        return row
    row = _row_from_database()
    try:
        # add, not set: if update() stored a newer row meanwhile, our possibly older read must not replace it.
        cache.add(CACHE_KEY, row, CACHE_TTL)
    except Exception:
        logger.warning("connector settings: cannot cache the settings row", exc_info=True)
    return row


def _row_from_database() -> StoredRow:
    stored = ConnectorSettings.objects.filter(pk=SETTINGS_PK).first()
    if stored is None:
        return {}
    # The JSON column holds what update() stored there: options that validate() checked.
    options: Options = stored.options or Options()
    return {
        "public_url": stored.public_url,
        "internal_url": stored.internal_url,
        "connector_url": stored.connector_url,
        "jwt_secret": stored.jwt_secret,
        "jwt_header": stored.jwt_header,
        "verify_tls": stored.verify_tls,
        "options": options.copy(),
    }


def _resolve(row: StoredRow) -> tuple[DocServerConfig, dict[str, Source]]:
    field_sources: dict[str, Source] = {}
    public_url, field_sources["public_url"] = _resolve_text("public_url", row.get("public_url") or "")
    internal_url, field_sources["internal_url"] = _resolve_text("internal_url", row.get("internal_url") or "")
    connector_url, field_sources["connector_url"] = _resolve_text("connector_url", row.get("connector_url") or "")
    jwt_secret, field_sources["jwt_secret"] = _resolve_text("jwt_secret", row.get("jwt_secret") or "")
    jwt_header, field_sources["jwt_header"] = _resolve_text("jwt_header", row.get("jwt_header") or "")
    verify_tls, field_sources["verify_tls"] = _resolve_verify_tls(row.get("verify_tls"))
    options = OPTION_DEFAULTS | (row.get("options") or {})
    config = DocServerConfig(
        public_url=public_url,
        internal_url=internal_url or public_url,
        connector_url=connector_url,
        jwt_secret=jwt_secret,
        jwt_header=jwt_header or DEFAULT_JWT_HEADER,
        verify_tls=verify_tls,
        forcesave=bool(options["forcesave"]),
        lossy_edit=frozenset(options["lossy_edit"]),
        customization=MappingProxyType(dict(options["customization"])),
        block_download=bool(options["block_download"]),
        download_token_ttl=int(options["download_token_ttl"]),
        callback_token_ttl=int(options["callback_token_ttl"]),
        max_edit_size=int(options["max_edit_size"]),
    )
    return config, field_sources


def _resolve_text(name: str, stored: str) -> tuple[str, Source]:
    if stored:
        return stored, "database"
    # Already checked and cleaned when the settings loaded: a bad variable never gets this far.
    from_environment: str = getattr(settings, ENV_VARIABLES[name])
    if not from_environment:
        return "", "default"
    return from_environment, "environment"


def _resolve_verify_tls(stored: bool | None) -> tuple[bool, Source]:
    if stored is not None:
        return stored, "database"
    from_environment: bool | None = getattr(settings, ENV_VARIABLES["verify_tls"])
    if from_environment is None:
        return True, "default"
    return from_environment, "environment"


# --- validating ------------------------------------------------------------------------------------------


def validate(**values: object) -> dict[str, object]:
    """Clean the given settings, or raise ``ValidationError`` with a message per field.

    Text fields may be "" (meaning: fall back to the environment); ``verify_tls`` may be None for the same.
    Option fields are the keys of ``OPTION_DEFAULTS``. Returns the cleaned values.
    """
    unknown = set(values) - set(ENV_VARIABLES) - set(OPTION_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown connector settings: {', '.join(sorted(unknown))}")
    cleaned: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            cleaned[name] = _clean_field(name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_field(name: str, value: object) -> object:
    if name in URL_FIELDS:
        return _clean_url(value)
    if name == "jwt_header":
        return _clean_header(value)
    if name == "jwt_secret":
        return _clean_secret(value)
    if name == "verify_tls":
        if value is not None and not isinstance(value, bool):
            raise ValidationError(_("Choose yes, no, or leave it to the environment."))
        return value
    if name in ("forcesave", "block_download"):
        if not isinstance(value, bool):
            raise ValidationError(_("Must be true or false."))
        return value
    if name == "lossy_edit":
        return _clean_lossy_edit(value)
    if name == "customization":
        return _clean_customization(value)
    return _clean_int_option(name, value)


def _clean_url(value: object) -> str:
    return _apply_rule(validators.http_url, str(value or ""))


def _clean_header(value: object) -> str:
    return _apply_rule(validators.header_name, str(value or ""))


def _clean_secret(value: object) -> str:
    text = str(value or "")
    # The column's limit, so only for a stored secret; one from the environment is never stored.
    limit = ConnectorSettings._meta.get_field("jwt_secret").max_length
    if limit is not None and len(text) > limit:
        raise ValidationError(_("The secret is too long (at most 500 characters)."))
    return _apply_rule(validators.jwt_secret, text)


def _apply_rule(rule: Callable[[str], str], text: str) -> str:
    try:
        return rule(text)
    except validators.InvalidValue as exc:
        # The rule's message is an untranslated msgid (the rules also run before translations can load).
        raise ValidationError(_(exc.message)) from exc


def _clean_lossy_edit(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(_("Give a list of file extensions."))
    chosen = {str(item).strip().lower().lstrip(".") for item in value}
    chosen.discard("")
    allowed = formats.lossy_formats()
    unknown = chosen - set(allowed)
    if unknown:
        raise ValidationError(
            _("These formats cannot be edited in place: %(formats)s. Choose from: %(allowed)s.")
            % {"formats": ", ".join(sorted(unknown)), "allowed": ", ".join(allowed)}
        )
    return sorted(chosen)


def _clean_customization(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise ValidationError(_("Customization must be an object."))
    cleaned: dict[str, object] = {}
    for key, item in value.items():
        if key in CUSTOMIZATION_FLAGS:
            if not isinstance(item, bool):
                raise ValidationError(_("Customization “%(key)s” must be true or false.") % {"key": key})
        elif key == "reviewDisplay":
            if item not in REVIEW_DISPLAY_CHOICES:
                raise ValidationError(
                    _("Customization “reviewDisplay” must be one of: %(choices)s.")
                    % {"choices": ", ".join(REVIEW_DISPLAY_CHOICES)}
                )
        else:
            raise ValidationError(_("Unknown customization “%(key)s”.") % {"key": key})
        cleaned[key] = item
    return cleaned


def _clean_int_option(name: str, value: object) -> int:
    minimum = _INT_OPTION_MINIMUM[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Must be a whole number."))
    if value < minimum:
        raise ValidationError(_("Must be at least %(minimum)d.") % {"minimum": minimum})
    return value


# --- writing ---------------------------------------------------------------------------------------------


def update(**changes: object) -> DocServerConfig:
    """Validate and store the given settings (row pk=1), then make every process see them at once.

    Only the given fields change. Raises ``ValidationError`` (nothing stored) when any value is invalid.
    """
    cleaned = validate(**changes)
    option_changes = {name: value for name, value in cleaned.items() if name in OPTION_DEFAULTS}
    with transaction.atomic():
        stored, _created = ConnectorSettings.objects.select_for_update().get_or_create(pk=SETTINGS_PK)
        for name, value in cleaned.items():
            if name not in OPTION_DEFAULTS:
                setattr(stored, name, value)
        stored.options = {**(stored.options or {}), **option_changes}
        stored.save()
        row = _row_from_database()
        # Dropped now, so this process (even inside an outer transaction) reads its own write next; replaced
        # after commit, so other processes never cache a row that was rolled back.
        _cache_delete()
        transaction.on_commit(lambda: _cache_set(row))
    return _resolve(row)[0]


def preview(**changes: object) -> DocServerConfig:
    """The effective settings as ``update(**changes)`` would leave them, without storing anything.

    For checking values before they are stored (the settings page checks first). Raises ``ValidationError``
    as ``update()`` does.
    """
    cleaned = validate(**changes)
    row = _stored_row()
    options = {
        **(row.get("options") or {}),
        **{name: value for name, value in cleaned.items() if name in OPTION_DEFAULTS},
    }
    fields = {name: value for name, value in cleaned.items() if name not in OPTION_DEFAULTS}
    # validate() held each value to its field's rule, so the row keeps the types a stored one has.
    return _resolve(cast(StoredRow, {**row, **fields, "options": options}))[0]


def _cache_delete() -> None:
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        logger.warning("connector settings: cannot drop the cached row; others see the change within %ss", CACHE_TTL)


def _cache_set(row: StoredRow) -> None:
    try:
        cache.set(CACHE_KEY, row, CACHE_TTL)
    except Exception:
        logger.warning("connector settings: cannot cache the new row; others see the change within %ss", CACHE_TTL)
