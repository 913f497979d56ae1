"""The periodic jobs, as plain functions: Celery beat runs them through the thin tasks of connector/tasks.py.

- ``sweep_stuck_saves`` (task ``connector.sweep``, every minute and whenever a worker starts): saves stuck by a lost
  broker message or a dead worker. The save request table is the outbox (connector/services.py): whatever happens
  to the broker or a worker, the request stays in the database, and this sends the stuck ones again; the worker's
  claim (pending → saving, a conditional update) keeps each save to one version however often it is sent.
- ``conversion_files_sweep`` (task ``connector.conversion_files_sweep``, every hour): "Download as" results past
  their lifetime, or whose file or user is gone.
- ``orphan_files_sweep`` (``manage.py onlyoffice cleanup``): stored files no row points at.

The sessions sweep (task ``connector.sessions_sweep``) is ``forgotten.sessions_reconcile``: what it recovers is the
Document Server's forgotten files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q
from django.utils import timezone

from attachments.storage import delete_quietly
from connector import services
from connector.conversion import DOWNLOAD_FILE_LIFETIME
from connector.models import ConversionJob, SaveRequest

logger = logging.getLogger(__name__)

# A worker killed while saving cannot release its claim; after the hard time limit it is surely gone.
SAVING_MARGIN = timedelta(seconds=60)
# Files younger than this may belong to a save that has not committed its row yet.
ORPHAN_MIN_AGE = timedelta(days=1)
STORAGE_ROOT = "spaces"
# Requests handled per sweep and kind; the next minute takes the rest.
BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    pending: int = 0  # pending too long (lost message): sent again
    saving: int = 0  # claimed by a worker that died: reset to pending and sent again
    not_enqueued: int = 0  # the broker refused; the next sweep tries again

    def as_dict(self) -> dict[str, int]:
        return {"pending": self.pending, "saving": self.saving, "not_enqueued": self.not_enqueued}


def sweep_stuck_saves(*, pending_after: timedelta | None = None, saving_after: timedelta | None = None) -> SweepResult:
    """Send again the save requests nobody is working on; return how many of each kind.

    Pending longer than ``pending_after`` (default ``CONNECTOR_SWEEP_PENDING_SECONDS``, longer than any retry
    backoff): the message was lost. Saving since longer than ``saving_after`` (default the hard time limit plus
    a margin): the worker died. Safe to run from several processes at once: each request is taken by one
    conditional update, and a duplicate message finds nothing to claim.
    """
    now = timezone.now()
    if pending_after is None:
        pending_after = timedelta(seconds=settings.CONNECTOR_SWEEP_PENDING_SECONDS)
    if saving_after is None:
        saving_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + SAVING_MARGIN
    pending = list(_take_pending(now - pending_after, now))
    saving = list(_take_abandoned(now - saving_after, now))
    not_enqueued = sum(not _enqueue(pk) for pk in pending + saving)
    result = SweepResult(pending=len(pending), saving=len(saving), not_enqueued=not_enqueued)
    if pending or saving:
        logger.warning("save sweep: %s", result.as_dict())
    return result


def _take_pending(cutoff: datetime, now: datetime) -> Iterator[int]:
    stuck = SaveRequest.objects.filter(state=SaveRequest.State.PENDING, updated_at__lt=cutoff)
    for pk, updated_at in list(stuck.values_list("pk", "updated_at")[:BATCH]):
        # Touching updated_at claims the resend (one sweeper wins) and starts the clock again.
        taken = SaveRequest.objects.filter(pk=pk, state=SaveRequest.State.PENDING, updated_at=updated_at).update(
            updated_at=now
        )
        if taken == 1:
            yield pk


def _take_abandoned(cutoff: datetime, now: datetime) -> Iterator[int]:
    stuck = SaveRequest.objects.filter(state=SaveRequest.State.SAVING, claimed_at__lt=cutoff)
    for pk, claimed_at in list(stuck.values_list("pk", "claimed_at")[:BATCH]):
        # Only if still the same claim: a worker that finished or re-claimed it meanwhile keeps it.
        taken = SaveRequest.objects.filter(pk=pk, state=SaveRequest.State.SAVING, claimed_at=claimed_at).update(
            state=SaveRequest.State.PENDING,
            updated_at=now,
            last_error="the worker stopped while saving; the save was sent again",
        )
        if taken == 1:
            yield pk


def _enqueue(save_request_id: int) -> bool:
    try:
        services.save_request_enqueue(save_request_id)
    except services.EnqueueFailed:
        return False
    return True


def conversion_files_sweep() -> int:
    """Delete "Download as" files older than ``DOWNLOAD_FILE_LIFETIME``, or whose file or user is gone.

    Returns how many were deleted. Celery beat runs it every hour (task ``connector.conversion_files_sweep``,
    connector/tasks.py). Safe to run at any time and from several processes at once.
    """
    cutoff = timezone.now() - DOWNLOAD_FILE_LIFETIME
    expired = (
        ConversionJob.objects.filter(kind=ConversionJob.Kind.DOWNLOAD)
        .exclude(result_file="")
        .filter(Q(created_at__lt=cutoff) | Q(attachment__isnull=True) | Q(requested_by__isnull=True))
        .values_list("pk", "result_file")
    )
    deleted = 0
    for job_id, name in list(expired):
        # The row first: a download that starts now gets a 404, never half a file; one sweeper wins each file.
        if ConversionJob.objects.filter(pk=job_id, result_file=name).update(result_file="") == 1:
            delete_quietly(name)
            deleted += 1
    return deleted


def orphan_files(*, min_age: timedelta = ORPHAN_MIN_AGE) -> list[str]:
    """Files under ``spaces/`` no row points at, older than ``min_age`` (a save in flight writes first)."""
    referenced = _referenced_names()
    cutoff = timezone.now() - min_age
    return [
        name
        for name in _walk(STORAGE_ROOT)
        if name not in referenced and default_storage.get_modified_time(name) < cutoff
    ]


def orphan_files_sweep(*, dry_run: bool = False, min_age: timedelta = ORPHAN_MIN_AGE) -> list[str]:
    """Delete (unless ``dry_run``) the orphan files and return their names."""
    names = orphan_files(min_age=min_age)
    if not dry_run:
        referenced = _referenced_names()
        for name in names:
            # Checked again just before: a row may have claimed the name since the listing.
            if name not in referenced and default_storage.exists(name):
                default_storage.delete(name)
        logger.info("orphan files sweep deleted %s files", len(names))
    return names


def _walk(folder: str) -> Iterator[str]:
    # Not storage.exists(folder): on S3 that asks for an object of that name, which a prefix never is.
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return  # nothing stored yet (a local folder is made by the first write)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(f"{folder}/{sub}")


def _referenced_names() -> set[str]:
    """Every stored name a row points at: versions, edit changes, conversion results, any other file field."""
    names: set[str] = set(ConversionJob.objects.exclude(result_file="").values_list("result_file", flat=True))
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and field.concrete:
                names.update(model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True))
    return names
