"""Desktop editing's Celery task: the lock sweep, every 5 minutes under beat (config/settings.py)."""

from __future__ import annotations

from celery import shared_task

from desktop.locks import locks_sweep


@shared_task(name="desktop.locks_sweep")
def locks_sweep_task() -> int:
    return locks_sweep()
