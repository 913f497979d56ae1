"""How the store's pages write what they show: a size, a moment, a person.

Plain functions of the active language, used by the attachment list's rows and their JSON (attachments/listing.py),
the upload limit's message (attachments/uploads.py), the connector's labels and mails, and, as Jinja2 globals and
filters, by every template (config/jinja2.py imports them from here: the store depends on no later module).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.utils import formats, timezone, translation
from django.utils.translation import gettext_noop

from attachments.users import GUEST_PREFIX

# Binary multiples, and named so (KiB, MiB): the number is what the label says, and the upload limit of 104857600
# bytes reads as the round 100 MiB it is. Each unit is a whole message, so that a language may write its own
# symbol and spacing (French "Mio").
_SIZE_UNITS: tuple[tuple[int, str], ...] = (
    (1, gettext_noop("%(size)s B")),
    (1024, gettext_noop("%(size)s KiB")),
    (1024**2, gettext_noop("%(size)s MiB")),
    (1024**3, gettext_noop("%(size)s GiB")),
    (1024**4, gettext_noop("%(size)s TiB")),
)


def filesize(num_bytes: int | None) -> str:
    """A size as every page, and the live list's JSON, writes it: "1.5 MiB", "100 MiB", "512 B"; at most one
    decimal, in the language's number format ("1,5 MiB" in German). upload.js applies the same scale
    (``filesize_scale``) to files not uploaded yet."""
    if num_bytes is None:
        return ""
    factor, message = next((unit for unit in reversed(_SIZE_UNITS) if num_bytes >= unit[0]), _SIZE_UNITS[0])
    value = round(num_bytes / factor, 1)
    # One decimal says more than a trailing ".0" does; bytes are whole.
    decimals = 0 if factor == 1 or value.is_integer() else 1
    return translation.gettext(message) % {"size": formats.number_format(value, decimal_pos=decimals)}


def filesize_scale() -> list[tuple[int, str]]:
    """The units of ``filesize`` in the active language, for upload.js (data-size-units): factor, message."""
    return [(factor, translation.gettext(message)) for factor, message in _SIZE_UNITS]


class Person(Protocol):
    """A user account as ``user_name`` reads it (Django's User), or a test's stand-in for one."""

    def get_full_name(self) -> str: ...
    def get_username(self) -> str: ...


def user_name(user: Person | None, *, max_length: int | None = None) -> str:
    """How a person is named, on every page and in what the connector tells the Document Server and mails: the
    full name, else the username; "Deleted user" for none, since files outlive the accounts that changed them.

    ``max_length`` cuts the name (the connector passes the Document Server's limit, ``connector.keys.editor_name``).
    """
    if not user:  # None (the account was deleted) or, in a template, undefined
        return translation.gettext("Deleted user")
    name = user.get_full_name() or user.get_username() or ""
    if user.get_username().startswith(GUEST_PREFIX):
        # A guest names themselves: the mark keeps "Alice (guest)" from passing for Alice the member.
        name = translation.gettext("%(name)s (guest)") % {"name": user.get_full_name() or translation.gettext("Guest")}
    return name[:max_length] if max_length is not None else name


def datetime_format(value: datetime | None) -> str:
    """A moment as every page writes it (the ``datetime`` filter, the list rows and their JSON): the language's
    short date and time, "12/05/2026 6:01 a.m." in English, "05.12.2026 06:01" in German, in the site's time zone.
    One format everywhere; the short one, since most dates stand in table columns."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
