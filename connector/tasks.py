"""Celery tasks of the connector: thin, idempotent, loading rows by id."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError, SoftTimeLimitExceeded

from connector import services
from connector.docserver import DocServerError

logger = logging.getLogger(__name__)

# The DS link lives 900 s (protocol §3): the retries (about 2, 4, 8, 16, 32, 64 s plus jitter) end well before.
MAX_RETRIES = 6
_STORAGE_ERROR = "the file could not be written to storage, or the download stalled (%s)"
_UNEXPECTED_ERROR = "an unexpected error in the save task (%s); see the worker log"


def _backoff(retries: int) -> float:
    return min(2 ** (retries + 1), 120) * (0.5 + random.random())


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def save_document(self, save_request_id: int) -> None:
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
        services.save_request_store(save_request=save_request)
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


def _retry_or_fail(task, save_request_id: int, error: str, *, transient: bool) -> None:
    if not transient:
        services.save_request_fail(save_request_id=save_request_id, error=error)
        return
    services.save_request_release(save_request_id=save_request_id, error=error)
    try:
        raise task.retry(countdown=_backoff(task.request.retries))
    except MaxRetriesExceededError:
        services.save_request_fail(save_request_id=save_request_id, error=error)


def enqueue_save(save_request_id: int) -> None:
    save_document.delay(save_request_id)
