"""Fault tests: real `celery worker` processes, the fake DS and the live server; faults injected for real.

Each test breaks one thing the save pipeline depends on (a worker, the broker, the DS link, the disk, the
database connection, ordering under load) and proves no edit is lost and none is stored twice.
docs/reliability.md explains the design each test proves.
"""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
import redis
from django.core.management import call_command
from django.db import connection

from attachments.models import Attachment, Version
from config.celery_app import app
from connector.models import CallbackEvent, SaveRequest
from connector.sweep import sweep_stuck_saves
from connector.tasks import MAX_RETRIES
from tests.support.storage_run import stored_names
from tests.support.workers import celery_workers, poll_until
from tests.test_connector_callback import editor_config, put_blob

pytestmark = pytest.mark.django_db(transaction=True)

# Retries in milliseconds instead of minutes (tasks._backoff), passed to the workers through their environment.
FAST_RETRIES = {"CONNECTOR_SAVE_RETRY_BASE_SECONDS": "0.01"}
LASTSAVE = "2026-03-29T10:03:10.000Z"


@pytest.fixture
def media_root(_isolated_media: Path) -> Path:
    """This test's media folder, which its workers write to too."""
    return _isolated_media


def save_fields(cfg: dict, url: str, *, status: int = 2, lastsave: str = LASTSAVE) -> dict:
    uid = cfg["editorConfig"]["user"]["id"]
    fields = {
        "key": cfg["document"]["key"],
        "status": status,
        "url": url,
        "users": [uid],
        "actions": [{"type": 0, "userid": uid}],
        "filetype": "docx",
        "lastsave": lastsave,
        "notmodified": False,
    }
    if status == 6:
        fields["forcesavetype"] = 0
    return fields


def send_save(fake_ds, cfg: dict, url: str) -> None:
    assert fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], save_fields(cfg, url)) == (200, {"error": 0})


def version_numbers(attachment: Attachment) -> list[int]:
    return list(Version.objects.filter(attachment=attachment).order_by("number").values_list("number", flat=True))


def stored_files() -> list[str]:
    return sorted(stored_names("spaces"))


@pytest.mark.worker
def test_it_finishes_a_save_whose_worker_was_killed_mid_download(editing_setup, celery_worker_process) -> None:
    personas, attachment, fake_ds = editing_setup
    first = celery_worker_process.start()
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited before the crash", "docx")
    fake_ds.blob(url).hang()

    send_save(fake_ds, cfg, url)
    poll_until(lambda: fake_ds.requests_to("/cache/files/"), what="the download in flight", workers=[first])
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVING
    first.kill()
    fake_ds.release()
    second = celery_worker_process.start()

    # The claim of the dead worker is older than any deadline we pass here; in production, the hard time limit.
    assert sweep_stuck_saves(saving_after=timedelta(0)).saving == 1
    poll_until(
        lambda: SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED,
        what="the save finished by the second worker",
        workers=[second],
    )
    # Sweeping again finds nothing: the request is done.
    assert sweep_stuck_saves(saving_after=timedelta(0), pending_after=timedelta(0)).as_dict() == {
        "pending": 0,
        "saving": 0,
        "not_enqueued": 0,
    }
    assert version_numbers(attachment) == [1, 2]
    assert Version.objects.get(attachment=attachment, number=2).file.read() == b"edited before the crash"
    assert len(fake_ds.requests_to("/cache/files/")) == 2


@pytest.mark.worker
def test_it_resends_a_save_whose_broker_message_was_lost(editing_setup, celery_worker_process) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    send_save(fake_ds, cfg, put_blob(fake_ds, cfg["document"]["key"], b"sent twice", "docx"))
    # No worker yet: the message waits in the broker, and is lost there.
    assert app.control.purge() == 1
    worker = celery_worker_process.start()

    result = sweep_stuck_saves(pending_after=timedelta(0))

    assert (result.pending, result.saving) == (1, 0)
    poll_until(lambda: version_numbers(attachment) == [1, 2], what="the resent save", workers=[worker])
    assert Version.objects.get(attachment=attachment, number=2).file.read() == b"sent twice"


