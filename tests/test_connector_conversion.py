"""Conversions: "Convert to OOXML" and "Download as", through the pages, the fake Document Server and our own
download endpoint (the fake fetches the source from the live server, with its JWT)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import docx
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attachments.models import Attachment, VersionSource
from config.celery_app import app as celery_app
from connector import conversion, ds_settings, sweep
from connector.docserver import CONVERSION_ERRORS
from connector.models import ConversionJob
from tests.conftest import Personas
from tests.fakeds import FakeDocServer
from tests.support.storage_run import stored_names

ODT_BYTES = b"PK\x03\x04 an odt the fake Document Server does not read, so it converts a placeholder"


@pytest.fixture
def connected(live_server, fake_ds: FakeDocServer, personas: Personas) -> FakeDocServer:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret, connector_url=live_server.url)
    return fake_ds


@pytest.fixture
def retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inline tasks retry as a worker would (at once) instead of raising ``Retry`` into the request."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


@pytest.fixture
def offline(personas: Personas) -> None:
    """Configured, but never contacted: for pages that do not run a conversion (jobs stay pending)."""
    ds_settings.update(public_url="http://127.0.0.1:9", jwt_secret="offline-secret-0123456789abcdef")


def _start(client: Client, attachment: Attachment, **fields: str) -> tuple[ConversionJob, object]:
    response = client.post(reverse("onlyoffice-convert", args=[attachment.pk]), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(re.search(r"/onlyoffice/conversions/(\d+)/$", response["Location"]).group(1))
    return ConversionJob.objects.get(pk=job_id), response


def _status(client: Client, job: ConversionJob) -> dict:
    response = client.get(reverse("onlyoffice-conversion-status", args=[job.pk]))
    assert response.status_code == 200
    return response.json()


def _stored_files() -> set[str]:
    return stored_names()


# --- convert to OOXML ------------------------------------------------------------------------------------


def test_it_converts_an_odt_to_a_new_docx_attachment_and_keeps_the_original(
    connected, personas, make_attachment
) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES, user=personas.owner)
    original_version = original.versions.get()
    client = personas.client_for("editor")

    job, _response = _start(client, original, kind="ooxml")

    status = _status(client, job)
    assert status["state"] == "done", status
    assert status["percent"] == 100
    created = Attachment.objects.get(space=personas.space, title="Minutes.docx")
    assert status["result"] == {
        "attachment": reverse("attachment_detail", args=[created.pk]),
        "editor": reverse("onlyoffice-editor", args=[created.pk]),
    }
    version = created.versions.get()
    assert version.source == VersionSource.CONVERSION
    assert version.comment == "Converted from Minutes.odt v1"
    assert version.created_by == personas.editor
    with version.file.open("rb") as handle:
        document = docx.Document(io.BytesIO(handle.read()))
    assert document.paragraphs, "the converted file is a real docx"
    original.refresh_from_db()
    assert original.current_version == 1
    assert original.versions.get().sha256 == original_version.sha256
    # The fake DS fetched the source from our download endpoint, and the result was polled with one key.
    converter_calls = [record.json() for record in connected.requests_to("/converter")]
    assert len(converter_calls) >= 2
    assert {call["key"] for call in converter_calls} == {job.key}
    assert all(call["async"] is True and call["outputtype"] == "docx" for call in converter_calls)
    assert converter_calls[0]["url"].startswith(
        f"{ds_settings.current().connector_url}/onlyoffice/download/{original.pk}/"
    )


def test_it_gives_a_second_conversion_a_unique_name(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    client = personas.client_for("editor")

    _start(client, original, kind="ooxml")
    second, _response = _start(client, original, kind="ooxml")

    titles = sorted(Attachment.objects.filter(space=personas.space).values_list("title", flat=True))
    assert titles == ["Minutes (2).docx", "Minutes.docx", "Minutes.odt"]
    second.refresh_from_db()
    assert second.result_attachment.title == "Minutes (2).docx"


def test_it_offers_to_open_the_converted_file_in_the_editor(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Deck.odp", b"odp bytes")
    client = personas.client_for("editor")

    _job, response = _start(client, original, kind="ooxml")
    page = client.get(response["Location"]).content.decode()

    created = Attachment.objects.get(space=personas.space, title="Deck.pptx")
    editor_url = reverse("onlyoffice-editor", args=[created.pk])
    assert re.search(rf'href="{editor_url}" target="_blank" rel="noopener"', page)
    assert f'href="{reverse("attachment_detail", args=[created.pk])}"' in page
    assert "Open in ONLYOFFICE" in page
    assert "data-status-url" not in page, "a finished job is not polled any more"


# --- download as -----------------------------------------------------------------------------------------


def test_it_lets_a_viewer_download_a_file_as_pdf(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Quarterly Report.docx", _docx_bytes("Revenue went up"))
    client = personas.client_for("viewer")
    before = _stored_files()

    job, response = _start(client, original, kind="download", output_type="pdf")

    assert _status(client, job)["result"] == {"file": reverse("onlyoffice-conversion-file", args=[job.pk])}
    page = client.get(response["Location"]).content.decode()
    assert "Download Quarterly Report.pdf" in page
    download = client.get(reverse("onlyoffice-conversion-file", args=[job.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF-")
    assert b"Revenue went up" in body
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Length"] == str(len(body))
    assert download["Content-Disposition"] == 'attachment; filename="Quarterly Report.pdf"'
    assert (download["X-Content-Type-Options"], download["Content-Security-Policy"]) == ("nosniff", "sandbox")
    # Nothing was added to the space; the file lives under the job's own name.
    assert Attachment.objects.filter(space=personas.space).count() == 1
    job.refresh_from_db()
    assert job.result_file.startswith(f"conversions/{job.pk}/")
    assert _stored_files() - before == {job.result_file}


def test_it_names_a_download_safely_in_content_disposition(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, 'Plan "draft" ünïcode.docx', _docx_bytes("x"))
    client = personas.client_for("viewer")

    job, _response = _start(client, original, kind="download", output_type="txt")

    disposition = client.get(reverse("onlyoffice-conversion-file", args=[job.pk]))["Content-Disposition"]
    assert disposition.lower().startswith("attachment; filename*=utf-8''")
    assert disposition.endswith("Plan%20%22draft%22%20%C3%BCn%C3%AFcode.txt")
    assert "\n" not in disposition and "/" not in disposition


def test_it_refuses_a_format_the_table_does_not_allow_beside_the_field(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Notes.docx")
    client = personas.client_for("viewer")

    response = client.post(
        reverse("onlyoffice-convert", args=[original.pk]), {"kind": "download", "output_type": "exe"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_output_type_error".*?exe is not one of the available choices', html, re.S)
    assert not ConversionJob.objects.exists()


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CONVERSION_ERRORS, reverse=True))
def test_it_turns_each_conversion_error_into_its_message_and_stores_nothing(
    connected, retrying, personas, make_attachment, code
) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    files_before = _stored_files()
    connected.fail_conversion(code)
    client = personas.client_for("editor")

    job, response = _start(client, original, kind="ooxml")

    status = _status(client, job)
    expected = str(CONVERSION_ERRORS[code])
    assert status["state"] == "failed"
    assert expected in status["message"]
    assert f"(conversion error {code})" in status["message"]
    assert status["result"] == {}
    page = client.get(response["Location"]).content.decode()
    assert expected.replace("'", "&#39;") in page
    assert "Try again" in page
    assert list(Attachment.objects.filter(space=personas.space).values_list("title", flat=True)) == ["Minutes.odt"]
    assert _stored_files() == files_before


def test_it_stores_no_download_file_when_the_conversion_fails(connected, personas, make_attachment):
    original = make_attachment(personas.space, "Notes.docx", _docx_bytes("x"))
    files_before = _stored_files()
    connected.fail_conversion(-3)
    client = personas.client_for("viewer")

    job, _response = _start(client, original, kind="download", output_type="pdf")

    job.refresh_from_db()
    assert job.state == "failed" and job.error_code == -3 and job.result_file == ""
    assert client.get(reverse("onlyoffice-conversion-file", args=[job.pk])).status_code == 404
    assert _stored_files() == files_before


def test_it_retries_a_transient_error_and_then_succeeds(connected, retrying, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    connected.fail_conversion(-6, times=1)
    client = personas.client_for("editor")

    job, _response = _start(client, original, kind="ooxml")

    job.refresh_from_db()
    assert job.state == "done"
    assert job.attempts == 2
    assert Attachment.objects.filter(space=personas.space, title="Minutes.docx").exists()


def test_it_tries_again_from_the_failure_page(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    connected.fail_conversion(-4, times=1)
    client = personas.client_for("editor")
    failed, response = _start(client, original, kind="ooxml")
    page = client.get(response["Location"]).content.decode()
    action = reverse("onlyoffice-convert", args=[original.pk])
    form = re.search(rf'<form method="post" action="{action}"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the failure page has a form that starts the same conversion again"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1)))

    retried, _response = _start(client, original, **{k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"})

    assert retried.pk != failed.pk
    assert _status(client, retried)["state"] == "done"


# --- permissions -----------------------------------------------------------------------------------------


def test_it_offers_viewers_download_as_but_not_convert(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    url = reverse("onlyoffice-convert", args=[original.pk])

    as_viewer = personas.client_for("viewer").get(url)
    as_editor = personas.client_for("editor").get(url)

    assert as_viewer.status_code == 200
    viewer_html = as_viewer.content.decode()
    assert 'id="download-as"' in viewer_html
    assert '<option value="pdf">PDF</option>' in viewer_html
    assert 'id="convert"' not in viewer_html and "Convert to DOCX" not in viewer_html
    assert 'id="convert"' in as_editor.content.decode()
    assert "Convert to DOCX" in as_editor.content.decode()


def test_it_refuses_a_conversion_to_ooxml_posted_by_a_viewer(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)

    response = personas.client_for("viewer").post(reverse("onlyoffice-convert", args=[original.pk]), {"kind": "ooxml"})

    assert response.status_code == 403
    assert not ConversionJob.objects.exists()


def test_it_does_not_convert_a_format_that_is_edited_as_it_is(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Notes.docx")

    response = personas.client_for("editor").post(reverse("onlyoffice-convert", args=[original.pk]), {"kind": "ooxml"})

    assert response.status_code == 400
    assert "cannot be converted to an Office Open XML format" in response.content.decode()
    assert not ConversionJob.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_the_convert_page_from_outsiders(offline, personas, make_attachment, method) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    client = personas.client_for("outsider")

    response = getattr(client, method)(reverse("onlyoffice-convert", args=[original.pk]), {"kind": "download"})

    assert response.status_code == 404
    assert not ConversionJob.objects.exists()


def test_it_sends_anonymous_users_to_log_in(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)

    response = Client().get(reverse("onlyoffice-convert", args=[original.pk]))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("other", ["owner", "editor", "staff", "outsider"])
def test_it_shows_a_job_only_to_the_user_who_started_it(offline, personas, make_attachment, other) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    job, _response = _start(personas.client_for("viewer"), original, kind="download", output_type="pdf")
    client = personas.client_for(other)

    for name in ("onlyoffice-conversion", "onlyoffice-conversion-status", "onlyoffice-conversion-file"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert personas.client_for("viewer").get(reverse("onlyoffice-conversion", args=[job.pk])).status_code == 200


def test_it_stops_serving_a_download_once_the_user_left_the_space(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Notes.docx", _docx_bytes("x"))
    client = personas.client_for("viewer")
    job, _response = _start(client, original, kind="download", output_type="pdf")
    assert client.get(reverse("onlyoffice-conversion-file", args=[job.pk])).status_code == 200

    personas.space.memberships.filter(user=personas.viewer).delete()

    assert client.get(reverse("onlyoffice-conversion-file", args=[job.pk])).status_code == 404


def test_it_explains_when_onlyoffice_is_not_configured(personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)

    response = personas.client_for("editor").get(reverse("onlyoffice-convert", args=[original.pk]))

    assert response.status_code == 503
    assert "ONLYOFFICE is not set up yet" in response.content.decode()


# --- the row menu ----------------------------------------------------------------------------------------


def _menu_labels(html: str, attachment: Attachment) -> list[str]:
    url = reverse("onlyoffice-convert", args=[attachment.pk])
    return re.findall(rf'<a href="{re.escape(url)}#[\w-]+" class="menu-item">.*?</svg>([^<]+)</a>', html)


def test_it_puts_the_conversions_in_the_row_menu_by_role_and_format(offline, personas, make_attachment) -> None:
    odt = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    docx_file = make_attachment(personas.space, "Plan.docx")
    sheet = make_attachment(personas.space, "Budget.xls", b"xls")
    archive = make_attachment(personas.space, "Photos.zip", b"zip")
    url = reverse("space_detail", args=[personas.space.pk])

    pages = {name: personas.client_for(name).get(url).content.decode() for name in ("viewer", "editor", "owner")}

    for name in ("editor", "owner"):
        assert _menu_labels(pages[name], odt) == ["Convert to DOCX", "Download as…"]
        assert _menu_labels(pages[name], sheet) == ["Convert to XLSX", "Download as…"]
        assert _menu_labels(pages[name], docx_file) == ["Download as…"]
        assert _menu_labels(pages[name], archive) == []
    assert _menu_labels(pages["viewer"], odt) == ["Download as…"]
    assert _menu_labels(pages["viewer"], docx_file) == ["Download as…"]
    assert _menu_labels(pages["viewer"], archive) == []


def test_it_leaves_the_row_menu_alone_when_onlyoffice_is_not_configured(personas, make_attachment) -> None:
    odt = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)

    html = personas.client_for("editor").get(reverse("space_detail", args=[personas.space.pk])).content.decode()

    assert _menu_labels(html, odt) == []


# --- the progress page and its JSON ----------------------------------------------------------------------


def test_it_shows_progress_without_inline_script_and_reports_percent(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Minutes.odt", ODT_BYTES)
    client = personas.client_for("editor")
    job = conversion.conversion_start(
        attachment=original,
        user=personas.editor,
        kind="ooxml",
        output_type="docx",
        connector_base="http://connector.test",
        enqueue=lambda job_id: None,
    )
    ConversionJob.objects.filter(pk=job.pk).update(state="running", percent=40)

    response = client.get(reverse("onlyoffice-conversion", args=[job.pk]))
    status = _status(client, job)

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert re.search(r'<progress id="conversion-progress"[^>]* max="100" value="40"', html)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    # Only files run; a JSON data block (json_script, read by desktop-editors.js) runs nothing.
    assert scripts and all(
        ('src="' in attributes and not body.strip()) or 'type="application/json"' in attributes
        for attributes, body in scripts
    )
    assert any("connector/conversion.js" in attributes for attributes, _body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert 'style="' not in html
    assert f'data-status-url="{reverse("onlyoffice-conversion-status", args=[job.pk])}"' in html
    # Without JavaScript: a meta refresh and a plain link.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert f'href="{reverse("onlyoffice-conversion", args=[job.pk])}"' in html
    assert status == {"state": "running", "percent": 40, "message": "Converting…", "result": {}, "finished": False}


def test_it_joins_a_double_click_to_the_job_under_way(offline, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Notes.docx")
    client = personas.client_for("viewer")

    first, _response = _start(client, original, kind="download", output_type="pdf")
    second, _response = _start(client, original, kind="download", output_type="pdf")
    other, _response = _start(client, original, kind="download", output_type="odt")

    assert first.pk == second.pk != other.pk
    assert _status(client, first) == {
        "state": "pending",
        "percent": 0,
        "message": "Waiting for the conversion to start…",
        "result": {},
        "finished": False,
    }


# --- the sweep -------------------------------------------------------------------------------------------


def test_it_sweeps_download_files_older_than_a_day(connected, personas, make_attachment) -> None:
    original = make_attachment(personas.space, "Notes.docx", _docx_bytes("x"))
    client = personas.client_for("viewer")
    old, _response = _start(client, original, kind="download", output_type="pdf")
    fresh, _response = _start(client, original, kind="download", output_type="txt")
    old.refresh_from_db()
    fresh.refresh_from_db()
    ConversionJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1, minutes=1))

    assert sweep.conversion_files_sweep() == 1

    assert not default_storage.exists(old.result_file)
    assert default_storage.exists(fresh.result_file)
    assert client.get(reverse("onlyoffice-conversion-file", args=[old.pk])).status_code == 404
    assert "removed after a day" in _status(client, old)["message"]
    assert client.get(reverse("onlyoffice-conversion-file", args=[fresh.pk])).status_code == 200
    assert sweep.conversion_files_sweep() == 0


def test_it_sweeps_the_download_file_of_a_deleted_attachment(connected, personas, make_attachment):
    from attachments.services import attachment_delete

    original = make_attachment(personas.space, "Notes.docx", _docx_bytes("x"))
    job, _response = _start(personas.client_for("viewer"), original, kind="download", output_type="pdf")
    job.refresh_from_db()

    attachment_delete(attachment=original)

    assert sweep.conversion_files_sweep() == 1
    assert not default_storage.exists(job.result_file)


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
