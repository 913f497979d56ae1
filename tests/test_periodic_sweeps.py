"""Celery beat's schedule: every entry names a task a worker registers, and the "Download as" files sweep runs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from connector import tasks
from connector.conversion import DOWNLOAD_FILE_LIFETIME
from connector.models import ConversionJob
from tests.conftest import Personas
from tests.support.production import run_with_production_settings

# What a worker does at start: import the task modules Celery discovers, then list the registered tasks.
WORKER_TASKS = (
    "import json; from config.celery_app import app; app.loader.import_default_modules(); "
    "print(json.dumps(sorted(app.tasks)))"
)


def _download_result(personas: Personas, make_attachment, *, age: timedelta) -> ConversionJob:
    """A finished "Download as" job of the viewer's, its file in storage, created ``age`` ago."""
    attachment = make_attachment(personas.space, "Notes.docx", user=personas.owner)
    name = default_storage.save(f"conversions/{uuid.uuid4().hex}/Notes.pdf", ContentFile(b"%PDF-1.7 result"))
    job = ConversionJob.objects.create(
        attachment=attachment,
        version_number=1,
        source_title=attachment.title,
        input_type="docx",
        requested_by=personas.viewer,
        kind=ConversionJob.Kind.DOWNLOAD,
        output_type="pdf",
        state=ConversionJob.State.DONE,
        key=uuid.uuid4().hex,
        connector_base="http://connector.test",
        result_file=name,
        result_name="Notes.pdf",
    )
    ConversionJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - age)
    return job


def test_it_deletes_expired_download_files_and_keeps_fresh_ones_in_the_scheduled_task(
    personas: Personas, make_attachment
) -> None:
    expired = _download_result(personas, make_attachment, age=DOWNLOAD_FILE_LIFETIME + timedelta(minutes=1))
    fresh = _download_result(personas, make_attachment, age=DOWNLOAD_FILE_LIFETIME - timedelta(minutes=1))

    tasks.conversion_files_sweep.delay()  # eager in tests: the task body, through Celery's call path

    assert not default_storage.exists(expired.result_file)
    assert default_storage.exists(fresh.result_file)
    # The row no longer names the file, so its download link answers 404 rather than half a file.
    assert ConversionJob.objects.get(pk=expired.pk).result_file == ""
    assert ConversionJob.objects.get(pk=fresh.pk).result_file == fresh.result_file


def test_it_schedules_the_download_files_sweep_within_the_files_lifetime() -> None:
    intervals = [
        entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == tasks.conversion_files_sweep.name
    ]

    assert len(intervals) == 1
    assert 0 < intervals[0] <= DOWNLOAD_FILE_LIFETIME.total_seconds() / 24


def test_it_schedules_only_tasks_a_worker_registers(tmp_path: Path) -> None:
    # A fresh process, as a worker starts: tasks imported by other tests in this one would hide a missing import.
    done = run_with_production_settings(WORKER_TASKS, tmp_path, DJANGO_SECRET_KEY="x" * 50)
    assert done.returncode == 0, done.stderr
    registered = set(json.loads(done.stdout))

    scheduled = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}

    assert scheduled
    assert {name: task for name, task in scheduled.items() if task not in registered} == {}
