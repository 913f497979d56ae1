"""The links "Open in desktop app" hands to Word, Excel, PowerPoint and LibreOffice.

A link is ``/dav/<token>/<file name>``: the desktop apps send no cookie and should show no password prompt, so
the path itself authenticates. The token is signed with the site's secret (Django's signing, with a salt of its
own) and carries the user, the file, the access (edit or view) and the version shown when it was made. It opens
the file for DESKTOP_LINK_SECONDS; after that it works only while a lock taken through it is held (desktop.locks),
so an app that keeps the file open for a day can still save, and a link copied out of a history cannot. Every
request also checks the user as they are now (desktop.dav_access): deactivated, removed from the space or
demoted, the link stops working or turns read-only at once. A fresh link comes with every click.

No ``:`` in the token: Windows maps WebDAV paths to file names, where a colon is not allowed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from attachments.models import Attachment
from attachments.users import User

Access = Literal["edit", "view"]

_SALT = "desktop.dav-link"
_SEP = "."

# The Office URI scheme of each type Word, Excel and PowerPoint edit (Microsoft's "Office URI Schemes").
_OFFICE_SCHEMES: dict[str, str] = {
    **dict.fromkeys(("doc", "docx", "docm", "dot", "dotx", "dotm", "odt", "rtf"), "ms-word"),
    **dict.fromkeys(("xls", "xlsx", "xlsm", "xlsb", "xlt", "xltx", "xltm", "ods"), "ms-excel"),
    **dict.fromkeys(("ppt", "pptx", "pptm", "pot", "potx", "potm", "pps", "ppsx", "ppsm", "odp"), "ms-powerpoint"),
}
# LibreOffice opens all of those, and its own formats' templates.
_LIBREOFFICE_TYPES = frozenset(_OFFICE_SCHEMES) | {"ott", "ots", "otp", "csv"}


class BadLink(Exception):
    """The token is not one of ours, or was altered."""


@dataclass(frozen=True)
class Link:
    user_id: int
    attachment_id: int
    access: Access
    version: int
    issued_at: int
    # The sha256 of the token: what a lock remembers of the link it was taken through (never the token itself).
    digest: str


def make_token(*, user: User, attachment: Attachment, access: Access) -> str:
    # The nonce makes every click's link its own, even two in one second: a lock remembers the link it came through.
    payload = {
        "u": user.pk,
        "a": attachment.pk,
        "m": access[0],
        "v": attachment.current_version,
        "n": secrets.token_urlsafe(6),
    }
    return signing.TimestampSigner(salt=_SALT, sep=_SEP).sign_object(payload)


def read_token(token: str) -> Link:
    """The link's claims, checked only for its signature: desktop.dav_access decides whether it still works."""
    signer = signing.TimestampSigner(salt=_SALT, sep=_SEP)
    try:
        payload = signer.unsign_object(token)
        _value, timestamp, _signature = token.rsplit(_SEP, 2)
        issued_at = signing.b62_decode(timestamp)
        link = Link(
            user_id=int(payload["u"]),
            attachment_id=int(payload["a"]),
            access="edit" if payload["m"] == "e" else "view",
            version=int(payload["v"]),
            issued_at=issued_at,
            digest=digest(token),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadLink from exc
    return link


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fresh(link: Link, *, seconds: int) -> bool:
    return time.time() - link.issued_at <= seconds


def dav_url(request: HttpRequest, *, user: User, attachment: Attachment, access: Access) -> str:
    """The WebDAV URL of the file for this user: absolute, ending with the file's own name (the apps take the
    document's name, and Word its type, from it)."""
    token = make_token(user=user, attachment=attachment, access=access)
    path = reverse("dav", args=[f"{token}/{attachment.title}"])  # reverse() percent-encodes the name
    return request.build_absolute_uri(path)


def office_scheme(file_type: str) -> str | None:
    """ "ms-word", "ms-excel" or "ms-powerpoint" for the types those apps edit; None for the others."""
    return _OFFICE_SCHEMES.get(file_type)


def libreoffice_opens(file_type: str) -> bool:
    return file_type in _LIBREOFFICE_TYPES


def app_uri(app: Literal["office", "libreoffice"], *, file_type: str, url: str, access: Access) -> str | None:
    """The URI that starts the desktop app on the file: ``ms-word:ofe|u|<url>`` (``ofv`` to view) or
    ``vnd.libreoffice.command:ofe|u|<url>``; None when that app does not open this type."""
    command = "ofe" if access == "edit" else "ofv"
    if app == "office":
        scheme = office_scheme(file_type)
        return f"{scheme}:{command}|u|{url}" if scheme else None
    return f"vnd.libreoffice.command:{command}|u|{url}" if libreoffice_opens(file_type) else None
