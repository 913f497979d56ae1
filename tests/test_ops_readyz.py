"""`/readyz`: database, broker and storage decide readiness; the Document Server is reported on its own."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.test import Client

from connector import ds_settings
from tests.support.storage_run import stored_names

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    # Bound then released: nothing listens there for the few milliseconds the test needs it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_is_ready_when_database_broker_and_storage_work() -> None:
    response = Client().get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    for name in ("database", "broker", "storage"):
        assert body["checks"][name]["ok"] is True
        assert body["checks"][name]["latency_ms"] >= 0
    assert body["documentserver"] == {"ok": None, "status": "not configured"}


def test_it_is_not_ready_when_the_broker_is_down(settings) -> None:
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://:broker-password@127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True
    # The body names what failed, never where the broker is or its password.
    assert "broker-password" not in response.content.decode()
    assert str(port) not in response.content.decode()


def test_it_is_not_ready_when_storage_is_not_writable(settings, tmp_path: Path) -> None:
    # A file where the storage's folder should be: writing fails even for root, unlike a read-only mode.
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["storage"]["error"]
    assert str(tmp_path) not in response.content.decode()


def test_it_leaves_no_probe_file_behind() -> None:
    assert Client().get("/readyz").status_code == 200

    assert stored_names() == set()


def test_it_stays_ready_when_the_document_server_is_down() -> None:
    ds_settings.update(public_url=f"http://127.0.0.1:{_closed_port()}", jwt_secret="s3cret-for-readyz-test")

    response = Client().get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["documentserver"]["ok"] is False
    assert body["documentserver"]["status"] == "unreachable"
    assert "s3cret-for-readyz-test" not in response.content.decode()


def test_it_reports_a_healthy_document_server(fake_ds) -> None:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret)

    body = Client().get("/readyz").json()

    assert body["documentserver"]["ok"] is True
    assert body["documentserver"]["status"] == "healthy"


def test_it_reports_a_document_server_that_says_it_is_unhealthy(fake_ds) -> None:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret)
    fake_ds.health = False

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json()["documentserver"] == {
        "ok": False,
        "status": "unhealthy",
        "latency_ms": response.json()["documentserver"]["latency_ms"],
    }


def test_it_says_what_an_http_error_from_the_document_server_means(fake_ds) -> None:
    # Something answers at the address, so it is not "unreachable": it is not the Document Server.
    ds_settings.update(public_url=f"{fake_ds.url}/not-the-document-server", jwt_secret=fake_ds.secret)

    response = Client().get("/readyz")

    assert response.status_code == 200
    server = response.json()["documentserver"]
    assert server["ok"] is False
    assert server["status"] == "http error"
    assert server["http_status"] == 404
    assert server["detail"] == "answered HTTP 404: is the internal URL the Document Server's?"
    assert fake_ds.secret not in response.content.decode()