@pytest.mark.filesystem_only("ages files with os.utime; test_storage_s3.py sweeps an orphan object from a bucket")
def test_it_lists_then_deletes_only_old_files_no_row_points_at(personas, make_attachment, media_root) -> None:
    attachment = make_attachment(personas.space, "Kept.docx", content=b"kept", user=personas.owner)
    two_days_ago = time.time() - 2 * 86400
    kept = Path(Version.objects.get(attachment=attachment).file.path)
    old_orphan = kept.parent / "0123456789abcdef.docx"
    young_orphan = media_root / "spaces" / "99" / "fedcba9876543210.docx"
    young_orphan.parent.mkdir(parents=True)
    for path in (old_orphan, young_orphan):
        path.write_bytes(b"left behind by a crash")
    for path in (kept, old_orphan):
        os.utime(path, (two_days_ago, two_days_ago))
    expected = f"spaces/{personas.space.pk}/{old_orphan.name}"

    out = io.StringIO()
    call_command("onlyoffice", "cleanup", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [expected, "1 orphan files would be deleted."]
    assert old_orphan.exists()

    out = io.StringIO()
    call_command("onlyoffice", "cleanup", stdout=out)
    assert out.getvalue().splitlines() == [expected, "1 orphan files deleted."]
    assert not old_orphan.exists()
    assert kept.read_bytes() == b"kept" and young_orphan.exists()


@dataclass
class PrivateRedis:
    """A redis-server of this test only, on a free port, that the test stops and starts again."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [*command, "--dir", str(self.folder)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        poll_until(lambda: self._pings(client), what="the private redis-server", timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @staticmethod
    def _pings(client: redis.Redis) -> bool:
        with contextlib.suppress(redis.RedisError):
            return bool(client.ping())
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(port=_free_port(), folder=folder)
    server.start()
    yield server
    server.stop()


@pytest.mark.redis
@pytest.mark.worker
def test_it_answers_callbacks_while_redis_is_down_and_saves_once_it_is_back(
    editing_setup, private_redis, media_root, tmp_path, monkeypatch
) -> None:
    personas, attachment, fake_ds = editing_setup
    machine_redis = os.environ.get("REDIS_URL")
    # broker_for() takes the broker from REDIS_URL: point it at the private server, never the machine's one.
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    with celery_workers(broker_kind="redis", media_root=media_root, folder=tmp_path) as workers:
        # The workers keep the test process's cache; only the broker is the private server.
        workers.env.pop("REDIS_URL")
        workers.env.update({"REDIS_URL": machine_redis} if machine_redis else {})
        worker = workers.start()
        cfg = editor_config(personas, attachment)
        session = fake_ds.open(cfg)
        uid = cfg["editorConfig"]["user"]["id"]
        session.edit(uid, b"typed while redis was down")
        # The real DS's resend delays (1, 2, 4 s): long enough for Redis to come back.
        fake_ds.retry_factor = 1.0

        private_redis.stop()
        with ThreadPoolExecutor(max_workers=1) as pool:
            closing = pool.submit(session.close, uid)
            # A second delivery means the first was answered with an error: recorded, not acknowledged.
            poll_until(
                lambda: CallbackEvent.objects.filter(attachment=attachment, status=2).count() >= 2,
                what="the DS resending the refused save",
            )
            assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.PENDING
            private_redis.start()
            record = closing.result(timeout=30)

        assert record.succeeded and record.attempts >= 2
        poll_until(lambda: version_numbers(attachment) == [1, 2], what="the save once Redis is back", workers=[worker])
        assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED
        assert Version.objects.get(attachment=attachment, number=2).file.read() == b"typed while redis was down"


@pytest.mark.worker
def test_it_retries_a_failing_ds_link_then_shows_the_failure_and_stores_nothing(
    editing_setup, celery_worker_process
) -> None:
    personas, attachment, fake_ds = editing_setup
    worker = celery_worker_process.start(extra_env=FAST_RETRIES)
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"never delivered", "docx")
    fake_ds.blob(url).fail_with(500)

    send_save(fake_ds, cfg, url)

    save = poll_until(
        lambda: SaveRequest.objects.filter(attachment=attachment, state=SaveRequest.State.FAILED).first(),
        what="the save marked failed after its retries",
        workers=[worker],
    )
    assert save.attempts == MAX_RETRIES + 1
    assert "500" in save.last_error
    assert len(fake_ds.requests_to("/cache/files/")) == MAX_RETRIES + 1
    assert version_numbers(attachment) == [1]
    assert len(stored_files()) == 1


@pytest.fixture
def full_disk(_isolated_media: Path) -> Iterator[Path]:
    """The media folder on a 1 MB tmpfs; the returned filler file, once written to the end, fills it."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(_isolated_media)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield _isolated_media / "filler"
    finally:
        subprocess.run(["umount", "-l", str(_isolated_media)], check=False)


def _fill(path: Path) -> None:
    with path.open("wb", buffering=0) as handle, pytest.raises(OSError) as raised:
        _write_until_an_error(handle)
    assert raised.value.errno == errno.ENOSPC


def _write_until_an_error(handle: BinaryIO) -> None:
    while True:
        handle.write(b"\0" * 65536)
        handle.flush()


@pytest.mark.filesystem_only("a full disk is a local file system's failure")
@pytest.mark.worker
def test_it_retries_a_save_on_a_full_disk_and_stores_it_once_there_is_room(
    full_disk, editing_setup, celery_worker_process
) -> None:
    personas, attachment, fake_ds = editing_setup
    # Slower retries than elsewhere: the test frees the disk between two of them.
    worker = celery_worker_process.start(extra_env={"CONNECTOR_SAVE_RETRY_BASE_SECONDS": "0.5"})
    _fill(full_disk)
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"x" * 200_000, "docx")

    send_save(fake_ds, cfg, url)

    poll_until(
        lambda: SaveRequest.objects.filter(attachment=attachment, attempts__gte=1, last_error__contains="storage"),
        what="a save refused by the full disk",
        workers=[worker],
    )
    assert version_numbers(attachment) == [1]
    assert stored_files() == [Version.objects.get(attachment=attachment).file.name]
    full_disk.unlink()
    poll_until(
        lambda: SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED,
        what="the save once there is room",
        workers=[worker],
    )
    save = SaveRequest.objects.get(attachment=attachment)
    assert save.attempts >= 2
    assert version_numbers(attachment) == [1, 2]
    assert Version.objects.get(attachment=attachment, number=2).file.read() == b"x" * 200_000
    assert len(stored_files()) == 2


