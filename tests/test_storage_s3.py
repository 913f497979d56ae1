"""Files in object storage: every kind of write, and the reads after it, against a real S3 server (``s3``).

The default storage is django-storages' S3 backend configured as ``STORAGE_BACKEND=s3`` configures it, on a
bucket of moto's standalone server, a subprocess on 127.0.0.1 (tests/support/s3.py). Pages, API and the save
pipeline run over real HTTP, the fake Document Server included.
"""

from __future__ import annotations

import hashlib
import io
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.urls import reverse

from attachments.models import Attachment
from attachments.storage import CHUNK_SIZE, FileTooLarge, _MeasuredStream, store_chunks
from connector import ds_settings
from connector.models import ConversionJob, SaveRequest
from connector.tasks import save_document
from tests.conftest import Personas
from tests.support.documents import docx_bytes
from tests.support.s3 import S3Bucket
from tests.support.workers import celery_workers
from tests.test_connector_callback import editor_config, put_blob
from tests.test_connector_save_failures import send_save

MB = 1024 * 1024
# boto3 uploads a file of 8 MB or more in parts of 8 MB (its TransferConfig defaults, which we keep).
PART_SIZE = 8 * MB
LARGE_FILE = 200 * MB
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_of(response: StreamingHttpResponse) -> bytes:
    # Read to the end, and the test client closes the response itself; closing it again here would close the
    # test's database connection (request_finished).
    return b"".join(response.streaming_content)


def random_chunks(total: int, seed: bytes = b"") -> Iterator[bytes]:
    """``total`` bytes that do not repeat, in chunks of 1 MB, made as they are read (nothing held in memory)."""
    for offset in range(0, total, CHUNK_SIZE):
        yield hashlib.shake_256(seed + offset.to_bytes(8, "big")).digest(min(CHUNK_SIZE, total - offset))


@pytest.mark.s3
def test_it_uploads_downloads_and_restores_files_in_the_bucket_through_the_pages(
    s3_storage: S3Bucket, personas: Personas
) -> None:
    content = bytes(range(256)) * 40
    client = personas.client_for("editor")
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

    uploaded = client.post(
        reverse("attachment_upload", args=[personas.space.id]),
        {"file": SimpleUploadedFile("Plan.xlsx", content)},
        **xhr,
    )
    assert uploaded.status_code == 201, uploaded.content[:500]
    attachment = Attachment.objects.get()
    first = attachment.versions.get(number=1)
    assert s3_storage.keys() == [first.file.name]
    assert s3_storage.read(first.file.name) == content
    assert s3_storage.head(first.file.name)["ContentType"] == XLSX_TYPE

    download = client.get(reverse("attachment_download", args=[attachment.id]))
    assert download.status_code == 200
    assert download["Content-Length"] == str(len(content))
    assert body_of(download) == content

    second = client.post(
        reverse("version_upload", args=[attachment.id]), {"file": SimpleUploadedFile("x.xlsx", b"second")}, **xhr
    )
    assert second.status_code == 201, second.content[:500]
    restored = client.post(reverse("version_restore", args=[attachment.id, 1]))
    assert restored.status_code == 302
    names = {v.number: v.file.name for v in attachment.versions.all()}
    assert s3_storage.keys() == sorted(names.values())
    assert (s3_storage.read(names[2]), s3_storage.read(names[3])) == (b"second", content)
    latest = client.get(reverse("attachment_download", args=[attachment.id]))
    assert body_of(latest) == content


