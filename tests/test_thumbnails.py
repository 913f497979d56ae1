"""Thumbnails (issue 22): the first page of each new Office or PDF version, drawn by the fake Document Server's
conversion service over real HTTP (it fetches the version from the live server, with its JWT), stored beside the
version, served to members with an ETag, and shown on the list and the file page; the type icon otherwise, also in
the browser when a picture's file is gone."""

from __future__ import annotations

import base64
import io
import json
import os
import re

import pytest
import redis
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from attachments import services
from attachments.models import Attachment, ThumbnailState, Version
from attachments.thumbnails import NotAPng, is_png, thumbnail_store
from connector import ds_settings, jwt_codec, thumbnails
from tests.conftest import Personas
from tests.fakeds import FakeDocServer
from tests.fakeds.rendering import minimal_pdf
from tests.support.documents import docx_bytes


@pytest.fixture
def drawing(settings, editing_setup) -> tuple[Personas, Attachment, FakeDocServer]:
    """Thumbnails on (tests/settings turn them off for every other test), the connector on the fake DS."""
    settings.CONNECTOR_THUMBNAILS = True
    return editing_setup


def _upload(personas: Personas, title: str = "Report.docx", content: bytes | None = None) -> Attachment:
    return services.attachment_create(
        space=personas.space,
        title=title,
        chunks=[content if content is not None else docx_bytes("Quarterly report", "Second paragraph")],
        created_by=personas.owner,
    )


def _current(attachment: Attachment) -> Version:
    return Version.objects.get(attachment=attachment, number=Attachment.objects.get(pk=attachment.pk).current_version)


def _thumbnail_url(attachment: Attachment, version: int | None = None) -> str:
    url = reverse("attachment_thumbnail", args=[attachment.pk])
    return f"{url}?version={version}" if version else url


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --- making ------------------------------------------------------------------------------------------------


def test_it_asks_the_conversion_service_for_a_signed_first_page_png(drawing) -> None:
    personas, _plan, fake_ds = drawing

    attachment = _upload(personas)

    requests = [r for r in fake_ds.requests_to("/converter") if r.json().get("outputtype") == "png"]
    assert len(requests) == 1
    body = requests[0].json()
    # JWT on: the fields travel in the body's token, signed with the shared secret, and in the header.
    claims = jwt_codec.decode(body["token"], fake_ds.secret)
    assert claims["outputtype"] == "png"
    assert claims["filetype"] == "docx"
    assert claims["thumbnail"] == {"aspect": 1, "first": True, "width": 400, "height": 400}
    assert claims["key"].startswith(f"thumb-{_current(attachment).pk}-")
    assert "/onlyoffice/" in claims["url"] and "token=" in claims["url"]
    header = requests[0].header(ds_settings.current().jwt_header) or ""
    assert jwt_codec.decode(header.removeprefix("Bearer "), fake_ds.secret)["payload"]["thumbnail"]["first"] is True
    assert fake_ds.thumbnail_options == [{"aspect": 1, "first": True, "width": 400, "height": 400}]


def test_it_stores_the_png_beside_the_version(drawing) -> None:
    personas, _plan, _fake_ds = drawing

    attachment = _upload(personas)

    version = _current(attachment)
    assert version.thumbnail_state == ThumbnailState.READY
    assert version.thumbnail.name.startswith(f"spaces/{personas.space.pk}/thumbnails/")
    with default_storage.open(version.thumbnail.name) as stored:
        data = stored.read()
    assert is_png(data)
    # aspect 1 keeps an A4 page's proportions inside the 400 x 400 box.
    assert _png_size(data) == (283, 400)


