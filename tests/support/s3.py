"""A real S3-compatible server for tests: moto's standalone server, one process per test session.

Tests marked ``s3`` use the ``s3_storage`` fixture: a fresh bucket on that server, and Django's default
storage pointed at it with the production settings (``STORAGE_BACKEND=s3``), so that everything the test
does over HTTP reads and writes objects in the bucket.

    @pytest.mark.s3
    def test_it_stores(s3_storage):
        ...
        assert s3_storage.keys() == [version.file.name]

The server starts on first use (after the ``s3`` marker's check, so a missing moto skips or fails the test as
tests/conftest.py decides) and stops when the session ends.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# moto accepts any credentials; these only have to be the same on both sides.
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


@functools.cache
def server_available() -> tuple[bool, str]:
    """Whether moto's standalone server can run here (its module imports), and what to install if not."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        return False, f"needs moto's S3 server: pip install -r requirements-dev.txt ({exc})"
    return True, ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class S3Server:
    """moto's server as a subprocess on 127.0.0.1, started on the first ``ensure_started``."""

    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    endpoint_url: str = ""
    _client: Any = None

    def ensure_started(self) -> None:
        if self.process is not None:
            if self.process.poll() is not None:
                pytest.fail(f"the S3 server exited with {self.process.returncode}:\n{self.log_text()}")
            return
        available, reason = server_available()
        if not available:
            pytest.fail(reason)
        port = _free_port()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        # Killed however the test process ends, even where the session's teardown never runs.
        atexit.register(_stop, self.process)
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self._wait_ready(port)

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        assert self.process is not None
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return
            if time.monotonic() > deadline:
                _stop(self.process)
                pytest.fail(f"the S3 server did not listen within {READY_TIMEOUT:.0f}s:\n{self.log_text()}")
            # Paces the polling and notices at once when the server died (a port taken meanwhile, say).
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.05)
                pytest.fail(f"the S3 server exited with {self.process.returncode}:\n{self.log_text()}")

    def client(self) -> Any:
        # One client for the session (boto3's clients are thread-safe): making one reads botocore's S3 model anew.
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def new_bucket(self, name: str) -> S3Bucket:
        bucket = S3Bucket(name=name, client=self.client())
        bucket.client.create_bucket(Bucket=name)
        return bucket

    def environment(self, bucket_name: str, *, region: str = REGION) -> dict[str, str]:
        """The variables an operator sets for ``STORAGE_BACKEND=s3`` on this server's bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket_name,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": region,
            "AWS_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_LOCATION": "",
        }

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


@dataclass
class S3Bucket:
    """One test's bucket, and what is in it."""

    name: str
    client: Any

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def pending_uploads(self) -> list[str]:
        """Multipart uploads begun and neither completed nor aborted: their parts are stored (and billed)."""
        answer = self.client.list_multipart_uploads(Bucket=self.name)
        return sorted(upload["Key"] for upload in answer.get("Uploads", ()))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.name, Key=key)

    def remove(self) -> None:
        """Empty and delete the bucket, so that the server's memory holds only the running test's files."""
        for upload in self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", ()):
            self.client.abort_multipart_upload(Bucket=self.name, Key=upload["Key"], UploadId=upload["UploadId"])
        for key in self.keys():
            self.client.delete_object(Bucket=self.name, Key=key)
        self.client.delete_bucket(Bucket=self.name)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """The session's S3 server; started by the first test that needs it, stopped at the end of the session."""
    server = S3Server(log_path=tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_storage(
    s3_server: S3Server,
    _required_services: None,
    _isolated_media: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[S3Bucket]:
    """A fresh bucket, and the default storage pointed at it exactly as ``STORAGE_BACKEND=s3`` configures it.

    Depends on ``_isolated_media`` so that its file-system storage is replaced, not the other way round.
    """
    from config import settings as app_settings

    s3_server.ensure_started()
    bucket = s3_server.new_bucket(f"test-{uuid.uuid4().hex[:24]}")
    for name, value in s3_server.environment(bucket.name).items():
        monkeypatch.setenv(name, value)
        monkeypatch.delenv(f"{name}_FILE", raising=False)  # a secret file would win over the value
    # The production function builds the options, so the tests see what an operator's settings produce.
    settings.STORAGES = {**settings.STORAGES, "default": app_settings._s3_storage()}
    yield bucket
    bucket.remove()
