"""Thumbnails: the Document Server's conversion service draws a version's first page as a PNG.

The pipeline, in function names: ``on_version_stored`` (the store's signal, inside the version's transaction: the
version becomes pending) → after commit ``thumbnail_enqueue`` → ``tasks.make_thumbnail`` → ``thumbnail_make``:
``POST {internal DS}/converter`` with ``outputtype: png`` and ``thumbnail {aspect, first, width, height}``, signed
like every conversion request; the DS fetches the version from our ``onlyoffice-download`` endpoint with a signed
link, exactly as for a conversion; the result is fetched with ``docserver.open_file``, checked to be a PNG and
stored by ``attachments.thumbnails.thumbnail_store``.

A thumbnail is a nicety: whatever goes wrong marks it failed (the page shows the type icon), is logged without
secrets, and never reaches the save that stored the version. ``manage.py thumbnails`` makes the missing ones.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from attachments.filenames import file_type
from attachments.models import Attachment, Membership, Role, ThumbnailState, Version
from attachments.permissions import can_view, role_on_file
from attachments.thumbnails import MAX_THUMBNAIL_SIZE, NotAPng, thumbnail_mark, thumbnail_store
from attachments.users import User
from connector import docserver, ds_settings, formats, links
from connector.docserver import DocServerError

logger = logging.getLogger(__name__)

# The task (connector/tasks.py), sent by its name: that module imports this one. The name is pinned there.
THUMBNAIL_TASK = "connector.thumbnail"
# The real server reads these four (Common/sources/commondefines.js CThumbnailData): aspect 1 keeps the page's
# proportions inside the box (0 stretches, 2 uses the page's own size); first: true asks for the first page only
# (false makes the result a zip of every page).
THUMBNAIL_SIZE = 400
THUMBNAIL_OPTION: dict[str, object] = {"aspect": 1, "first": True, "width": THUMBNAIL_SIZE, "height": THUMBNAIL_SIZE}


def thumbnail_capable(file_type: str) -> bool:
    """A type the DS opens and can convert to png (formats table): Office documents, PDF, and text it lays out."""
    fmt = formats.format_for(file_type)
    return fmt is not None and fmt.viewable and "png" in fmt.convert


def thumbnails_enabled() -> bool:
    return bool(getattr(settings, "CONNECTOR_THUMBNAILS", True)) and ds_settings.current().configured


# --- starting --------------------------------------------------------------------------------------------


def on_version_stored(*, attachment_id: int, version_id: int, **_kwargs: object) -> None:
    """The store's ``version_stored`` (inside the version's transaction): mark it pending, enqueue after commit.

    Never raises into the save: a thumbnail that cannot even be asked for is simply not made.
    """
    try:
        title = Attachment.objects.filter(pk=attachment_id).values_list("title", flat=True).first()
        if title is None or not thumbnails_enabled() or not thumbnail_capable(file_type(title)):
            return
        Version.objects.filter(pk=version_id).update(thumbnail_state=ThumbnailState.PENDING)
    except Exception:
        logger.exception("thumbnail of version %s: could not be asked for", version_id)
        return
    transaction.on_commit(lambda: thumbnail_enqueue(version_id))


def thumbnail_enqueue(version_id: int) -> None:
    """Send the task; a broker that refuses it (or an inline run that raises) leaves the thumbnail failed."""
    try:
        current_app.tasks[THUMBNAIL_TASK].delay(version_id)
    except Exception:
        logger.exception("thumbnail of version %s: could not be queued or failed inline", version_id)
        thumbnail_mark(version_id=version_id, state=ThumbnailState.FAILED, unless=[ThumbnailState.READY])


# --- making ----------------------------------------------------------------------------------------------


def thumbnail_make(*, version_id: int, key: str, only_current: bool = True) -> str:
    """Make and store one version's thumbnail; return its state afterwards ("" when the version is gone).

    Idempotent: a version whose thumbnail is ready is left alone. With ``only_current`` a version that is no longer
    the current one by the time this runs is skipped (state none; the command makes old versions' thumbnails).
    Permanent failures mark it failed here and return; transient ones (``DocServerError`` with ``transient``,
    storage ``OSError``) are raised for the task to retry, the version staying pending. ``key`` is the DS
    conversion key, the same for every retry so that the DS can answer a repeated request from its cache.
    """
    related = ("attachment__space", "attachment__updated_by", "attachment__created_by", "created_by")
    version = Version.objects.select_related(*related).filter(pk=version_id).first()
    if version is None:
        logger.info("thumbnail of version %s: the version is gone", version_id)
        return ""
    attachment = version.attachment
    if version.thumbnail_state == ThumbnailState.READY:
        return ThumbnailState.READY
    cfg = ds_settings.current()
    base = cfg.connector_url or getattr(settings, "SITE_URL", "")
    skip = _skip_reason(version, only_current=only_current, configured=cfg.configured and bool(base))
    if skip:
        logger.info("thumbnail of version %s skipped: %s", version_id, skip)
        thumbnail_mark(version_id=version_id, state=ThumbnailState.NONE, unless=[ThumbnailState.READY])
        return ThumbnailState.NONE
    reader = _reader(version)
    if reader is None:
        return _failed(version_id, "nobody who may view the file is left to fetch it as")
    try:
        result = docserver.convert(
            url=_source_url(base, version, reader),
            filetype=attachment.file_type,
            outputtype="png",
            key=key,
            title=attachment.title,
            thumbnail=THUMBNAIL_OPTION,
            cfg=cfg,
        )
        if not result.end or not result.file_url:
            raise DocServerError("the conversion has not ended", transient=True)
        with docserver.open_file(result.file_url, max_size=MAX_THUMBNAIL_SIZE, cfg=cfg) as chunks:
            data = b"".join(chunks)
        stored = thumbnail_store(version_id=version_id, data=data)
    except DocServerError as exc:
        if exc.transient:
            raise
        return _failed(version_id, exc.message)
    except NotAPng as exc:
        return _failed(version_id, str(exc))
    return ThumbnailState.READY if stored else ""


def new_key(version_id: int) -> str:
    """A fresh DS conversion key (protocol §2 characters): the DS caches results by key and output type."""
    return f"thumb-{version_id}-{secrets.token_hex(12)}"


def thumbnail_fail(*, version_id: int, reason: str) -> None:
    """Mark it failed for good (the task's retries are spent), unless a picture was made meanwhile."""
    _failed(version_id, reason)


def _failed(version_id: int, reason: str) -> str:
    # The reason names no secret: DocServerError messages never carry a token or a link.
    logger.warning("thumbnail of version %s failed: %s", version_id, reason[:300])
    thumbnail_mark(version_id=version_id, state=ThumbnailState.FAILED, unless=[ThumbnailState.READY])
    return ThumbnailState.FAILED


def _skip_reason(version: Version, *, only_current: bool, configured: bool) -> str:
    attachment = version.attachment
    if not configured:
        return "the Document Server or the connector URL is not configured"
    if attachment.deleted_at is not None:
        return "the file is in the trash"
    if only_current and version.number != attachment.current_version:
        return "a newer version was stored meanwhile"
    if not thumbnail_capable(attachment.file_type):
        return f"the Document Server draws no {attachment.file_type or 'extensionless'} file"
    return ""


def _reader(version: Version) -> User | None:
    """Whom the DS's download link names: our download endpoint serves only people who may view the file.

    The version's author or the file's last editor while they still may; else one of the space's admins.
    """
    attachment = version.attachment
    candidates = [version.created_by, attachment.updated_by, attachment.created_by]
    admins = Membership.objects.filter(space=attachment.space, role=Role.ADMIN, user__is_active=True)
    candidates += [membership.user for membership in admins.select_related("user").order_by("pk")[:3]]
    for user in candidates:
        if user is not None and user.is_active and can_view(role_on_file(user, attachment)):
            return user
    return None


def _source_url(base: str, version: Version, reader: User) -> str:
    """The version on our download endpoint, signed like the editor's ``document.url``."""
    token = links.make_token("download", a=version.attachment_id, v=version.number, u=reader.pk)
    path = reverse("onlyoffice-download", args=[version.attachment_id])
    return f"{base.rstrip('/')}{path}?{urlencode({'token': token})}"
