"""Every Celery task of the connector: thin, idempotent, loading rows by id, each calling one job.

- ``save_document``: store one save request (connector/services.py, connector/forgotten.py);
- ``convert_document``: run one conversion job (connector/conversion.py);
- ``make_thumbnail``: draw one version's first page (connector/thumbnails.py);
- the periodic sweeps beat sends (``CELERY_BEAT_SCHEDULE``): ``connector.sweep`` (stuck saves, also sent by each
  worker when it starts), ``connector.sessions_sweep`` (sessions that ended without a callback we accepted) and
  ``connector.conversion_files_sweep`` ("Download as" files past their lifetime); their jobs are plain functions in
  connector/sweep.py and connector/forgotten.py.

Names are pinned (``name=``): beat schedules and messages already queued name the tasks, and the modules that send
them (``services.save_request_enqueue``, ``conversion.conversion_enqueue``) know only the name, since this module
imports them.
"""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task
from celery.exceptions import MaxRetriesExceededError, SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.utils.translation import gettext_lazy

from connector import conversion, forgotten, services, sweep, thumbnails
from connector.docserver import DocServerError

logger = logging.getLogger(__name__)

# The DS link lives 900 s (protocol §3): the retries (about 2, 4, 8, 16, 32, 64 s plus jitter) end well before.
MAX_RETRIES = 6
_STORAGE_ERROR = "the file could not be written to storage, or the download stalled (%s)"
_UNEXPECTED_ERROR = "an unexpected error in the save task (%s); see the worker log"


def _backoff(retries: int) -> float:
    # A setting, so that tests with real workers can retry in milliseconds instead of minutes.
    base = settings.CONNECTOR_SAVE_RETRY_BASE_SECONDS
    return min(base * 2.0**retries, base * 60) * (0.5 + random.random())


# --- saving ----------------------------------------------------------------------------------------------------


