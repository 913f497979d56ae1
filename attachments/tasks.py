"""The attachment store's periodic tasks, found by the worker through Celery's autodiscovery (config/celery_app.py)."""

from __future__ import annotations

from celery import shared_task

from attachments import trash


@shared_task(name="attachments.trash_sweep", ignore_result=True)
def trash_sweep() -> int:
    """The periodic task (Celery beat, every hour): purges the files whose days in the trash are up and frees their
    storage (attachments.trash.trash_sweep). Safe to run at any time, from several processes at once."""
    return trash.trash_sweep()
