"""The save task when the Document Server misbehaves, and converting an edit back to the file's own format.

Real HTTP both ways: the fake DS posts signed callbacks to the live server and serves (or refuses to serve)
the edited file. Save tasks run inline, so a retry runs at once instead of after its backoff.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.db import reset_queries
from django.urls import reverse

from attachments.models import Attachment, VersionSource
from connector import docserver, ds_settings
from connector.models import SaveRequest
from connector.tasks import MAX_RETRIES
from tests.support.workers import reset_broker_connections
from tests.test_connector_callback import editor_config, put_blob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_retries")]

LASTSAVE = "2026-03-29T10:03:10.000Z"


@pytest.fixture
def short_read_timeout(monkeypatch):
    """A stalled download gives up after half a second instead of the production 30 s."""
    monkeypatch.setattr(docserver, "READ_TIMEOUT", 0.5)


def send_save(fake_ds, cfg: dict, url: str, *, filetype: str = "docx") -> None:
    uid = cfg["editorConfig"]["user"]["id"]
    fields = {
        "key": cfg["document"]["key"],
        "status": 2,
        "url": url,
        "users": [uid],
        "actions": [{"type": 0, "userid": uid}],
        "filetype": filetype,
        "lastsave": LASTSAVE,
        "notmodified": False,
    }
    # The callback is acknowledged whatever happens to the download afterwards.
    assert fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields) == (200, {"error": 0})


def list_statuses(personas, persona: str) -> list[str]:
    html = personas.client_for(persona).get(reverse("space_detail", args=[personas.space.id])).content.decode()
    return re.findall(r'data-attachment-status="(\w+)"[^>]*>([^<]+)', html)


def failed_label(personas, persona: str) -> list[str]:
    """The "Edits by … could not be saved" status (connector/display.py), as the persona sees the list."""
    return [
        label for tone, label in list_statuses(personas, persona) if tone == "danger" and "could not be saved" in label
    ]


@pytest.mark.parametrize("fault", ["fail_with", "close_mid_body", "hang"])
def test_it_marks_the_save_failed_after_retrying_a_ds_that_keeps_failing(
    editing_setup, fault, short_read_timeout
) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited", "docx")
    getattr(fake_ds.blob(url), fault)()

    send_save(fake_ds, cfg, url)

    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.FAILED
    assert save.attempts == MAX_RETRIES + 1
    assert save.last_error
    assert len(fake_ds.requests_to("/cache/files/")) == MAX_RETRIES + 1
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


@pytest.mark.parametrize("fault", ["fail_with", "close_mid_body", "hang"])
def test_it_stores_the_file_when_a_retry_succeeds_after_a_passing_fault(
    editing_setup, fault, short_read_timeout
) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited after a hiccup", "docx")
    getattr(fake_ds.blob(url), fault)(times=2)

    send_save(fake_ds, cfg, url)

    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.SAVED
    assert save.attempts == 3
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"edited after a hiccup"


def test_it_does_not_retry_a_file_the_ds_says_is_gone(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited", "docx")
    fake_ds.blob(url).fail_with(404)

    send_save(fake_ds, cfg, url)

    save = SaveRequest.objects.get(attachment=attachment)
    assert (save.state, save.attempts) == (SaveRequest.State.FAILED, 1)
    assert len(fake_ds.requests_to("/cache/files/")) == 1


def test_it_shows_a_failed_save_to_editors_and_admins_but_not_viewers(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited", "docx")
    fake_ds.blob(url).fail_with(500)
    send_save(fake_ds, cfg, url)

    for persona in ("editor", "owner"):
        assert failed_label(personas, persona)
        detail = personas.client_for(persona).get(reverse("attachment_detail", args=[attachment.pk]))
        assert "Edits by Eddie Editor at " in detail.content.decode()
        assert "could not be stored after 7 attempts" in detail.content.decode()
    assert not failed_label(personas, "viewer")


def test_it_clears_the_failed_status_once_a_later_save_succeeds(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    broken = put_blob(fake_ds, cfg["document"]["key"], b"lost", "docx")
    fake_ds.blob(broken).fail_with(500)
    send_save(fake_ds, cfg, broken)
    assert failed_label(personas, "editor")

    fresh = editor_config(personas, attachment)
    session = fake_ds.open(fresh)
    uid = fresh["editorConfig"]["user"]["id"]
    session.edit(uid, b"saved this time")
    assert session.close(uid).response_json == {"error": 0}

    assert not failed_label(personas, "editor")
    assert Attachment.objects.get(pk=attachment.pk).current_version == 2


def test_it_lists_who_is_editing_with_a_constant_number_of_queries(
    editing_setup, make_attachment, django_assert_max_num_queries
) -> None:
    personas, attachment, fake_ds = editing_setup
    url = reverse("space_detail", args=[personas.space.id])
    client = personas.client_for("viewer")
    cfg = editor_config(personas, attachment)
    fake_ds.open(cfg)  # the DS reports the editor with a status 1 callback
    assert ("info", "Being edited by Eddie Editor") in list_statuses(personas, "viewer")
    with_one = _count_queries(client, url)
    for number in range(10):
        other = make_attachment(personas.space, f"other-{number}.docx")
        fake_ds.open(editor_config(personas, other))

    # The test client's request resets the query log as it starts: clear it first so nothing is miscounted.
    reset_queries()
    with django_assert_max_num_queries(with_one):
        html = client.get(url).content.decode()
    assert html.count("Being edited by Eddie Editor") == 11


def _count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_converts_an_edit_back_to_the_attachments_own_format(editing_setup, make_attachment) -> None:
    personas, _attachment, fake_ds = editing_setup
    ds_settings.update(lossy_edit=["txt"])
    notes = make_attachment(personas.space, "notes.txt", content=b"first line\n", user=personas.owner)
    cfg = editor_config(personas, notes)
    assert cfg["document"]["fileType"] == "txt"
    assert cfg["editorConfig"]["mode"] == "edit"
    # The DS hands back OOXML (assemblyFormatAsOrigin off): the save must turn it back into text.
    url = put_blob(fake_ds, cfg["document"]["key"], _docx_with("edited line"), "docx")

    send_save(fake_ds, cfg, url, filetype="docx")

    notes.refresh_from_db()
    assert notes.current_version == 2
    assert notes.title == "notes.txt"
    version = notes.versions.get(number=2)
    assert version.source == VersionSource.EDITOR
    text = version.file.open("rb").read().decode("utf-8-sig")
    assert "edited line" in text
    conversions = fake_ds.requests_to("/converter")
    assert conversions, "the save went through the DS conversion service"
    assert all(record.json()["outputtype"] == "txt" for record in conversions)


def test_it_fails_the_save_when_the_conversion_back_fails_and_stores_nothing(editing_setup, make_attachment) -> None:
    personas, _attachment, fake_ds = editing_setup
    ds_settings.update(lossy_edit=["txt"])
    notes = make_attachment(personas.space, "notes.txt", content=b"first line\n", user=personas.owner)
    cfg = editor_config(personas, notes)
    url = put_blob(fake_ds, cfg["document"]["key"], _docx_with("edited line"), "docx")
    fake_ds.fail_conversion(-3)

    send_save(fake_ds, cfg, url, filetype="docx")

    save = SaveRequest.objects.get(attachment=notes)
    assert save.state == SaveRequest.State.FAILED
    assert "conversion error -3" in save.last_error
    assert Attachment.objects.get(pk=notes.pk).current_version == 1


def test_it_fails_the_save_when_the_conversion_back_returns_another_type(editing_setup, make_attachment) -> None:
    personas, _attachment, fake_ds = editing_setup
    ds_settings.update(lossy_edit=["odt"])
    notes = make_attachment(personas.space, "notes.odt", content=_odt(), user=personas.owner)
    cfg = editor_config(personas, notes)
    url = put_blob(fake_ds, cfg["document"]["key"], _docx_with("edited line"), "docx")
    # A broken converter hands the docx back as the "odt".
    fake_ds.return_input_unchanged()

    send_save(fake_ds, cfg, url, filetype="docx")

    save = SaveRequest.objects.get(attachment=notes)
    assert save.state == SaveRequest.State.FAILED
    assert "not in the ODT format" in save.last_error
    assert Attachment.objects.get(pk=notes.pk).current_version == 1


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _docx_with(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_it_enqueues_a_resent_save_that_the_broker_refused_the_first_time(editing_setup, monkeypatch) -> None:
    from config.celery_app import app

    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"kept through a broker outage", "docx")
    uid = cfg["editorConfig"]["user"]["id"]
    fields = {"key": cfg["document"]["key"], "status": 2, "url": url, "users": [uid], "lastsave": LASTSAVE}
    # A broker nobody listens on: publishing fails, as when Redis is down.
    with monkeypatch.context() as outage:
        outage.setitem(app.conf, "task_always_eager", False)
        outage.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
        outage.setitem(app.conf, "broker_transport_options", {"max_retries": 0})
        outage.setitem(app.conf, "broker_connection_timeout", 0.5)
        reset_broker_connections()
        try:
            status, body = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields)
        finally:
            reset_broker_connections()
    assert status == 503
    assert body["error"] != 0
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.PENDING

    assert fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields) == (200, {"error": 0})
    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.SAVED
    assert Attachment.objects.get(pk=attachment.pk).current_version == 2