@shared_task(name=services.SAVE_TASK, bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def save_document(self: Task[[int], None], save_request_id: int) -> None:
    """Store the file of one save request as a new version.

    Idempotent: only the worker whose conditional update claims the request (pending → saving) acts;
    a duplicate or late delivery finds nothing to claim and returns. Retries transient DS errors with
    exponential backoff and jitter, then marks the request failed.
    """
    save_request = services.save_request_claim(save_request_id=save_request_id)
    if save_request is None:
        logger.info("save request %s: nothing to claim (done, taken or gone)", save_request_id)
        return
    try:
        forgotten.store(save_request=save_request)
    except services.EarlierSaveUnfinished:
        _wait_for_earlier_save(save_request_id, eager=bool(self.request.is_eager))
    except forgotten.SaveLost as exc:
        # Nothing left to fetch: no retry, and no Retry button; the editors and admins are told.
        services.save_request_fail(save_request_id=save_request_id, error=exc.message, lost=True)
    except DocServerError as exc:
        _retry_or_fail(self, save_request_id, exc.message, transient=exc.transient)
    except (OSError, SoftTimeLimitExceeded) as exc:
        # A storage write error (a full disk, say) or a stuck download: worth another try. The details (paths)
        # go to the log; the request keeps a message editors may read on the attachment.
        logger.warning("save request %s: %s", save_request_id, exc, exc_info=True)
        _retry_or_fail(self, save_request_id, _STORAGE_ERROR % type(exc).__name__, transient=True)
    except Exception as exc:
        services.save_request_fail(save_request_id=save_request_id, error=_UNEXPECTED_ERROR % type(exc).__name__)
        raise


def _wait_for_earlier_save(save_request_id: int, *, eager: bool) -> None:
    """Give the request back and look again shortly, as a fresh task: waiting uses none of its retries.

    The earlier save always ends (stored, failed, or taken up again by the sweep), so this ends too. Tasks run
    inline (tests, no worker) never wait here: the sweep sends the request again.
    """
    services.save_request_release(save_request_id=save_request_id, error="")
    if not eager:
        save_document.apply_async((save_request_id,), countdown=settings.CONNECTOR_SAVE_RETRY_BASE_SECONDS)


def _retry_or_fail(task: Task[[int], None], save_request_id: int, error: str, *, transient: bool) -> None:
    if not transient:
        services.save_request_fail(save_request_id=save_request_id, error=error)
        return
    services.save_request_release(save_request_id=save_request_id, error=error)
    try:
        raise task.retry(countdown=_backoff(task.request.retries))
    except MaxRetriesExceededError:
        services.save_request_fail(save_request_id=save_request_id, error=error)


# --- converting ------------------------------------------------------------------------------------------------

# A user watches the progress bar meanwhile: a few retries (about 2, 4, 8 s plus jitter), then a clear failure.
CONVERSION_MAX_RETRIES = 3
_CONVERSION_STORAGE_ERROR = gettext_lazy("The converted file could not be stored.")
_CONVERSION_UNEXPECTED_ERROR = gettext_lazy(
    "The conversion failed unexpectedly; an administrator can find the details in the worker log."
)


@shared_task(
    name=conversion.CONVERSION_TASK, bind=True, acks_late=True, max_retries=CONVERSION_MAX_RETRIES, ignore_result=True
)
def convert_document(self: Task[[int], None], job_id: int) -> None:
    """Run one conversion job (connector.conversion).

    Idempotent: only the worker that claims the job (pending → running) acts. Retries transient DS errors
    and storage errors with backoff and jitter, then marks the job failed with the last error's message.
    """
    try:
        conversion.conversion_run(job_id=job_id)
    except DocServerError as exc:
        _retry_conversion(self, job_id, conversion.failure_message(exc), code=exc.code)
    except (OSError, SoftTimeLimitExceeded) as exc:
        logger.warning("conversion %s: %s", job_id, exc, exc_info=True)
        conversion.conversion_release(job_id=job_id, error=str(_CONVERSION_STORAGE_ERROR))
        _retry_conversion(self, job_id, str(_CONVERSION_STORAGE_ERROR), code=None)
    except Exception:
        conversion.conversion_fail(job_id=job_id, message=str(_CONVERSION_UNEXPECTED_ERROR))
        raise


def _retry_conversion(task: Task[[int], None], job_id: int, message: str, *, code: int | None) -> None:
    try:
        raise task.retry(countdown=_backoff(task.request.retries))
    except MaxRetriesExceededError:
        conversion.conversion_fail(job_id=job_id, message=message, code=code)


# --- thumbnails ------------------------------------------------------------------------------------------------

# Nobody waits for a thumbnail: a few retries (about 2, 4, 8 s plus jitter), then the type icon stays.
THUMBNAIL_MAX_RETRIES = 3
# Behind everything else in the queue: on Redis a worker takes priority 0 (saves, conversions, sweeps: the default)
# before 9, so a save never waits behind the thumbnails of earlier versions (the load benchmark on a saturated
# machine saw save-visible p99 of 267 s from that backlog; docs/performance.md). The file broker keeps its order.
THUMBNAIL_PRIORITY = 9


@shared_task(
    name=thumbnails.THUMBNAIL_TASK,
    bind=True,
    acks_late=True,
    max_retries=THUMBNAIL_MAX_RETRIES,
    priority=THUMBNAIL_PRIORITY,
    ignore_result=True,
    soft_time_limit=180,
    time_limit=240,
)
def make_thumbnail(self: Task[[int, str], None], version_id: int, key: str = "") -> None:
    """Make one version's thumbnail (connector.thumbnails.thumbnail_make).

    Idempotent: a ready thumbnail is left alone. Retries transient DS errors and storage errors with backoff and
    jitter, with the same conversion key, then marks the thumbnail failed; the version itself is never touched.
    """
    key = key or thumbnails.new_key(version_id)
    try:
        thumbnails.thumbnail_make(version_id=version_id, key=key)
    except (DocServerError, OSError, SoftTimeLimitExceeded) as exc:
        logger.info("thumbnail of version %s: %s; retrying", version_id, getattr(exc, "message", type(exc).__name__))
        try:
            raise self.retry(args=(version_id, key), countdown=_backoff(self.request.retries))
        except MaxRetriesExceededError:
            thumbnails.thumbnail_fail(version_id=version_id, reason=f"gave up after retries ({type(exc).__name__})")
    except Exception:
        thumbnails.thumbnail_fail(version_id=version_id, reason="an unexpected error; see the worker log")
        raise


# --- the periodic sweeps ---------------------------------------------------------------------------------------


@shared_task(name="connector.sweep", ignore_result=True)
def stuck_saves_sweep() -> dict[str, int]:
    """Every minute under beat, and sent by each worker when it starts: saves nobody works on are sent again
    (sweep.sweep_stuck_saves)."""
    return sweep.sweep_stuck_saves().as_dict()


@shared_task(name="connector.sessions_sweep", ignore_result=True)
def sessions_sweep() -> int:
    """Every minute under beat: sessions that ended without a callback we accepted are ended here too, and what the
    DS kept of them is stored (forgotten.sessions_reconcile)."""
    return len(forgotten.sessions_reconcile())


@shared_task(name="connector.conversion_files_sweep", ignore_result=True)
def conversion_files_sweep() -> int:
    """Every hour under beat: deletes "Download as" files older than a day (sweep.conversion_files_sweep). Safe to
    run at any time, from several processes at once."""
    return sweep.conversion_files_sweep()


@worker_ready.connect
def _sweep_when_a_worker_starts(**_kwargs: object) -> None:
    # A worker restarting after a crash picks up what the crash left, without waiting for beat.
    try:
        stuck_saves_sweep.delay()
    except Exception:
        logger.exception("could not send the start-up save sweep")