@pytest.mark.postgres
@pytest.mark.worker
def test_it_answers_a_retryable_error_when_the_database_connection_drops_and_the_retry_saves(
    editing_setup, celery_worker_process
) -> None:
    import psycopg

    personas, attachment, fake_ds = editing_setup
    worker = celery_worker_process.start()
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, b"saved over a dropped connection")
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    with psycopg.connect(**params, port=db["PORT"] or None) as saboteur, ThreadPoolExecutor(max_workers=1) as pool:
        # Holding a lock the callback needs keeps its connection waiting, so that we can cut that one only.
        saboteur.execute("LOCK TABLE connector_callbackevent IN ACCESS EXCLUSIVE MODE")
        closing = pool.submit(session.close, uid)
        waiting = poll_until(
            lambda: (
                saboteur.execute("select pg_stat_clear_snapshot()")
                and saboteur.execute(
                    "select pid from pg_stat_activity where datname = current_database()"
                    " and wait_event_type = 'Lock' and pid <> pg_backend_pid()"
                ).fetchall()
            ),
            what="the callback waiting for the database",
        )
        assert len(waiting) == 1
        saboteur.execute("select pg_terminate_backend(%s)", [waiting[0][0]])
        saboteur.rollback()
        record = closing.result(timeout=30)

    assert record.succeeded and record.attempts == 2
    poll_until(lambda: version_numbers(attachment) == [1, 2], what="the saved version", workers=[worker])
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED
    assert CallbackEvent.objects.filter(attachment=attachment, status=2).count() == 1


def _callbacks_for(fake_ds, cfg: dict, index: int, serial: Iterator[int]) -> tuple[list[dict], int]:
    """Five callbacks for one file, and how many new versions they must make."""
    key, uid = cfg["document"]["key"], cfg["editorConfig"]["user"]["id"]

    def save(status: int) -> dict:
        # Each save its own lastsave: the DS's identity of a save, which our dedupe key is made of.
        number = next(serial)
        url = put_blob(fake_ds, key, f"file {index}, save {number}".encode(), "docx")
        return save_fields(cfg, url, status=status, lastsave=f"2026-03-29T10:00:{number:02d}.000Z")

    editing = {"key": key, "status": 1, "users": [uid], "actions": [{"type": 1, "userid": uid}]}
    closed = {"key": key, "status": 4, "users": [], "actions": [{"type": 0, "userid": uid}]}
    forcesave, final = save(6), save(2)
    if index % 2 == 0:
        # A forcesave and a final save, each delivered twice: two new versions.
        return [editing, forcesave, dict(forcesave), final, dict(final)], 2
    return [closed, forcesave, save(6), final, editing], 3


@pytest.mark.worker
def test_it_stores_exactly_the_expected_versions_under_50_concurrent_callbacks(
    editing_setup, make_attachment, celery_worker_process
) -> None:
    personas, _first, fake_ds = editing_setup
    worker = celery_worker_process.start(concurrency=2)
    serial = itertools.count(1)
    expected: dict[int, int] = {}
    deliveries: list[tuple[str, dict]] = []
    for index in range(10):
        attachment = make_attachment(personas.space, f"file-{index}.docx", content=b"v1", user=personas.owner)
        cfg = editor_config(personas, attachment)
        batch, new_versions = _callbacks_for(fake_ds, cfg, index, serial)
        deliveries += [(cfg["editorConfig"]["callbackUrl"], fields) for fields in batch]
        expected[attachment.pk] = 1 + new_versions
    assert len(deliveries) == 50

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda job: fake_ds.send_callback(*job), deliveries))

    assert answers == [(200, {"error": 0})] * 50
    for attachment in Attachment.objects.filter(pk__in=expected):
        poll_until(
            lambda attachment=attachment: version_numbers(attachment) == list(range(1, expected[attachment.pk] + 1)),
            what=f"{expected[attachment.pk]} versions of {attachment.title}",
            workers=[worker],
        )
    assert sorted(SaveRequest.objects.values_list("state", flat=True).distinct()) == [SaveRequest.State.SAVED]
    assert SaveRequest.objects.count() == sum(count - 1 for count in expected.values())
    for attachment_id, count in expected.items():
        edited = Version.objects.filter(attachment_id=attachment_id, number__gt=1)
        assert len({version.file.read() for version in edited}) == count - 1
