"""Conversions: "Convert to OOXML" (the result becomes a new attachment) and "Download as" (a file for the user).

The pipeline, in function names: ``views/conversion.py:convert_page`` (permissions) → ``conversion_start`` (the
job row; enqueued after commit by ``conversion_enqueue``) → ``tasks.convert_document`` → ``conversion_run``: claim
the job (pending → running), ask ``{internal DS}/converter`` asynchronously and poll with the same key, updating
``percent``, fetch the result with ``docserver.open_file``, check that it is of the type asked for
(``converted.verified_chunks``) and store it all-or-nothing.

The DS downloads the source from our ``onlyoffice-download`` endpoint with a signed link token, exactly like the
editor does, so the DS's JWT is checked there too.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.filenames import with_extension
from attachments.models import Attachment, Role, VersionSource
from attachments.permissions import can_download, can_edit, can_view, role_in_space
from attachments.services import attachment_create, attachment_delete
from attachments.storage import FileTooLarge, delete_quietly, store_chunks
from attachments.users import User
from connector import docserver, ds_settings, formats, links
from connector.converted import verified_chunks
from connector.docserver import CONVERSION_ERRORS, DocServerError
from connector.models import ConversionJob

logger = logging.getLogger(__name__)

# Current servers answer 0 until the file is ready (protocol §10): poll soon for small files, then back off.
POLL_FIRST = 0.2
POLL_MAX = 2.0
# Within Celery's soft time limit (600 s), leaving time to fetch and store the result.
CONVERSION_DEADLINE = 300
# A job repeated while the same one is under way joins it; an older one is presumed lost (a worker died).
REUSE_WINDOW = timedelta(minutes=15)
DOWNLOAD_FILE_LIFETIME = timedelta(days=1)
STORAGE_PREFIX = "conversions"

Kind = ConversionJob.Kind
State = ConversionJob.State


@dataclass(frozen=True)
class ConversionChoices:
    """What a user may do with a file: the OOXML target offered ("" for none) and the "Download as" formats."""

    ooxml: str
    download: list[str]

    @property
    def any(self) -> bool:
        return bool(self.ooxml or self.download)


def conversion_choices(
    attachment: Attachment, role: Role | None, *, may_download: bool | None = None
) -> ConversionChoices:
    """Convert to OOXML for editors on auto-convert formats; "Download as" for whoever may download the file.

    ``may_download``: ``can_download(role)`` when the caller has it already (a page of rows asks once).
    """
    if not can_view(role):
        return ConversionChoices(ooxml="", download=[])
    target = formats.ooxml_target(attachment.file_type) if can_edit(role) else None
    if may_download is None:
        may_download = can_download(role)
    download = formats.conversion_targets(attachment.file_type) if may_download else []
    return ConversionChoices(ooxml=target or "", download=download)


# --- starting --------------------------------------------------------------------------------------------

# The conversion task (connector/tasks.py), sent by its name: that module imports this one. The name is pinned there.
CONVERSION_TASK = "connector.tasks.convert_document"


def conversion_enqueue(job_id: int) -> None:
    """Send the conversion task for the job (``conversion_start`` calls it once the job is committed)."""
    current_app.tasks[CONVERSION_TASK].delay(job_id)


def conversion_start(
    *,
    attachment: Attachment,
    user: User,
    kind: str,
    output_type: str,
    connector_base: str,
    enqueue: Callable[[int], None],
) -> ConversionJob:
    """A job converting the attachment's current version, enqueued once committed. The caller checks permissions.

    Idempotent for a double click: the same conversion still under way for the same user is returned instead.
    """
    recent = timezone.now() - REUSE_WINDOW
    existing = (
        ConversionJob.objects.filter(
            attachment=attachment,
            requested_by=user,
            state__in=[State.PENDING, State.RUNNING],
            kind=kind,
            output_type=output_type,
            version_number=attachment.current_version,
            created_at__gte=recent,
        )
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    with transaction.atomic():
        job = ConversionJob.objects.create(
            attachment=attachment,
            version_number=attachment.current_version,
            source_title=attachment.title,
            input_type=attachment.file_type,
            requested_by=user,
            kind=Kind(kind),
            output_type=output_type,
            key=f"conv-{secrets.token_hex(16)}",
            connector_base=connector_base,
        )
        transaction.on_commit(lambda: _enqueue(enqueue, job.pk))
    return job


def _enqueue(enqueue: Callable[[int], None], job_id: int) -> None:
    try:
        enqueue(job_id)
    except Exception:
        # The broker did not take it: say so now rather than leave the user watching a bar that never moves.
        logger.exception("conversion %s could not be enqueued", job_id)
        ConversionJob.objects.filter(pk=job_id, state=State.PENDING).update(
            state=State.FAILED,
            error_message=_("The conversion could not be queued; try again in a moment."),
            finished_at=timezone.now(),
        )


# --- running ---------------------------------------------------------------------------------------------


def conversion_claim(*, job_id: int) -> ConversionJob | None:
    """Take the job for this worker (pending → running). None when another worker has it, it is done, or gone."""
    claimed = ConversionJob.objects.filter(pk=job_id, state=State.PENDING).update(
        state=State.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if claimed != 1:
        return None
    return ConversionJob.objects.select_related("attachment__space", "requested_by").get(pk=job_id)


def conversion_release(*, job_id: int, error: str) -> None:
    """Give a claimed job back (running → pending) so that a retry can claim it."""
    ConversionJob.objects.filter(pk=job_id, state=State.RUNNING).update(state=State.PENDING, error_message=error[:500])


def conversion_fail(*, job_id: int, message: str, code: int | None = None) -> None:
    """Mark the job failed for good; ``message`` is shown to the user, so it names no path, URL or secret."""
    ConversionJob.objects.filter(pk=job_id).exclude(state=State.DONE).update(
        state=State.FAILED, error_code=code, error_message=message[:500], finished_at=timezone.now()
    )
    logger.info("conversion %s failed: %s (code %s)", job_id, message[:200], code)


def conversion_run(*, job_id: int) -> ConversionJob | None:
    """Convert and store one job; None when there was nothing to claim.

    Permanent failures mark the job failed here. Transient ones (``DocServerError`` with ``transient``, storage
    ``OSError``) give the job back and are raised, for the task to retry. Nothing half-made stays behind.
    """
    job = conversion_claim(job_id=job_id)
    if job is None:
        logger.info("conversion %s: nothing to claim (done, taken or gone)", job_id)
        return None
    refusal = _refusal(job)
    if refusal:
        conversion_fail(job_id=job.pk, message=refusal)
        return job
    cfg = ds_settings.current()
    try:
        file_url = _converted_url(job, cfg)
        _result_store(job, file_url, cfg)
    except DocServerError as exc:
        if exc.transient:
            conversion_release(job_id=job.pk, error=failure_message(exc))
            raise
        conversion_fail(job_id=job.pk, message=failure_message(exc), code=exc.code)
    except FileTooLarge as exc:
        conversion_fail(job_id=job.pk, message=docserver.too_large_message(exc.limit))
    except OSError:
        conversion_release(job_id=job.pk, error=_("The converted file could not be stored; trying again."))
        raise
    return job


def failure_message(exc: DocServerError) -> str:
    """The user's message for a DS error: the clear text of a conversion error code, else the client's own."""
    if exc.code is not None and exc.code in CONVERSION_ERRORS:
        return _code_message(exc.code)
    return exc.message


def _code_message(code: int) -> str:
    return f"{CONVERSION_ERRORS[code]} " + _("(conversion error %(code)d)") % {"code": code}


def _refusal(job: ConversionJob) -> str:
    """Why the job must not run any more (the file is gone, the user lost access), or ""."""
    attachment, user = job.attachment, job.requested_by
    if attachment is None or user is None or not user.is_active:
        return _("The file or its owner's account was deleted before the conversion could run.")
    role = role_in_space(user, attachment.space)
    # A "Download as" queued before downloads were blocked for viewers must not make them a copy now.
    allowed = can_edit(role) if job.kind == Kind.OOXML else can_download(role)
    if not allowed:
        return _("You no longer have the access to this file that the conversion needs.")
    return ""


def _source_url(job: ConversionJob) -> str:
    """The version to convert, on our download endpoint, signed like the editor's ``document.url``."""
    assert job.attachment_id is not None and job.requested_by_id is not None
    token = links.make_token("download", a=job.attachment_id, v=job.version_number, u=job.requested_by_id)
    path = reverse("onlyoffice-download", args=[job.attachment_id])
    return f"{job.connector_base}{path}?{urlencode({'token': token})}"


