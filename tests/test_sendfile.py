"""ATTACHMENTS_SENDFILE: behind nginx or Apache the proxy sends version files; the app only says which."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

# With files in a bucket there is no path to hand over: the app streams (tests/test_storage_s3.py).
LOCAL_FILES = pytest.mark.filesystem_only("nginx and Apache send files from the local media folder")


@pytest.fixture
def report(personas, make_attachment):
    return make_attachment(personas.space, title="Bericht März.docx", content=b"the bytes of the report")


def _download(client: Client, user, attachment) -> object:
    client.force_login(user)
    return client.get(reverse("attachment_download", args=[attachment.pk]))


def test_it_streams_the_file_itself_when_sendfile_is_off(client, personas, report, settings):
    settings.ATTACHMENTS_SENDFILE = "off"
    response = _download(client, personas.viewer, report)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the bytes of the report"
    assert "X-Accel-Redirect" not in response and "X-Sendfile" not in response


@LOCAL_FILES
def test_it_hands_the_file_to_nginx_with_x_accel_redirect(client, personas, report, settings):
    settings.ATTACHMENTS_SENDFILE = "x-accel-redirect"
    settings.ATTACHMENTS_SENDFILE_PREFIX = "/internal-files/"
    response = _download(client, personas.viewer, report)
    version = report.versions.get(number=1)
    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/internal-files/{version.file.name}"
    assert response["ETag"] == f'"{version.sha256}"'
    assert "filename*=utf-8''Bericht%20M%C3%A4rz.docx" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


@LOCAL_FILES
def test_it_hands_the_absolute_path_to_apache_with_x_sendfile(client, personas, report, settings):
    settings.ATTACHMENTS_SENDFILE = "x-sendfile"
    response = _download(client, personas.viewer, report)
    path = Path(response["X-Sendfile"])
    assert path.is_absolute()
    assert path.read_bytes() == b"the bytes of the report"
    assert path == Path(default_storage.path(report.versions.get(number=1).file.name))


def test_it_still_refuses_an_outsider_with_sendfile_on(client, personas, report, settings):
    settings.ATTACHMENTS_SENDFILE = "x-accel-redirect"
    response = _download(client, personas.outsider, report)
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


@pytest.fixture
def tcp_connection() -> Iterator[socket.socket]:
    """The server's end of a real TCP connection on 127.0.0.1, as gunicorn hands it to the app."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        peer = socket.create_connection(listener.getsockname())
        server_end, _ = listener.accept()
    yield server_end
    server_end.close()
    peer.close()


def _corked(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 1


def test_under_gunicorn_it_corks_the_connection_while_the_file_goes_out_and_uncorks_once_it_is_sent(
    client, personas, report, settings, tcp_connection
):
    settings.ATTACHMENTS_SENDFILE = "off"
    client.force_login(personas.viewer)
    response = client.get(reverse("attachment_download", args=[report.pk]), **{"gunicorn.socket": tcp_connection})
    assert _corked(tcp_connection)
    assert b"".join(response.streaming_content) == b"the bytes of the report"  # the test client then closes it
    assert not _corked(tcp_connection)


@LOCAL_FILES
def test_it_leaves_the_connection_alone_when_nginx_sends_the_file(client, personas, report, settings, tcp_connection):
    settings.ATTACHMENTS_SENDFILE = "x-accel-redirect"
    client.force_login(personas.viewer)
    response = client.get(reverse("attachment_download", args=[report.pk]), **{"gunicorn.socket": tcp_connection})
    assert response.status_code == 200
    assert not _corked(tcp_connection)


def test_it_sends_the_file_as_before_over_a_unix_socket(client, personas, report, settings):
    settings.ATTACHMENTS_SENDFILE = "off"
    client.force_login(personas.viewer)
    left, right = socket.socketpair()
    with left, right:
        response = client.get(reverse("attachment_download", args=[report.pk]), **{"gunicorn.socket": left})
        assert b"".join(response.streaming_content) == b"the bytes of the report"
