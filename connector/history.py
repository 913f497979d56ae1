"""Version history inside the editor: the payloads of ``refreshHistory`` and ``setHistoryData`` (protocol §1).

The Document Server caches files by key, so every version gets its own key: the current version the live key
the editor opened with (so history and editing share one cached copy), older versions a key derived from what
they are (attachment, number, content), which is stable across calls and unguessable without SECRET_KEY.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import posixpath
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.filenames import file_type
from attachments.models import Attachment, Version
from attachments.users import User
from connector import formats, jwt_codec, links
from connector.access import Refused
from connector.ds_settings import DocServerConfig
from connector.editor import connector_base
from connector.keys import KEY_LENGTH, editor_name, editor_uid, live_key

CHANGES_PURPOSE = "changes"
_CREATED_FORMAT = "%Y-%m-%d %H:%M:%S"


class HistoryError(Refused):
    """A history request we cannot answer; the message is safe to show."""


def version_key(version: Version) -> str:
    """The document key of a past version: the same on every call, different for every version."""
    message = f"history:{version.attachment_id}:{version.number}:{version.sha256}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    # URL-safe base64 stays inside the key alphabet (0-9 A-Z a-z - _).
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:KEY_LENGTH]


def version_file_type(version: Version, attachment: Attachment) -> str:
    """The version's own extension: a version stored before a change of format keeps its type."""
    # The storage name keeps the title's extension (attachments.storage.storage_name_for); its folder has none.
    extension = file_type(posixpath.basename(version.stored_name))
    if extension and formats.format_for(extension) is not None:
        return extension
    return attachment.file_type


def _versions(attachment: Attachment, numbers: list[int] | None = None) -> list[Version]:
    queryset = Version.objects.filter(attachment=attachment).select_related("created_by", "edit_info")
    if numbers is not None:
        queryset = queryset.filter(number__in=numbers)
    return list(queryset.order_by("number"))


def _created(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime(_CREATED_FORMAT)


def _user(user: User | None, uids: dict[int, str]) -> dict[str, str]:
    if user is None:
        return {"id": "unknown", "name": _("Unknown user")}
    if user.pk not in uids:
        uids[user.pk] = editor_uid(user)
    return {"id": uids[user.pk], "name": editor_name(user)}


def _key_for(version: Version, attachment: Attachment, current_key: str) -> str:
    return current_key if version.number == attachment.current_version else version_key(version)


def history_payload(attachment: Attachment) -> dict[str, object]:
    """The argument of ``refreshHistory``: every version, oldest first, with what the editor saved with it."""
    current_key = live_key(attachment).key
    uids: dict[int, str] = {}
    entries = []
    for version in _versions(attachment):
        entry: dict[str, object] = {
            "version": version.number,
            "key": _key_for(version, attachment, current_key),
            "created": _created(version.created_at),
            "user": _user(version.created_by, uids),
        }
        info = getattr(version, "edit_info", None)
        saved = info.history if info is not None and isinstance(info.history, dict) else None
        if saved and info is not None:
            # The DS hands back {serverVersion, changes} with each save, to be passed on as they are.
            entry["changes"] = saved.get("changes")
            entry["serverVersion"] = saved.get("serverVersion") or info.server_version or None
        entries.append(entry)
    return {"currentVersion": attachment.current_version, "history": entries}


def version_url(request: HttpRequest, *, attachment: Attachment, number: int, user: User, cfg: DocServerConfig) -> str:
    """A signed, expiring link the DS downloads version ``number`` from (the editor's download endpoint)."""
    token = links.make_token("download", a=attachment.pk, v=number, u=user.pk)
    path = reverse("onlyoffice-download", args=[attachment.pk])
    return f"{connector_base(request, cfg)}{path}?{urlencode({'token': token})}"


def changes_url(request: HttpRequest, *, version: Version, user: User, cfg: DocServerConfig) -> str:
    """A signed, expiring link to the changes zip the editor left with ``version``."""
    token = links.make_token(CHANGES_PURPOSE, n=version.pk, u=user.pk)
    path = reverse("onlyoffice-changes", args=[version.pk])
    return f"{connector_base(request, cfg)}{path}?{urlencode({'token': token})}"


def history_data(
    attachment: Attachment, number: int, user: User, request: HttpRequest, *, cfg: DocServerConfig
) -> dict[str, object]:
    """The argument of ``setHistoryData`` for version ``number``, signed when a secret is set.

    Raises HistoryError (404) when the attachment has no such version.
    """
    by_number = {version.number: version for version in _versions(attachment, [number, number - 1])}
    version = by_number.get(number)
    if version is None:
        raise HistoryError(_("This file has no version %(number)s.") % {"number": number}, 404)
    current_key = live_key(attachment).key

    def described(item: Version) -> dict[str, object]:
        return {
            "key": _key_for(item, attachment, current_key),
            "url": version_url(request, attachment=attachment, number=item.number, user=user, cfg=cfg),
            "fileType": version_file_type(item, attachment),
        }

    data: dict[str, object] = {"version": number, **described(version)}
    info = getattr(version, "edit_info", None)
    if info is not None and info.changes_file:
        data["changesUrl"] = changes_url(request, version=version, user=user, cfg=cfg)
    previous = by_number.get(number - 1)
    if previous is not None:
        data["previous"] = described(previous)
    if cfg.jwt_enabled:
        # The DS checks this token before it fetches the (private) URLs above.
        data["token"] = jwt_codec.encode(data, cfg.jwt_secret, expires_in=cfg.download_token_ttl)
    return data
