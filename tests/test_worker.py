"""The worker harness: tasks sent by a test run in a real `celery worker` process that shares the test's
database, media folder, cache and broker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage

from attachments.models import Space, Version
from config.celery_app import app
from tests.support import tasks
from tests.support.workers import WorkerFactory, WorkerHandle, celery_workers, poll_until

pytestmark = pytest.mark.worker


def _assert_probe_ran_in(worker: WorkerHandle, name: str) -> None:
    space = poll_until(lambda: Space.objects.filter(name=name).first(), what=f"space {name!r}", workers=[worker])
    worker_pid = int(space.description)
    # Ran in the worker (its main process or a pool child of it), not inline in the test process.
    assert worker_pid != os.getpid()
    assert os.getpgid(worker_pid) == worker.pid
    version = Version.objects.get(attachment__space=space)
    with default_storage.open(version.file.name) as stored:
        assert stored.read() == space.description.encode()
    assert cache.get(f"probe-{worker_pid}") == name


@pytest.mark.parametrize("celery_broker_kind", ["filesystem"])
def test_it_runs_a_task_on_a_real_worker_with_the_filesystem_broker(celery_worker_process: WorkerFactory) -> None:
    worker = celery_worker_process.start()

    tasks.worker_probe.delay("sent through a folder")

    _assert_probe_ran_in(worker, "sent through a folder")


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("celery_broker_kind", ["redis"])
def test_it_runs_a_task_on_a_real_worker_with_redis_and_postgres(celery_worker_process: WorkerFactory) -> None:
    worker = celery_worker_process.start(concurrency=2)

    tasks.worker_probe.delay("sent through redis")

    _assert_probe_ran_in(worker, "sent through redis")


@pytest.mark.slow
def test_it_leaves_no_process_behind_after_stop_or_kill(celery_worker_process: WorkerFactory) -> None:
    stopped = celery_worker_process.start(concurrency=2)
    killed = celery_worker_process.start(concurrency=2)

    stopped.stop()
    assert killed.kill() == -9

    for worker in (stopped, killed):
        assert not worker.is_alive()
        assert worker.group_members() == []
    assert "Warm shutdown" in stopped.log_text()


def test_it_reports_the_log_of_a_worker_that_cannot_start(celery_worker_process: WorkerFactory) -> None:
    with pytest.raises(pytest.fail.Exception, match="DJANGO_DEBUG='maybe' is not a boolean"):
        celery_worker_process.start(extra_env={"DJANGO_DEBUG": "maybe"})


@pytest.mark.usefixtures("transactional_db")
def test_it_puts_inline_tasks_back_afterwards(tmp_path: Path) -> None:
    # The autouse `_isolated_media` fixture has pointed the storage at this test's own folder.
    media_root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    # An inline send first, so that the producer pool of the eager configuration exists before the switch.
    tasks.worker_probe.delay("inline before")
    with celery_workers(broker_kind="filesystem", media_root=media_root, folder=tmp_path):
        assert not app.conf.task_always_eager

    tasks.worker_probe.delay("inline again")

    assert app.conf.task_always_eager
    assert Space.objects.get(name="inline again").description == str(os.getpid())