def test_it_serves_the_png_to_members_with_an_etag_and_304(drawing) -> None:
    personas, _plan, _fake_ds = drawing
    attachment = _upload(personas)
    client = personas.client_for("viewer")

    response = client.get(_thumbnail_url(attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == f'"{attachment.pk}-1-thumb"'
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert is_png(b"".join(response.streaming_content))

    again = client.get(_thumbnail_url(attachment), HTTP_IF_NONE_MATCH=f'"{attachment.pk}-1-thumb"')
    assert again.status_code == 304
    assert again["ETag"] == f'"{attachment.pk}-1-thumb"'

    versioned = client.get(_thumbnail_url(attachment, 1))
    assert versioned.status_code == 200
    assert versioned["Cache-Control"] == "private, max-age=604800"
    assert client.get(_thumbnail_url(attachment, 2)).status_code == 404
    assert client.get(reverse("attachment_thumbnail", args=[attachment.pk]) + "?version=x").status_code == 404


def test_it_hides_thumbnails_from_outsiders_and_sends_anonymous_to_log_in(drawing) -> None:
    personas, _plan, _fake_ds = drawing
    attachment = _upload(personas)

    assert personas.client_for("outsider").get(_thumbnail_url(attachment)).status_code == 404
    anonymous = personas.client_for("anonymous").get(_thumbnail_url(attachment))
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]


def test_it_shows_the_thumbnail_on_the_list_and_the_file_page(drawing) -> None:
    personas, _plan, _fake_ds = drawing
    attachment = _upload(personas)
    client = personas.client_for("viewer")

    listing = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    page = client.get(reverse("attachment_detail", args=[attachment.pk])).content.decode()

    src = f'src="{_thumbnail_url(attachment, 1)}"'
    assert src in listing and 'loading="lazy" width="28" height="36"' in listing
    assert src in page and 'loading="lazy" width="96" height="96"' in page


def test_it_makes_one_for_each_new_version_only(drawing) -> None:
    personas, _plan, fake_ds = drawing
    attachment = _upload(personas)

    services.version_upload(
        attachment=attachment,
        uploaded_name="Report.docx",
        chunks=[docx_bytes("Version two")],
        created_by=personas.editor,
        comment="",
        max_size=None,
    )

    states = dict(Version.objects.filter(attachment=attachment).values_list("number", "thumbnail_state"))
    assert states == {1: ThumbnailState.READY, 2: ThumbnailState.READY}
    assert len(fake_ds.thumbnail_options) == 2
    client = personas.client_for("viewer")
    assert client.get(_thumbnail_url(attachment))["ETag"] == f'"{attachment.pk}-2-thumb"'


def test_it_makes_one_of_a_pdfs_first_page(drawing) -> None:
    personas, _plan, fake_ds = drawing

    attachment = _upload(personas, "Invoice.pdf", minimal_pdf(["Invoice 2027-001", "Total: 120.00"]))

    version = _current(attachment)
    assert version.thumbnail_state == ThumbnailState.READY
    request = next(r for r in fake_ds.requests_to("/converter") if r.json().get("outputtype") == "png")
    assert jwt_codec.decode(request.json()["token"], fake_ds.secret)["filetype"] == "pdf"
    with default_storage.open(version.thumbnail.name) as stored:
        data = stored.read()
    # A PDF page is A4 here: its proportions kept inside the 400 x 400 box.
    assert _png_size(data) == (283, 400)
    served = personas.client_for("viewer").get(_thumbnail_url(attachment))
    assert (served.status_code, b"".join(served.streaming_content)) == (200, data)


def test_it_makes_none_for_types_the_document_server_does_not_draw(drawing) -> None:
    personas, _plan, fake_ds = drawing

    picture = _upload(personas, "photo.png", b"\x89PNG\r\n\x1a\n not really")
    archive = _upload(personas, "bundle.zip", b"PK\x05\x06" + bytes(18))

    assert _current(picture).thumbnail_state == ThumbnailState.NONE
    assert _current(archive).thumbnail_state == ThumbnailState.NONE
    assert fake_ds.thumbnail_options == []


# --- failing ---------------------------------------------------------------------------------------------------


def test_a_failed_conversion_marks_it_failed_and_keeps_the_version_and_the_icon(drawing) -> None:
    personas, _plan, fake_ds = drawing
    fake_ds.fail_conversion(-3)

    attachment = _upload(personas)

    version = _current(attachment)
    assert version.thumbnail_state == ThumbnailState.FAILED
    assert not version.thumbnail
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1
    client = personas.client_for("viewer")
    assert client.get(_thumbnail_url(attachment)).status_code == 404
    listing = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    assert "thumbnail/" not in listing
    assert 'class="ficon ft-word"' in listing


def test_a_transient_failure_is_retried(drawing, inline_retries) -> None:
    personas, _plan, fake_ds = drawing
    fake_ds.fail_conversion(-6, times=1)  # the DS's queue: worth another try

    attachment = _upload(personas)

    assert _current(attachment).thumbnail_state == ThumbnailState.READY
    asked = fake_ds.requests_to("/converter")
    assert len(asked) == 2
    # The retry repeats the request with the same key (protocol §5), so the DS can answer it from its cache.
    assert len({jwt_codec.decode(r.json()["token"], fake_ds.secret)["key"] for r in asked}) == 1


def test_a_result_that_is_not_a_png_is_refused(drawing) -> None:
    personas, _plan, fake_ds = drawing
    fake_ds.return_input_unchanged()

    attachment = _upload(personas)

    assert _current(attachment).thumbnail_state == ThumbnailState.FAILED


def test_a_document_server_that_is_down_never_fails_the_upload(
    settings, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    settings.CONNECTOR_THUMBNAILS = True
    ds_settings.update(
        public_url="http://127.0.0.1:9",
        jwt_secret="offline-secret-0123456789abcdef",
        connector_url="http://127.0.0.1:8",
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachment = _upload(personas)  # the inline task's connection error is caught after the commit

    assert callbacks
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1
    assert _current(attachment).thumbnail_state == ThumbnailState.FAILED


def test_the_store_refuses_bytes_that_are_not_a_png(personas: Personas) -> None:
    attachment = _upload(personas)
    with pytest.raises(NotAPng):
        thumbnail_store(version_id=_current(attachment).pk, data=b"<html>not a picture</html>")
    assert _current(attachment).thumbnail_state == ThumbnailState.NONE


# --- the fake's converter --------------------------------------------------------------------------------------


def test_the_fake_refuses_a_malformed_thumbnail_option_as_the_real_server_does(fake_ds: FakeDocServer) -> None:
    import requests

    from tests.fakeds import tokens

    body = {"key": "k1", "url": "http://127.0.0.1:9/x.docx", "filetype": "docx", "outputtype": "png"}

    def convert(thumbnail: object) -> dict:
        signed = {**body, "thumbnail": thumbnail}
        token = tokens.sign(signed, fake_ds.secret or "", now=int(fake_ds.now()))
        answer = requests.post(f"{fake_ds.url}/converter", json={**signed, "token": token}, timeout=5)
        return answer.json()

    # converterservice.js: JSON.parse of a malformed string throws, and the whole request answers -1.
    assert convert("{not json") == {"error": -1}
    # A JSON string is parsed and read like an object (the source URL is unreachable here: -4, not -1).
    assert convert('{"aspect": 1, "first": true, "width": 40, "height": 40}') == {"error": -4}
    assert fake_ds.thumbnail_options == [{"aspect": 1, "first": True, "width": 40, "height": 40}]


# --- deleting --------------------------------------------------------------------------------------------------


def test_deleting_the_file_deletes_its_thumbnails(drawing) -> None:
    personas, _plan, _fake_ds = drawing
    attachment = _upload(personas)
    stored = _current(attachment).thumbnail.name
    assert default_storage.exists(stored)

    services.attachment_delete(attachment=attachment)

    assert not default_storage.exists(stored)


@pytest.mark.s3
def test_it_stores_and_serves_thumbnails_on_s3(s3_storage, drawing) -> None:
    personas, _plan, _fake_ds = drawing

    attachment = _upload(personas)

    version = _current(attachment)
    assert version.thumbnail_state == ThumbnailState.READY
    stored = s3_storage.keys()
    assert version.thumbnail.name in stored
    assert is_png(s3_storage.read(version.thumbnail.name))
    response = personas.client_for("viewer").get(_thumbnail_url(attachment))
    assert response.status_code == 200
    assert is_png(b"".join(response.streaming_content))

    services.attachment_delete(attachment=attachment)
    left = s3_storage.keys()
    assert version.thumbnail.name not in left


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_answers_404_until_the_thumbnail_is_made_then_the_png(drawing) -> None:
    personas, _plan, fake_ds = drawing
    fake_ds.fail_conversion(-3, times=1)
    attachment = _upload(personas)
    client = personas.client_for("viewer")
    url = reverse("api-attachment-thumbnail", args=[attachment.pk])

    assert client.get(url).status_code == 404

    call_command("thumbnails", "--retry-failed", stdout=io.StringIO())

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == f'"{attachment.pk}-1-thumb"'
    assert personas.client_for("outsider").get(url).status_code == 404
    assert Client().get(url).status_code in (401, 403)


# --- the command -----------------------------------------------------------------------------------------------


def test_the_command_makes_the_missing_ones_with_a_progress_bar_and_resumes(settings, editing_setup) -> None:
    personas, _plan, fake_ds = editing_setup  # thumbnails off: these versions were stored before the feature
    made = [_upload(personas, f"Doc {n}.docx") for n in range(3)]
    _upload(personas, "notes.zip", b"PK\x05\x06" + bytes(18))
    assert {_current(a).thumbnail_state for a in made} == {ThumbnailState.NONE}
    done = _current(made[0])
    thumbnail_store(version_id=done.pk, data=_a_png(fake_ds))  # made by an earlier, interrupted run

    out = io.StringIO()
    call_command("thumbnails", stdout=out)

    text = out.getvalue()
    # Plan.docx (editing_setup's, not a real docx: the fake cannot read it) and Doc 1, Doc 2; Doc 0 was done.
    assert "[" + "#" * 30 + "] 3/3" in text
    assert "0/3" in text
    assert "2 thumbnails made, 1 failed" in text
    assert {_current(a).thumbnail_state for a in made} == {ThumbnailState.READY}

    again = io.StringIO()
    call_command("thumbnails", stdout=again)
    assert "0/0" in again.getvalue()


def test_the_command_does_old_versions_with_all(editing_setup) -> None:
    personas, _plan, _fake_ds = editing_setup
    attachment = _upload(personas)
    services.version_upload(
        attachment=attachment,
        uploaded_name="Report.docx",
        chunks=[docx_bytes("two")],
        created_by=personas.owner,
        comment="",
        max_size=None,
    )

    call_command("thumbnails", "--all", stdout=io.StringIO())

    states = set(Version.objects.filter(attachment=attachment).values_list("thumbnail_state", flat=True))
    assert states == {ThumbnailState.READY}


def test_the_command_needs_a_document_server(personas: Personas) -> None:
    with pytest.raises(CommandError):
        call_command("thumbnails", stdout=io.StringIO())


def _a_png(fake_ds: FakeDocServer) -> bytes:
    from tests.fakeds.rendering import page_png

    return page_png(["earlier"], "word", dict(thumbnails.THUMBNAIL_OPTION))[0]


def test_the_command_stops_cleanly_on_ctrl_c_and_goes_on_where_it_stopped(editing_setup, monkeypatch) -> None:
    personas, _plan, _fake_ds = editing_setup
    made = [_upload(personas, f"Doc {n}.docx") for n in range(3)]
    real_make = thumbnails.thumbnail_make
    calls: list[int] = []

    def interrupted_on_the_third(**kwargs):
        calls.append(kwargs["version_id"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_make(**kwargs)

    monkeypatch.setattr(thumbnails, "thumbnail_make", interrupted_on_the_third)
    with pytest.raises(CommandError, match="run the command again"):
        call_command("thumbnails", stdout=io.StringIO())
    monkeypatch.setattr(thumbnails, "thumbnail_make", real_make)

    out = io.StringIO()
    call_command("thumbnails", stdout=out)

    # Plan.docx failed and Doc 0 was made before the interruption; only Doc 1 and Doc 2 are left.
    assert "] 2/2" in out.getvalue()
    assert {_current(a).thumbnail_state for a in made} == {ThumbnailState.READY}


def test_a_watermarked_space_shows_no_thumbnails_since_one_picture_cannot_carry_each_name(drawing) -> None:
    from connector.watermarks import space_watermark_update

    personas, _attachment, _fake_ds = drawing
    attachment = _upload(personas)
    assert _current(attachment).thumbnail_state == "ready"
    owner = personas.client_for("owner")

    space_watermark_update(space=personas.space, enabled=True, everyone=False, share_links=False, text="{name}")
    listing = owner.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    served = owner.get(_thumbnail_url(attachment))

    assert "thumbnail/?version=" not in listing
    assert served.status_code == 404
    space_watermark_update(space=personas.space, enabled=False, everyone=False, share_links=False, text="{name}")
    assert owner.get(_thumbnail_url(attachment)).status_code == 200


# --- a picture gone from storage ----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_picture_gone_from_storage_shows_the_type_icon_not_a_broken_image(drawing, browser_page) -> None:
    # Marked ready, but its file is gone (files restored from an older backup): the link answers 404.
    personas, _plan, _fake_ds = drawing
    attachment = _upload(personas, "Minutes.docx")
    default_storage.delete(_current(attachment).thumbnail.name)
    browser_page.login(personas.client_for("viewer"))
    page = browser_page.page

    for path, holder in [
        (reverse("space_detail", args=[personas.space.pk]), f'tr[data-attachment-id="{attachment.pk}"] td.col-icon'),
        (reverse("attachment_detail", args=[attachment.pk]), ".title-with-icon"),
    ]:
        assert browser_page.goto(path).status == 200
        page.locator(f"{holder} svg.ficon.ft-word use[href='#ft-word']").wait_for(state="attached")
        assert page.locator(f"{holder} img.fthumb").count() == 0
    assert not [line for line in browser_page.console if "Content Security Policy" in line]


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_save_waiting_in_the_broker_is_taken_before_thumbnails_sent_earlier(tmp_path) -> None:
    from celery import current_app

    from config.celery_app import app
    from connector.services import SAVE_TASK
    from tests.support.workers import celery_workers, poll_until

    with celery_workers(broker_kind="redis", media_root=tmp_path, folder=tmp_path) as workers:
        prefix = app.conf.broker_transport_options["global_keyprefix"]
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        try:
            thumbnails.thumbnail_enqueue(1)
            thumbnails.thumbnail_enqueue(2)
            current_app.tasks[SAVE_TASK].delay(3)

            # kombu's Redis transport keeps a list per priority step and a worker pops them in order: "celery"
            # (priority 0, the default) before "celery\x06\x169" (BRPOP's key order, kombu.transport.redis).
            def waiting(key: str) -> list[tuple[str, list[int]]]:
                messages = [json.loads(raw) for raw in client.lrange(f"{prefix}{key}", 0, -1)]
                return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]

            assert waiting("celery") == [(SAVE_TASK, [3])]
            assert sorted(waiting("celery\x06\x169")) == [
                (thumbnails.THUMBNAIL_TASK, [1]),
                (thumbnails.THUMBNAIL_TASK, [2]),
            ]

            # A worker started now takes the save first, then the thumbnails (of versions that do not exist; the
            # sweep it sends itself when it starts is priority 0 too).
            worker = workers.start()
            poll_until(
                lambda: worker.log_text().count(f"Task {thumbnails.THUMBNAIL_TASK}[") == 4,  # received, succeeded
                what="the thumbnails to be done",
                workers=[worker],
            )
            received = re.findall(r"Task ([\w.]+)\[[^\]]+\] received", worker.log_text())
            ours = [name for name in received if name in (SAVE_TASK, thumbnails.THUMBNAIL_TASK)]
            assert ours == [SAVE_TASK, thumbnails.THUMBNAIL_TASK, thumbnails.THUMBNAIL_TASK]
        finally:
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)
