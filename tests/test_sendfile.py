"""ATTACHMENTS_SENDFILE: behind nginx or Apache the proxy sends version files; the app only says which."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse


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
