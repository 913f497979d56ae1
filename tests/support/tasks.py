"""Tasks only the tests send; workers started by tests/support/workers.py load this module (``--include``)."""

from __future__ import annotations

import os

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from attachments import services


@shared_task
def worker_probe(name: str) -> int:
    """Leave a trace in each thing a worker shares with the test: a row, a stored file and a cache entry.

    The space is named ``name``; its description and its file "probe.txt" hold the process id of whoever
    ran the task, and the cache maps ``probe-<that pid>`` to ``name``.
    """
    pid = str(os.getpid())
    cache.set(f"probe-{pid}", name, timeout=300)
    # One transaction: once the space is visible, so is its file, and the cache entry was set before.
    with transaction.atomic():
        space = services.space_create(name=name, created_by=None, description=pid)
        services.attachment_create(space=space, title="probe.txt", chunks=[pid.encode()], created_by=None)
    return space.pk