def _converted_url(job: ConversionJob, cfg: ds_settings.DocServerConfig) -> str:
    """Run the asynchronous conversion to its end; the result's link on the DS."""
    source_url = _source_url(job)
    give_up_at = time.monotonic() + CONVERSION_DEADLINE
    delay = POLL_FIRST
    while True:
        # The identical request, same key, every time: the DS answers from its cache once the file is ready.
        result = docserver.convert(
            url=source_url,
            filetype=job.input_type,
            outputtype=job.output_type,
            key=job.key,
            title=job.source_title,
            async_=True,
            cfg=cfg,
        )
        _percent_set(job, 100 if result.end else result.percent)
        if result.end and result.file_url:
            return result.file_url
        if time.monotonic() >= give_up_at:
            raise DocServerError(
                _("The conversion did not finish within %(seconds)d seconds.") % {"seconds": CONVERSION_DEADLINE},
                transient=True,
            )
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX)


def _percent_set(job: ConversionJob, percent: int) -> None:
    percent = max(0, min(100, percent))
    if percent != job.percent:
        job.percent = percent
        ConversionJob.objects.filter(pk=job.pk, state=State.RUNNING).update(percent=percent)


def _result_store(job: ConversionJob, file_url: str, cfg: ds_settings.DocServerConfig) -> None:
    # Checked before storing: a result of the wrong type (ConvertedTypeMismatch) fails the job with nothing stored.
    with (
        docserver.open_file(file_url, max_size=cfg.max_edit_size, cfg=cfg) as downloaded,
        verified_chunks(downloaded, expected_ext=job.output_type, label=f"conversion {job.pk}") as chunks,
    ):
        if job.kind == Kind.OOXML:
            _store_as_attachment(job, chunks, cfg)
        else:
            _store_as_download(job, chunks, cfg)


