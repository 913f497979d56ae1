"""Background work of share links: disconnecting a revoked link's guests from the editor (sharing.services)."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from connector.sessions import SessionError
from sharing import services

logger = logging.getLogger(__name__)

# The DS may be restarting: a few tries (2, 4, 8 s), then the guests stay until they close the editor.
GUESTS_DROP_RETRIES = 3


@shared_task(name=services.GUESTS_DROP_TASK, bind=True, max_retries=GUESTS_DROP_RETRIES, ignore_result=True)
def guests_drop(self: Task[[int], None], link_id: int) -> None:
    """Disconnect a revoked link's guests who still have the file open (services.link_guests_drop)."""
    try:
        dropped = services.link_guests_drop(link_id)
    except SessionError as exc:
        logger.info("share link %s: its guests could not be disconnected yet: %s", link_id, exc)
        raise self.retry(countdown=2 ** (self.request.retries + 1)) from exc
    if dropped:
        logger.info("share link %s revoked: %d guests disconnected from the editor", link_id, len(dropped))
