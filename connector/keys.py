"""Document keys and editor identities.

A key is what makes the Document Server treat openings as one co-editing session, and what it caches
the file under. Rules (protocol §2): at most 128 characters of ``0-9 A-Z a-z . _ = -``; the same for
everyone who opens the attachment while its session lives (so it is stored, not computed per request);
unguessable (keyed HMAC over a random nonce); a new one whenever a version is stored by anything but a
forcesave, so the DS never serves a stale copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import TypeGuard

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from attachments.display import user_name
from attachments.models import Attachment, VersionSource
from attachments.users import User
from connector.models import DocumentKey, EditorIdentity

KEY_PATTERN = re.compile(r"^[0-9A-Za-z._=-]{1,128}$")
KEY_LENGTH = 32


def is_valid_key(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(KEY_PATTERN.match(value))


def _new_key(attachment: Attachment) -> str:
    message = f"{attachment.pk}:{attachment.current_version}:{secrets.token_hex(16)}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    # URL-safe base64 uses only A-Z a-z 0-9 - _, all allowed in keys.
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:KEY_LENGTH]


def issued_live_key(attachment: Attachment) -> DocumentKey | None:
    """The attachment's live key if one was issued; never issues one (none: nobody opened the file to edit it)."""
    return DocumentKey.objects.filter(attachment=attachment, retired_at__isnull=True).first()


def live_key(attachment: Attachment) -> DocumentKey:
    """The attachment's live key, issued on first use. Safe under concurrent first openings."""
    existing = issued_live_key(attachment)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return DocumentKey.objects.create(
                attachment=attachment, key=_new_key(attachment), base_version=attachment.current_version
            )
    except IntegrityError:
        # Another request issued it a moment ago (the partial unique constraint allows one live key).
        return DocumentKey.objects.get(attachment=attachment, retired_at__isnull=True)


def live_key_string(attachment: Attachment) -> str:
    """The live key's value; no query when the caller's query read it already (``editor.page_annotations``)."""
    known = getattr(attachment, "live_key_value", None)
    return known if known else live_key(attachment).key


def key_retire(*, attachment_id: int) -> None:
    """Retire the live key: the next opening gets a new one. Editors still on the old key can save."""
    DocumentKey.objects.filter(attachment_id=attachment_id, retired_at__isnull=True).update(retired_at=timezone.now())


def key_retire_on_final_save(*, attachment_id: int, saved_key_id: int) -> None:
    """``key_retire``, and nobody edits the saved key any more: one UPDATE instead of two (a status 2 callback).

    The saved key need not be the live one (a version stored meanwhile retired it): each row gets only its own
    change, so the saved key keeps an earlier ``retired_at`` and a newer live key keeps its editors.

    Raw SQL: the ORM spelling (Case/When/Coalesce) cost more CPU to compile than the two plain UPDATEs it
    replaces (figures: docs/performance.md). The values are bound parameters, prepared by their fields.
    """
    now = DocumentKey._meta.get_field("retired_at").get_db_prep_save(timezone.now(), connection)
    nobody = DocumentKey._meta.get_field("editors").get_db_prep_save([], connection)
    sql = (
        f'UPDATE "{DocumentKey._meta.db_table}" SET "retired_at" = COALESCE("retired_at", %s), '  # noqa: S608
        '"editors" = CASE WHEN "id" = %s THEN %s ELSE "editors" END, '
        '"editors_updated_at" = CASE WHEN "id" = %s THEN %s ELSE "editors_updated_at" END '
        'WHERE "attachment_id" = %s AND ("id" = %s OR "retired_at" IS NULL)'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, saved_key_id, nobody, saved_key_id, now, attachment_id, saved_key_id])


def on_version_stored(*, attachment_id: int, source: str, **_kwargs: object) -> None:
    """A forcesave keeps the key while the session lives (protocol §2); anything else changes it."""
    if source != VersionSource.FORCESAVE:
        key_retire(attachment_id=attachment_id)


def editor_uid(user: User, *, known: str | None = None) -> str:
    """The user's stable, opaque id in the Document Server (``editorConfig.user.id``).

    ``known`` is the id when the caller's query read it already; it is issued on first use otherwise.
    """
    if known:
        return known
    identity = EditorIdentity.objects.filter(user=user).first()
    if identity is not None:
        return identity.uid
    try:
        with transaction.atomic():
            return EditorIdentity.objects.create(user=user, uid=secrets.token_hex(10)).uid
    except IntegrityError:
        return EditorIdentity.objects.get(user=user).uid


def users_for_uids(uids: list[str]) -> dict[str, User]:
    identities = EditorIdentity.objects.filter(uid__in=uids).select_related("user")
    return {identity.uid: identity.user for identity in identities}


def user_id_for_uid(uid: str | None) -> int | None:
    """The id of the user behind an editor id (None for none): callers that store it need not read the user."""
    if not uid:
        return None
    return EditorIdentity.objects.filter(uid=uid).values_list("user_id", flat=True).first()


# The Document Server shows an editor's name in its user list, chat and history, and takes 128 characters of it.
EDITOR_NAME_LENGTH = 128


def editor_name(user: User) -> str:
    """The name the connector gives an editor: to the Document Server (``editorConfig.user.name``, the history, the
    people to mention), and in what it says about their edits (labels, mails), so that both agree."""
    return user_name(user, max_length=EDITOR_NAME_LENGTH)
