"""Files through the API: byte-identical round trips, large files streamed, hostile filenames tamed."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client

from attachments.models import Attachment
from tests.conftest import Personas

MB = 1024 * 1024
# An en dash, spelled out so that nobody mistakes it for a hyphen.
UNICODE_NAME = "Prüfbericht \u2013 2026.docx"


def disposition_filename(header: str) -> str:
    """The filename a browser would use: RFC 6266 ``filename*`` when present, else the quoted ``filename``."""
    extended = re.search(r"filename\*=utf-8''([^;]+)", header, flags=re.IGNORECASE)
    if extended:
        return unquote(extended.group(1), encoding="utf-8", errors="strict")
    plain = re.search(r'filename="((?:[^"\\]|\\.)*)"', header)
    assert plain, header
    return re.sub(r"\\(.)", r"\1", plain.group(1))


def streamed_sha256(response: StreamingHttpResponse) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in response.streaming_content:
        digest.update(chunk)
        size += len(chunk)
    response.close()
    return digest.hexdigest(), size


def assert_stored_safely(attachment: Attachment, uploaded_name: str) -> None:
    """The storage name is ours alone (space folder, random hex, tame extension) and stays in the media root."""
    name = attachment.versions.get().file.name
    assert re.fullmatch(rf"spaces/{attachment.space_id}/[0-9a-f]{{32}}(\.[a-z0-9]{{1,10}})?", name), name
    assert uploaded_name not in name
    assert default_storage.exists(name)
    try:
        path = Path(default_storage.path(name)).resolve()
    except NotImplementedError:
        return  # a bucket: no folder to step out of, and the name above is the whole key
    assert path.is_relative_to(Path(default_storage.location).resolve())
    assert path.is_file()


def test_it_round_trips_every_byte_value(personas: Personas) -> None:
    content = bytes(range(256)) * 1000 + b"\r\n\x00"
    client = personas.client_for("editor")

    created = client.post(
        "/api/attachments/", {"space": personas.space.pk, "file": SimpleUploadedFile("data.bin", content)}
    ).json()
    response = client.get(created["download_url"])

    assert response.streaming is True
    assert response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content
    assert created["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.slow
def test_it_round_trips_a_50_mb_file_streamed(personas: Personas, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    expected = hashlib.sha256()
    with source.open("wb") as handle:
        for _ in range(50):
            chunk = os.urandom(MB)
            expected.update(chunk)
            handle.write(chunk)
    client = personas.client_for("editor")

    with source.open("rb") as handle:
        created = client.post("/api/attachments/", {"space": personas.space.pk, "file": handle})
    assert created.status_code == 201, created.content[:300]
    response = client.get(created.json()["download_url"])

    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Length"] == str(50 * MB)
    assert created.json()["sha256"] == expected.hexdigest()
    assert streamed_sha256(response) == (expected.hexdigest(), 50 * MB)


HOSTILE_NAMES = [
    ("../../etc/passwd", "passwd"),
    ("a\x00b.docx", "ab.docx"),
    ("x" * 396 + ".txt", "x" * 251 + ".txt"),
    ("\u202eslx.exe", "slx.exe"),
    ("con", "con"),
    (".", "untitled"),
    (UNICODE_NAME, UNICODE_NAME),
]
HOSTILE_IDS = ["traversal", "nul", "400-chars", "rtl-override", "con", "dot", "unicode"]


def upload_and_download(client: Client, attachment_id: int) -> tuple[bytes, str]:
    response = client.get(f"/api/attachments/{attachment_id}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content), response["Content-Disposition"]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE_NAMES, ids=HOSTILE_IDS)
def test_it_tames_a_hostile_title(personas: Personas, raw: str, shown: str) -> None:
    client = personas.client_for("editor")

    response = client.post(
        "/api/attachments/",
        {"space": personas.space.pk, "file": SimpleUploadedFile("plain.bin", b"payload"), "title": raw},
    )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["title"] == shown
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert_stored_safely(attachment, raw)
    content, disposition = upload_and_download(client, attachment.pk)
    assert content == b"payload"
    assert disposition.startswith("attachment;")
    assert disposition_filename(disposition) == shown


def multipart_body(space_id: int, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body carrying the filename exactly as given (the test client would take its basename)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="space"\r\n\r\n{space_id}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("raw", "shown"), [pair for pair in HOSTILE_NAMES if pair[0] != "."], ids=[i for i in HOSTILE_IDS if i != "dot"]
)
def test_it_tames_a_hostile_uploaded_filename(personas: Personas, raw: str, shown: str) -> None:
    client = personas.client_for("editor")
    body, content_type = multipart_body(personas.space.pk, raw, b"payload")

    response = client.post("/api/attachments/", body, content_type=content_type)

    assert response.status_code == 201, response.content[:300]
    assert response.json()["title"] == shown
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert_stored_safely(attachment, raw)
    content, disposition = upload_and_download(client, attachment.pk)
    assert (content, disposition_filename(disposition)) == (b"payload", shown)


def test_it_refuses_a_file_named_only_a_dot(personas: Personas) -> None:
    # Django's multipart parser drops a file called "." or "..": to the API there is no file at all.
    body, content_type = multipart_body(personas.space.pk, ".", b"payload")

    response = personas.client_for("editor").post("/api/attachments/", body, content_type=content_type)

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()


def test_it_sends_non_ascii_names_as_rfc_6266_filename_star(personas: Personas) -> None:
    client = personas.client_for("editor")
    created = client.post(
        "/api/attachments/",
        {"space": personas.space.pk, "file": SimpleUploadedFile(UNICODE_NAME, b"payload")},
    ).json()

    _content, disposition = upload_and_download(client, created["id"])

    assert "filename*=utf-8''Pr%C3%BCfbericht%20%E2%80%93%202026.docx" in disposition
