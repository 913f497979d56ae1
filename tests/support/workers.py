"""Real ``celery worker`` processes for tests.

The ``celery_worker_process`` fixture starts workers as subprocesses that share everything with the test:
the test database (``transactional_db``, so that rows are committed and visible to other processes), the
test's files (its media folder, or its bucket: tests/support/storage_run.py), the cache and the broker. While it
is active the test process sends tasks through the broker for real instead of running them inline.

    def test_it_saves(celery_worker_process):
        worker = celery_worker_process.start()
        my_task.delay(42)
        poll_until(lambda: Thing.objects.filter(pk=42).exists(), what="the row", workers=[worker])

The broker is Redis when REDIS_URL is set and a folder otherwise; a test picks one explicitly with
``@pytest.mark.parametrize("celery_broker_kind", ["filesystem"])``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app
from tests.support.processes import live_groups, poll
from tests.support.storage_run import process_environment

BASE_DIR = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
T = TypeVar("T")


@dataclass
class WorkerHandle:
    process: subprocess.Popen[bytes]
    hostname: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def group_members(self) -> list[int]:
        """Processes of the worker's group still running (its pool children), zombies aside (Linux /proc)."""
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # Fields after the parenthesised command: state, ppid, pgrp.
                state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
                if int(pgrp) == self.pid and state != "Z":
                    members.append(int(stat.parent.name))
        return members

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Return once the worker consumes from the broker; fail with its log if it dies or takes too long."""
        marker = f"{self.hostname} ready."
        deadline = time.monotonic() + timeout
        while marker not in self.log_text():
            if not self.is_alive():
                pytest.fail(
                    f"celery worker exited with {self.process.returncode} before it was ready:\n{self.log_text()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"celery worker not ready after {timeout:.0f}s:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """Warm shutdown (SIGTERM: finish the current task, then exit); killed if it takes too long."""
        if self.is_alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.process.wait()
        # A pool child whose parent exited must not linger.
        self._kill_group()
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL the worker and its pool children at once, as a crash or an OOM kill would."""
        self._kill_group()
        self.process.wait()
        return self.process.returncode

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        # SIGKILL is delivered asynchronously: wait until no member of the group still runs.
        poll_until(lambda: not self.group_members(), what=f"the processes of {self.hostname} to end", timeout=10)
        live_groups.discard(self.pid)


@dataclass
class WorkerFactory:
    """Starts workers that all share the test's database, files, cache and broker."""

    env: dict[str, str]
    log_dir: Path
    media_root: Path
    workers: list[WorkerHandle] = field(default_factory=list)

    def start(
        self,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        *,
        pool: str = "prefork",
        ready: bool = True,
    ) -> WorkerHandle:
        hostname = f"test-{uuid.uuid4().hex[:8]}@tests"
        log_path = self.log_dir / f"worker-{len(self.workers) + 1}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--hostname={hostname}",
            "--include=tests.support.tasks",
            # Gossip, mingle and heartbeats talk to other workers; tests have none and mingle costs a second.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with log_path.open("wb") as log:
            # A session of its own: the terminal's Ctrl-C goes to pytest only, and a kill reaches the pool too.
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                # The storage as it is now: a test may point it at a bucket after the factory was made.
                env={**self.env, **process_environment(self.media_root), **(extra_env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        live_groups.add(process.pid)
        worker = WorkerHandle(process=process, hostname=hostname, log_path=log_path)
        self.workers.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    def kill_all(self) -> None:
        for worker in self.workers:
            if worker.is_alive():
                worker.kill()


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{db['HOST']}{port}/{quote(db['NAME'], safe='')}"
    raise NotImplementedError(f"no worker support for {connection.vendor}")


def broker_for(kind: str, folder: Path) -> tuple[str, dict[str, Any]]:
    """A broker URL and transport options used by this fixture only (a fresh folder or Redis key prefix)."""
    if kind == "filesystem":
        queue, processed, control = folder / "queue", folder / "processed", folder / "control"
        queue.mkdir(parents=True)
        processed.mkdir()
        control.mkdir()
        # The filesystem transport polls its folder; the default second would slow every test down.
        options = {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            "store_processed": False,
            # Broadcasts (worker pings); kombu would otherwise write them under the working directory.
            "control_folder": str(control),
            "polling_interval": 0.05,
        }
        return "filesystem://", options
    if kind == "redis":
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            pytest.fail("the redis broker needs REDIS_URL (mark the test `redis`)")
        # A key prefix of its own: messages left over by a killed worker never reach another test's workers.
        return redis_url, {"visibility_timeout": 3600, "global_keyprefix": f"test-{uuid.uuid4().hex[:12]}:"}
    raise ValueError(f"unknown broker kind {kind!r}")


def reset_broker_connections() -> None:
    # The app keeps pools of broker connections and producers, made from the settings of the time and
    # registered in kombu's global pool registry; close them all so that the next send (eager ones included,
    # which borrow a producer too) uses the broker configured now. Celery has no public call for its part.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_workers(*, broker_kind: str, media_root: Path, folder: Path) -> Iterator[WorkerFactory]:
    """Within the block, tasks go through a fresh broker to workers the factory starts; all killed on exit."""
    broker_url, broker_options = broker_for(broker_kind, folder / "broker")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": database_url(),
        "TEST_RUN_DIR": str(settings.TEST_RUN_DIR),
        "TEST_CELERY_WORKER": "1",
        "TEST_CELERY_BROKER_URL": broker_url,
        "TEST_CELERY_BROKER_OPTIONS": json.dumps(broker_options),
        "PYTHONUNBUFFERED": "1",
    }
    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=broker_url, broker_transport_options=broker_options)
    reset_broker_connections()
    factory = WorkerFactory(env=env, log_dir=folder, media_root=media_root)
    try:
        yield factory
    finally:
        # The test is over: no need for a warm shutdown, which costs seconds per worker (and waits for a task
        # the test left running). A test that cares about warm shutdown calls `stop()` itself.
        factory.kill_all()
        app.conf.update(saved)
        reset_broker_connections()


@pytest.fixture
def celery_broker_kind() -> str:
    return "redis" if os.environ.get("REDIS_URL") else "filesystem"


@pytest.fixture
def celery_worker_process(
    transactional_db: None, _isolated_media: Path, celery_broker_kind: str, tmp_path: Path
) -> Iterator[WorkerFactory]:
    with celery_workers(broker_kind=celery_broker_kind, media_root=_isolated_media, folder=tmp_path) as factory:
        yield factory
    # Shown by pytest only when the test failed: what the workers said is usually the reason.
    for worker in factory.workers:
        print(f"----- {worker.log_path.name} ({worker.hostname}) -----\n{worker.log_text()}")


def poll_until(
    probe: Callable[[], T], *, what: str, timeout: float = 30.0, workers: list[WorkerHandle] | None = None
) -> T:
    """Call ``probe`` until it returns something truthy and return that; fail with the workers' logs on timeout."""

    def logs() -> str:
        return "\n".join(f"----- {w.hostname} -----\n{w.log_text()}" for w in workers or [])

    return poll(probe, what=what, timeout=timeout, logs=logs)
