"""Thumbnails: a PNG of a version's first page, stored beside the version's file (local or S3).

The store keeps them and hands them out; the connector makes them (connector/thumbnails.py). A version's
``thumbnail_state`` says where it stands: none (never asked for, or not a type that has one), pending (a task is
on it), ready, failed. Pages show a thumbnail only when it is ready, and the file's type icon otherwise.

Deleting a version or a file deletes its thumbnail with its file: ``thumbnail`` is a FileField, and the store's
deletes free every FileField the deleted rows name (``services._delete_with_stored_files``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponseBase, HttpResponseNotModified
from django.urls import reverse

from attachments.models import Attachment, ThumbnailState, Version
from attachments.storage import delete_quietly, store_chunks

logger = logging.getLogger(__name__)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A 400 by 400 first page is some tens of kilobytes; anything far bigger is not what was asked for.
MAX_THUMBNAIL_SIZE = 2 * 1024 * 1024
# A versioned link (?version=N) never changes what it answers; the current one is revalidated every time.
VERSIONED_MAX_AGE = 7 * 24 * 3600


class NotAPng(ValueError):
    """The bytes are not a PNG image (wrong signature, no header chunk, or too large)."""


def is_png(data: bytes) -> bool:
    """The PNG signature, then the IHDR chunk every PNG starts with (13 bytes of header)."""
    return data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR" and len(data) >= 33


def thumbnail_store(*, version_id: int, data: bytes) -> bool:
    """Store ``data`` as the version's thumbnail and mark it ready; False when the version is gone meanwhile.

    Raises ``NotAPng`` (nothing stored) unless ``data`` is a PNG of at most ``MAX_THUMBNAIL_SIZE`` bytes, and
    ``OSError`` when storage fails. Idempotent: storing again replaces the previous picture, which is deleted
    once the new one is committed.
    """
    if len(data) > MAX_THUMBNAIL_SIZE or not is_png(data):
        raise NotAPng(f"not a PNG of at most {MAX_THUMBNAIL_SIZE} bytes ({len(data)} bytes, starting {data[:8]!r})")
    space_id = Version.objects.filter(pk=version_id).values_list("attachment__space_id", flat=True).first()
    if space_id is None:
        return False
    # Under the space's folder like the versions' files, so `onlyoffice cleanup` sees an orphaned one too.
    stored = store_chunks([data], name=f"spaces/{space_id}/thumbnails/{uuid.uuid4().hex}.png")
    try:
        with transaction.atomic():
            previous = Version.objects.select_for_update().filter(pk=version_id).values_list("thumbnail", flat=True)
            old = previous.first()
            updated = Version.objects.filter(pk=version_id).update(
                thumbnail=stored.name, thumbnail_state=ThumbnailState.READY
            )
            if updated and old:
                transaction.on_commit(lambda: delete_quietly(old))
    except BaseException:
        delete_quietly(stored.name)
        raise
    if not updated:
        delete_quietly(stored.name)
    return bool(updated)


def thumbnail_mark(*, version_id: int, state: ThumbnailState, unless: Iterable[ThumbnailState] = ()) -> bool:
    """Set the version's thumbnail state (not its picture); False when the version is gone or in a state of
    ``unless`` (a late failure must not hide a picture made meanwhile)."""
    return bool(
        Version.objects.filter(pk=version_id).exclude(thumbnail_state__in=list(unless)).update(thumbnail_state=state)
    )


# --- reading ---------------------------------------------------------------------------------------------


# Whether a space's files may show thumbnails: a policy the store does not own. The connector's watermarks forbid
# them (a thumbnail is one picture for everyone, and cannot carry each viewer's name); it registers its policy from
# its AppConfig.ready(), so `attachments` never imports `connector`. Any policy can forbid; with none, they show.
ThumbnailPolicy = Callable[[int], bool]
_policies: list[ThumbnailPolicy] = []


def register_thumbnail_policy(policy: ThumbnailPolicy) -> ThumbnailPolicy:
    """Add a policy answering whether a space's files may show thumbnails (usable as a decorator)."""
    if policy not in _policies:
        _policies.append(policy)
    return policy


def thumbnails_shown(space_id: int) -> bool:
    return all(policy(space_id) for policy in _policies)


def ready_thumbnail_urls(attachments: Iterable[Attachment]) -> dict[int, str]:
    """The thumbnail link of each attachment whose current version has one ready, by attachment id: one query.
    None in a space whose policy forbids thumbnails (a watermarked one)."""
    attachments = list(attachments)
    if attachments and not thumbnails_shown(attachments[0].space_id):
        return {}
    by_id = {attachment.pk: attachment for attachment in attachments}
    if not by_id:
        return {}
    ready = Version.objects.filter(
        attachment_id__in=list(by_id),
        number=F("attachment__current_version"),
        thumbnail_state=ThumbnailState.READY,
    ).values_list("attachment_id", "number")
    return {attachment_id: thumbnail_url(attachment_id, number) for attachment_id, number in ready}


def thumbnail_url(attachment_id: int, number: int) -> str:
    """The versioned link pages use: it never changes what it answers, so browsers keep it."""
    return f"{reverse('attachment_thumbnail', args=[attachment_id])}?version={number}"


def thumbnail_etag(version: Version) -> str:
    return f'"{version.attachment_id}-{version.number}-thumb"'


def thumbnail_response(request: HttpRequest, *, version: Version, versioned: bool) -> HttpResponseBase | None:
    """The version's PNG, or None when it has none ready (the caller answers 404).

    ETag names the version: a thumbnail is made once per version. A link naming the version may be kept a week;
    the current one (no ``?version``) is revalidated on every use, and answers 304 while the version stays.
    """
    if version.thumbnail_state != ThumbnailState.READY or not version.thumbnail.name:
        return None
    if not thumbnails_shown(version.attachment.space_id):
        return None
    etag = thumbnail_etag(version)
    cache_control = f"private, max-age={VERSIONED_MAX_AGE}" if versioned else "private, max-age=0, must-revalidate"
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers=headers)
    try:
        handle = default_storage.open(version.thumbnail.name, "rb")
    except OSError:
        # Marked ready but gone from storage (restored from an older backup, say): the type icon is shown instead.
        logger.warning("thumbnail of version %s is missing from storage", version.pk)
        return None
    response = FileResponse(handle, content_type="image/png", headers=headers)
    return response
