"""A converted file is stored only if it is what was asked for: through the pages, the fake Document Server over
real HTTP and our own download endpoint; and connector.converted's check on its own."""

from __future__ import annotations

import io
import logging
import os
import zipfile
from pathlib import Path

import pytest
import requests
from django.core.files.storage import default_storage
from django.urls import reverse

from attachments import ooxml
from attachments.models import Attachment
from connector import ds_settings
from connector.converted import SPOOL_IN_MEMORY, ConvertedTypeMismatch, verified_chunks, verify_converted
from tests.fakeds import FakeDocServer
from tests.fakeds.receiver import Receiver
from tests.fakeds.rendering import minimal_pdf
from tests.test_connector_conversion import _start, _status, _stored_files
from tests.test_fakeds import convert


@pytest.fixture
def connected(live_server, fake_ds: FakeDocServer, personas) -> FakeDocServer:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret, connector_url=live_server.url)
    return fake_ds


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content/>')
    return buffer.getvalue()


def _rejections(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "connector.converted" and record.levelno == logging.WARNING
    ]


# --- the fake's broken converter --------------------------------------------------------------------------


def test_it_fakes_a_converter_that_returns_its_input_unchanged(fake_ds: FakeDocServer) -> None:
    source = ooxml.docx_bytes(["Revenue went up"])
    with Receiver() as peer:
        url = peer.serve("/Report.docx", source)
        body = {"url": url, "filetype": "docx", "outputtype": "pdf", "title": "Report.docx"}
        fake_ds.return_input_unchanged()
        broken = convert(fake_ds, {**body, "key": "broken-1"}).json()
        fake_ds.return_input_unchanged(False)
        repaired = convert(fake_ds, {**body, "key": "repaired-1"}).json()

    assert broken["fileType"] == "pdf" and broken["endConvert"] is True
    assert requests.get(broken["fileUrl"], timeout=5).content == source
    assert requests.get(repaired["fileUrl"], timeout=5).content.startswith(b"%PDF-")


# --- end to end ------------------------------------------------------------------------------------------


def test_it_fails_a_download_as_pdf_that_is_not_a_pdf_and_stores_nothing(
    connected, personas, make_attachment, caplog
) -> None:
    source = ooxml.docx_bytes(["Revenue went up"])
    original = make_attachment(personas.space, "Quarterly Report.docx", source)
    files_before = _stored_files()
    connected.return_input_unchanged()
    client = personas.client_for("viewer")

    job, response = _start(client, original, kind="download", output_type="pdf")

    status = _status(client, job)
    assert status["state"] == "failed", status
    assert status["message"] == "The Document Server returned a file that is not in the PDF format."
    assert status["result"] == {}
    job.refresh_from_db()
    assert job.result_file == "" and job.error_code is None
    assert client.get(reverse("onlyoffice-conversion-file", args=[job.pk])).status_code == 404
    page = client.get(response["Location"]).content.decode()
    assert "The Document Server returned a file that is not in the PDF format." in page
    assert "Try again" in page
    assert _stored_files() == files_before
    assert Attachment.objects.filter(space=personas.space).count() == 1
    assert _rejections(caplog) == [
        f"conversion {job.pk} rejected: expected pdf, the Document Server returned docx "
        f"({len(source)} bytes, starting {source[:16]!r})"
    ]
    # The wrong file really came over HTTP, from the fake's cache link.
    assert connected.requests_to("/cache/files/")


def test_it_adds_no_attachment_when_the_ooxml_result_is_not_ooxml(connected, personas, make_attachment, caplog) -> None:
    original = make_attachment(personas.space, "Minutes.odt", odt_bytes())
    files_before = _stored_files()
    connected.return_input_unchanged()
    client = personas.client_for("editor")

    job, _response = _start(client, original, kind="ooxml")

    status = _status(client, job)
    assert status["state"] == "failed", status
    assert status["message"] == "The Document Server returned a file that is not in the DOCX format."
    assert list(Attachment.objects.filter(space=personas.space).values_list("title", flat=True)) == ["Minutes.odt"]
    assert _stored_files() == files_before
    assert "expected docx, the Document Server returned odt" in _rejections(caplog)[0]


@pytest.mark.parametrize(
    ("title", "content", "kind", "output_type"),
    [
        # openpyxl writes [Content_Types].xml last: only a check of the whole zip finds it.
        ("Budget.ods", b"an ods the fake does not read", "ooxml", "xlsx"),
        ("Deck.odp", b"an odp the fake does not read", "ooxml", "pptx"),
        ("Notes.docx", ooxml.docx_bytes(["Hello"]), "download", "pdf"),
        ("Notes.docx", ooxml.docx_bytes(["Hello"]), "download", "txt"),
        ("Table.xlsx", ooxml.xlsx_bytes([["Hello"]]), "download", "csv"),
    ],
)
def test_it_still_stores_a_result_of_the_right_type(
    connected, personas, make_attachment, caplog, title, content, kind, output_type
) -> None:
    original = make_attachment(personas.space, title, content)
    client = personas.client_for("editor")

    job, _response = _start(client, original, kind=kind, output_type=output_type)

    assert _status(client, job)["state"] == "done"
    job.refresh_from_db()
    if kind == "ooxml":
        assert job.result_attachment.title == f"{title.rsplit('.', 1)[0]}.{output_type}"
    else:
        assert default_storage.exists(job.result_file)
    assert _rejections(caplog) == []


# --- the check on its own --------------------------------------------------------------------------------


def test_it_accepts_a_path_bytes_or_a_file(tmp_path: Path) -> None:
    pdf = minimal_pdf(["Hello"])
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    handle = io.BytesIO(pdf)

    verify_converted(path, "pdf")
    verify_converted(str(path), "pdf")
    verify_converted(pdf, "pdf")
    verify_converted(handle, "pdf")

    assert handle.tell() == 0


def test_it_raises_a_typed_error_naming_both_types(caplog) -> None:
    with pytest.raises(ConvertedTypeMismatch) as raised:
        verify_converted(ooxml.xlsx_bytes([]), "docx", label="save request 7")

    assert (raised.value.expected, raised.value.found) == ("docx", "xlsx")
    assert raised.value.message == "The Document Server returned a file that is not in the DOCX format."
    assert raised.value.transient is False and raised.value.code is None
    assert _rejections(caplog)[0].startswith(
        "save request 7 rejected: expected docx, the Document Server returned xlsx"
    )


def test_it_hands_on_a_big_result_unchanged_after_checking_it() -> None:
    # Bigger than what is checked in memory, so it is read back from a temporary file; with the content types at
    # the end of the zip, after the bulk, as openpyxl writes them.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/media/image1.bin", os.urandom(SPOOL_IN_MEMORY + 1024))
        for name, data in _members(ooxml.docx_bytes(["Hello"])):
            archive.writestr(name, data)
    big = buffer.getvalue()
    pieces = [big[start : start + 65536] for start in range(0, len(big), 65536)]

    with verified_chunks(iter(pieces), expected_ext="docx") as chunks:
        handed_on = b"".join(chunks)

    assert handed_on == big


def _members(package: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def test_it_yields_nothing_when_the_chunks_are_of_another_type() -> None:
    handed_on = []

    with pytest.raises(ConvertedTypeMismatch), verified_chunks([b"%PDF-1.4\n", b"rest"], expected_ext="xlsx") as chunks:
        handed_on.extend(chunks)

    assert handed_on == []