@pytest.mark.s3
def test_it_stores_a_new_version_uploaded_through_the_api_in_the_bucket(
    s3_storage: S3Bucket, personas: Personas, make_attachment
) -> None:
    attachment = make_attachment(personas.space, "report.docx", b"first version", user=personas.owner)
    client = personas.client_for("editor")

    created = client.post(
        f"/api/attachments/{attachment.id}/versions/",
        {"file": SimpleUploadedFile("report.docx", b"second version"), "comment": "From the API"},
    )

    assert created.status_code == 201, created.content[:500]
    assert created.json()["sha256"] == hashlib.sha256(b"second version").hexdigest()
    version = attachment.versions.get(number=2)
    assert s3_storage.keys() == sorted([attachment.versions.get(number=1).file.name, version.file.name])
    assert s3_storage.read(version.file.name) == b"second version"
    download = client.get(created.json()["download_url"])
    assert download.status_code == 200
    assert body_of(download) == b"second version"


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_stores_the_file_edited_in_the_document_server_in_the_bucket(s3_storage: S3Bucket, editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, b"edited bytes")

    record = session.close(uid)

    assert (record.http_status, record.response_json) == (200, {"error": 0})
    attachment.refresh_from_db()
    assert attachment.current_version == 2
    original, edited = attachment.versions.get(number=1), attachment.versions.get(number=2)
    # The DS downloaded the original from us, read out of the bucket.
    assert fake_ds.requests_to("/cache/files/")
    assert s3_storage.read(edited.file.name) == b"edited bytes"
    changes = edited.edit_info.changes_file.name
    assert s3_storage.keys() == sorted([original.file.name, edited.file.name, changes])
    assert s3_storage.read(changes).startswith(b"PK")


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_stores_a_download_as_result_in_the_bucket_and_serves_it(
    s3_storage: S3Bucket, personas: Personas, make_attachment, live_server, fake_ds
) -> None:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret, connector_url=live_server.url)
    original = make_attachment(personas.space, "Quarterly Report.docx", docx_bytes("Revenue went up"))
    client = personas.client_for("viewer")

    started = client.post(reverse("onlyoffice-convert", args=[original.pk]), {"kind": "download", "output_type": "pdf"})

    assert started.status_code == 302, started.content[:500]
    job = ConversionJob.objects.get(pk=int(re.search(r"/conversions/(\d+)/$", started["Location"]).group(1)))
    assert job.result_file.startswith(f"conversions/{job.pk}/")
    assert s3_storage.keys() == sorted([original.versions.get().file.name, job.result_file])
    download = client.get(reverse("onlyoffice-conversion-file", args=[job.pk]))
    assert download.status_code == 200
    body = body_of(download)
    assert body.startswith(b"%PDF-") and b"Revenue went up" in body
    assert s3_storage.read(job.result_file) == body


@pytest.mark.s3
def test_it_uploads_a_file_larger_than_one_part_in_parts(
    s3_storage: S3Bucket, personas: Personas, tmp_path: Path
) -> None:
    size = 2 * PART_SIZE + 4 * MB
    source = tmp_path / "big.bin"
    expected = hashlib.sha256()
    with source.open("wb") as handle:
        for chunk in random_chunks(size):
            expected.update(chunk)
            handle.write(chunk)
    client = personas.client_for("editor")

    with source.open("rb") as handle:
        created = client.post("/api/attachments/", {"space": personas.space.pk, "file": handle})

    assert created.status_code == 201, created.content[:500]
    assert created.json()["sha256"] == expected.hexdigest()
    name = Attachment.objects.get().versions.get().file.name
    head = s3_storage.head(name)
    assert head["ContentLength"] == size
    # S3 gives an object uploaded in parts the ETag "<md5 of the parts' md5s>-<number of parts>".
    assert head["ETag"].strip('"').endswith("-3")
    download = client.get(created.json()["download_url"])
    assert hashlib.sha256(body_of(download)).hexdigest() == expected.hexdigest()


@pytest.mark.s3
def test_it_refuses_a_file_over_the_limit_and_leaves_nothing_in_the_bucket(s3_storage: S3Bucket) -> None:
    # Past the first part: the multipart upload had begun when the limit was hit.
    limit = PART_SIZE + 4 * MB

    with pytest.raises(FileTooLarge):
        store_chunks(random_chunks(2 * PART_SIZE), name="spaces/1/too-large.docx", max_size=limit)

    assert s3_storage.keys() == []
    assert s3_storage.pending_uploads() == []


@pytest.mark.s3
def test_it_stores_a_file_exactly_at_the_limit_with_its_size_and_hash(s3_storage: S3Bucket) -> None:
    limit = PART_SIZE + 1
    expected = hashlib.sha256(b"".join(random_chunks(limit))).hexdigest()

    stored = store_chunks(random_chunks(limit), name="spaces/1/at-the-limit.docx", max_size=limit)

    assert (stored.size, stored.sha256) == (limit, expected)
    assert s3_storage.keys() == [stored.name]
    assert hashlib.sha256(s3_storage.read(stored.name)).hexdigest() == expected


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("inline_retries")
def test_it_leaves_nothing_in_the_bucket_when_the_edited_file_breaks_off_midway(
    s3_storage: S3Bucket, editing_setup
) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    edited = b"".join(random_chunks(2 * PART_SIZE + 4 * MB, seed=b"edited"))
    url = put_blob(fake_ds, cfg["document"]["key"], edited, "docx")
    # Half the file, then the connection closes: the upload to the bucket was in its second part.
    fake_ds.blob(url).close_mid_body(times=1)

    send_save(fake_ds, cfg, url)

    save = SaveRequest.objects.get(attachment=attachment)
    assert (save.state, save.attempts) == (SaveRequest.State.SAVED, 2)
    names = [version.file.name for version in attachment.versions.order_by("number")]
    assert s3_storage.keys() == sorted(names)
    assert s3_storage.pending_uploads() == []
    assert hashlib.sha256(s3_storage.read(names[1])).hexdigest() == hashlib.sha256(edited).hexdigest()