def _store_as_attachment(job: ConversionJob, chunks: Iterable[bytes], cfg: ds_settings.DocServerConfig) -> None:
    assert job.attachment is not None
    space = job.attachment.space
    # attachment_create numbers a name the space already has ("Notes (2).docx"); the job page shows the result's.
    created = attachment_create(
        space=space,
        title=with_extension(job.source_title, job.output_type),
        chunks=chunks,
        created_by=job.requested_by,
        source=VersionSource.CONVERSION,
        comment=f"Converted from {job.source_title} v{job.version_number}",
        max_size=cfg.max_edit_size,
    )
    try:
        finished = _finish(job, result_attachment=created)
    except BaseException:
        attachment_delete(attachment=created)
        raise
    if not finished:
        # The job was failed or removed meanwhile: a result nobody is told about must not stay.
        attachment_delete(attachment=created)


def _store_as_download(job: ConversionJob, chunks: Iterable[bytes], cfg: ds_settings.DocServerConfig) -> None:
    name = f"{STORAGE_PREFIX}/{job.pk}/{uuid.uuid4().hex}.{job.output_type}"
    stored = store_chunks(chunks, name=name, max_size=cfg.max_edit_size)
    try:
        finished = _finish(job, result_file=stored.name, result_name=with_extension(job.source_title, job.output_type))
    except BaseException:
        delete_quietly(stored.name)
        raise
    if not finished:
        delete_quietly(stored.name)


def _finish(job: ConversionJob, **result: Attachment | str) -> bool:
    """Record the result, only if the job is still this worker's (running)."""
    return (
        ConversionJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
            state=State.DONE, percent=100, error_code=None, error_message="", finished_at=timezone.now(), **result
        )
        == 1
    )


# --- reading ---------------------------------------------------------------------------------------------


def conversion_for_user(user: User, job_id: int) -> ConversionJob | None:
    """The job if this user started it; anyone else is told it does not exist."""
    return (
        ConversionJob.objects.select_related("attachment__space", "result_attachment")
        .filter(pk=job_id, requested_by=user, requested_by__isnull=False)
        .first()
    )


def conversion_message(job: ConversionJob) -> str:
    """What the progress page says about the job now."""
    if job.state == State.PENDING:
        if job.error_message:
            return _("Trying again after a problem: %(error)s") % {"error": job.error_message}
        return _("Waiting for the conversion to start…")
    if job.state == State.RUNNING:
        return _("Storing the result…") if job.percent >= 100 else _("Converting…")
    if job.state == State.FAILED:
        if job.error_code is not None and job.error_code in CONVERSION_ERRORS:
            # Rendered now, in the reader's language, rather than in the worker's.
            return _code_message(job.error_code)
        return job.error_message or _("The conversion failed.")
    if job.kind == Kind.OOXML:
        if job.result_attachment is None:
            return _("The converted file has been deleted since.")
        return _("Converted. “%(title)s” was added next to the original, which is unchanged.") % {
            "title": job.result_attachment.title
        }
    if not job.result_file:
        return _("The converted file was removed after a day. Convert the file again to download it.")
    return _("“%(name)s” is ready to download.") % {"name": job.result_name}


def conversion_result_urls(job: ConversionJob) -> dict[str, str]:
    """Links to the result of a finished job: the new attachment and its editor, or the file to download."""
    if job.state != State.DONE:
        return {}
    if job.kind == Kind.OOXML:
        if job.result_attachment_id is None:
            return {}
        return {
            "attachment": reverse("attachment_detail", args=[job.result_attachment_id]),
            "editor": reverse("onlyoffice-editor", args=[job.result_attachment_id]),
        }
    if not job.result_file:
        return {}
    return {"file": reverse("onlyoffice-conversion-file", args=[job.pk])}


def conversion_status(job: ConversionJob) -> dict[str, object]:
    """The JSON the progress page polls."""
    return {
        "state": job.state,
        "percent": job.percent,
        "message": conversion_message(job),
        "result": conversion_result_urls(job),
        "finished": job.state in (State.DONE, State.FAILED),
    }
