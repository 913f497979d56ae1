"""Rules for setting values that may come from the environment or from the database.

The ONLYOFFICE settings take each value from the connector's settings page (or ``manage.py onlyoffice
settings``) and, for a field left blank there, from its ``ONLYOFFICE_*`` variable. Both go through the rules
here: ``config/settings.py`` applies them while it loads (through ``config.env.env_checked``), and
``connector/ds_settings.py`` before it stores a value.

Settings load before Django's translations can, so a rule cannot translate: its message is an English msgid
(marked with ``gettext_noop``) that the settings page translates and start-up prints as it is.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop

# RFC 9110 "token": the characters allowed in an HTTP header name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class InvalidValue(ValueError):
    """A value a rule refuses; ``message`` is an untranslated msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def http_url(value: str) -> str:
    """An http(s) URL without credentials, query or fragment, its trailing slash dropped; "" for a blank value."""
    text = value.strip()
    if not text:
        return ""
    if any(char.isspace() or ord(char) < 32 for char in text) or "\\" in text:
        raise InvalidValue(gettext_noop("The URL must not contain spaces, control characters or backslashes."))
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidValue(gettext_noop("Enter a URL that starts with http:// or https://."))
    if not parts.hostname:
        raise InvalidValue(gettext_noop("The URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise InvalidValue(gettext_noop("The URL must not contain a user name or password."))
    try:
        parts.port  # noqa: B018 -- reading it validates the port
    except ValueError as exc:
        raise InvalidValue(gettext_noop("The URL's port is not a number between 0 and 65535.")) from exc
    if parts.query or "?" in text:
        raise InvalidValue(gettext_noop("The URL must not contain a query (the part after “?”)."))
    if parts.fragment or "#" in text:
        raise InvalidValue(gettext_noop("The URL must not contain a fragment (the part after “#”)."))
    return text.rstrip("/")


def header_name(value: str) -> str:
    """An HTTP header name, surrounding spaces dropped; "" for a blank value."""
    text = value.strip()
    if text and not _HEADER_NAME.match(text):
        raise InvalidValue(
            gettext_noop("A header name may contain only letters, digits and !#$%&'*+-.^_`|~, and no spaces or colons.")
        )
    return text


def jwt_secret(value: str) -> str:
    """A JWT secret exactly as given; "" means none."""
    if value != value.strip():
        # A pasted secret with a trailing newline never matches the Document Server's, and nothing says why.
        raise InvalidValue(gettext_noop("The secret must not start or end with spaces or line breaks."))
    return value