@pytest.mark.s3
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_streams_a_200_mb_edited_file_into_the_bucket_with_flat_memory(
    s3_storage: S3Bucket, editing_setup, tmp_path: Path
) -> None:
    personas, attachment, fake_ds = editing_setup
    ds_settings.update(max_edit_size=LARGE_FILE + MB)
    cfg = editor_config(personas, attachment)
    published = hashlib.sha256()
    edited = bytearray()
    for chunk in random_chunks(LARGE_FILE, seed=b"large"):
        published.update(chunk)
        edited += chunk
    url = put_blob(fake_ds, cfg["document"]["key"], bytes(edited), "docx")
    del edited
    # The callback only queues the save (on a broker no worker reads), as in production; run inline, a save of
    # this size would outlast the DS's 10 s wait for the callback's answer.
    with celery_workers(broker_kind="filesystem", media_root=tmp_path, folder=tmp_path):
        send_save(fake_ds, cfg, url)
    queued = SaveRequest.objects.get(attachment=attachment)
    assert queued.state == SaveRequest.State.PENDING

    # Counted from here: what the save task holds while the file streams from the fake DS into the bucket; the
    # published file itself was allocated before.
    tracemalloc.start()
    try:
        save_document.apply(args=[queued.pk])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.SAVED
    name = attachment.versions.get(number=2).file.name
    assert s3_storage.head(name)["ContentLength"] == LARGE_FILE
    assert s3_storage.pending_uploads() == []
    stored = hashlib.sha256()
    for chunk in s3_storage.client.get_object(Bucket=s3_storage.name, Key=name)["Body"].iter_chunks(CHUNK_SIZE):
        stored.update(chunk)
    assert stored.hexdigest() == published.hexdigest()
    # boto3 holds at most 10 parts of 8 MB in flight; the whole file in memory would be 200 MB.
    assert peak < 100 * MB, f"peak {peak / MB:.0f} MB while saving a {LARGE_FILE // MB} MB file"


def test_it_works_as_a_read_only_stream_for_storages_that_ask() -> None:
    # No server needed: what django-storages and boto3 ask of the file object, answered as files answer.
    stream = _MeasuredStream([b"ab", b"", b"cde"], max_size=None)
    buffer = bytearray(4)

    assert (stream.readable(), stream.seekable(), stream.writable(), stream.closed) == (True, False, False, False)
    assert stream.readinto(buffer) == 4 and bytes(buffer) == b"abcd"
    assert stream.read() == b"e"
    assert stream.read(10) == b""
    with pytest.raises(io.UnsupportedOperation):
        stream.seek(0)
    stream.close()
    assert stream.closed
    with pytest.raises(ValueError, match="closed file"):
        stream.read(1)
    assert (stream.bytes_read, stream.digest.hexdigest()) == (5, hashlib.sha256(b"abcde").hexdigest())


@pytest.mark.s3
def test_it_finds_and_deletes_orphan_files_in_the_bucket(
    personas: Personas, make_attachment, s3_storage: S3Bucket
) -> None:
    from datetime import timedelta

    from connector.sweep import orphan_files, orphan_files_sweep

    kept = make_attachment(personas.space, "kept.docx", content=b"referenced")
    orphan = store_chunks([b"no row points at me"], name=f"spaces/{personas.space.pk}/0123456789abcdef.docx")

    assert orphan_files(min_age=timedelta(0)) == [orphan.name]
    assert orphan_files_sweep(min_age=timedelta(0)) == [orphan.name]
    assert orphan_files(min_age=timedelta(0)) == []
    assert kept.versions.get().file.open("rb").read() == b"referenced"
