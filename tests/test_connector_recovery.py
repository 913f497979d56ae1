"""Conflicts and the recovery of failed saves, against the fake Document Server over real HTTP.

The app runs on the live server; the fake DS opens editors, posts signed callbacks and keeps forgotten files
as the real one does. Save tasks run inline, so a retry runs at once instead of after its backoff.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attachments import services as attachment_services
from attachments.models import Attachment, VersionSource
from connector import ds_settings
from connector.forgotten import FORGOTTEN_COMMENT
from connector.models import SaveRequest
from tests.test_connector_callback import editor_config, put_blob
from tests.test_connector_save_failures import send_save

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_retries")]


def list_statuses(personas, persona: str) -> list[tuple[str, str]]:
    html = personas.client_for(persona).get(reverse("space_detail", args=[personas.space.id])).content.decode()
    return [(tone, label.strip()) for tone, label in re.findall(r'data-attachment-status="(\w+)"[^>]*>([^<]+)', html)]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def upload(personas, attachment, content: bytes) -> None:
    attachment_services.version_create(
        attachment=Attachment.objects.get(pk=attachment.pk),
        chunks=[content],
        source=VersionSource.UPLOAD,
        created_by=personas.owner,
    )


def edit_and_close(fake_ds, cfg: dict, content: bytes) -> None:
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.session(cfg["document"]["key"]) or fake_ds.open(cfg)
    session.edit(uid, content)
    assert session.close(uid).response_json == {"error": 0}


def failed_save(personas, attachment, fake_ds) -> tuple[SaveRequest, str]:
    """A status 2 whose download keeps failing: the request ends failed after every retry."""
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edits that must not be lost", "docx")
    fake_ds.blob(url).fail_with(500)
    send_save(fake_ds, cfg, url)
    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.FAILED
    return save, url


def retry(client: Client, save: SaveRequest):
    return client.post(reverse("onlyoffice-save-retry", args=[save.pk]), follow=True)


# --- conflicts ---------------------------------------------------------------------------------------------


def save_racing_an_upload(personas, attachment, fake_ds, uploaded: bytes, edited: bytes) -> dict:
    """An editor opens the file, someone uploads a version meanwhile, the editor saves: the editor config."""
    cfg = editor_config(personas, attachment)
    fake_ds.open(cfg)
    upload(personas, attachment, uploaded)
    edit_and_close(fake_ds, cfg, edited)
    return cfg


def test_it_keeps_a_save_that_raced_an_upload_and_marks_the_conflict(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup

    cfg = save_racing_an_upload(personas, attachment, fake_ds, b"uploaded meanwhile", b"edited from version 1")

    attachment.refresh_from_db()
    assert attachment.current_version == 3
    assert attachment.versions.get(number=2).file.open("rb").read() == b"uploaded meanwhile"
    saved = attachment.versions.get(number=3)
    assert saved.file.open("rb").read() == b"edited from version 1"
    assert saved.edit_info.conflict_with == 2
    assert saved.comment == "Edited from version 1 while version 2 was uploaded"
    assert ("warning", "Conflicting edits") in list_statuses(personas, "viewer")
    detail = personas.client_for("editor").get(reverse("attachment_detail", args=[attachment.pk])).content.decode()
    assert "Edited from version 1 while version 2 was uploaded" in detail
    assert editor_config(personas, attachment)["document"]["key"] != cfg["document"]["key"]


def test_it_stops_showing_a_conflict_once_a_newer_version_is_current(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    save_racing_an_upload(personas, attachment, fake_ds, b"uploaded meanwhile", b"edited from version 1")
    assert ("warning", "Conflicting edits") in list_statuses(personas, "editor")

    upload(personas, attachment, b"merged by hand")

    attachment.refresh_from_db()
    assert attachment.current_version == 4
    assert attachment.versions.get(number=3).edit_info.conflict_with == 2
    assert ("warning", "Conflicting edits") not in list_statuses(personas, "editor")


def test_it_does_not_call_a_sessions_own_forcesaves_a_conflict(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"first forcesave")
    assert session.forcesave(uid).response_json == {"error": 0}

    edit_and_close(fake_ds, cfg, b"final save")

    attachment.refresh_from_db()
    assert attachment.current_version == 3
    assert [v.edit_info.conflict_with for v in attachment.versions.filter(number__gte=2)] == [None, None]
    assert ("warning", "Conflicting edits") not in list_statuses(personas, "editor")


def test_it_stores_two_sessions_and_an_upload_numbered_without_gaps(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    first = editor_config(personas, attachment, "editor")
    fake_ds.open(first)
    upload(personas, attachment, b"uploaded")
    second = editor_config(personas, attachment, "owner")
    assert second["document"]["key"] != first["document"]["key"]
    fake_ds.open(second)

    edit_and_close(fake_ds, first, b"first session")
    edit_and_close(fake_ds, second, b"second session")

    versions = list(Attachment.objects.get(pk=attachment.pk).versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3, 4]
    assert [v.file.open("rb").read() for v in versions[1:]] == [b"uploaded", b"first session", b"second session"]
    assert versions[2].edit_info.conflict_with == 2
    assert versions[3].edit_info.conflict_with == 3
    assert versions[3].comment == "Edited from version 2 while version 3 was edited"


@pytest.mark.postgres
def test_it_judges_concurrent_saves_and_an_upload_by_the_number_they_really_follow(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    first = editor_config(personas, attachment, "editor")
    fake_ds.open(first)
    upload(personas, attachment, b"uploaded before")
    second = editor_config(personas, attachment, "owner")
    fake_ds.open(second)
    start = threading.Barrier(3)

    def run(work) -> None:
        try:
            start.wait(timeout=10)
            work()
        finally:
            connection.close()

    jobs = [
        lambda: edit_and_close(fake_ds, first, b"first session"),
        lambda: edit_and_close(fake_ds, second, b"second session"),
        lambda: upload(personas, attachment, b"uploaded during the saves"),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    versions = {v.file.open("rb").read(): v for v in Attachment.objects.get(pk=attachment.pk).versions.all()}
    assert sorted(v.number for v in versions.values()) == [1, 2, 3, 4, 5]
    first_saved, second_saved = versions[b"first session"], versions[b"second session"]
    # Session 1 started from version 1: whatever it follows is newer. Session 2 started from version 2.
    assert first_saved.edit_info.conflict_with == first_saved.number - 1
    expected = second_saved.number - 1 if second_saved.number - 1 > 2 else None
    assert second_saved.edit_info.conflict_with == expected


def test_it_shows_conflicts_with_the_same_number_of_queries_for_one_row_or_many(
    editing_setup, make_attachment, django_assert_max_num_queries
) -> None:
    personas, attachment, fake_ds = editing_setup

    def conflicted(item) -> None:
        save_racing_an_upload(personas, item, fake_ds, b"uploaded", b"edited")

    conflicted(attachment)
    client = personas.client_for("editor")
    url = reverse("space_detail", args=[personas.space.id])
    with_one = count_queries(client, url)
    for number in range(4):
        conflicted(make_attachment(personas.space, f"other-{number}.docx"))

    with django_assert_max_num_queries(with_one):
        html = client.get(url).content.decode()
    assert html.count("Conflicting edits") == 5


# --- failed saves and Retry ----------------------------------------------------------------------------------


def test_it_shows_who_lost_edits_and_offers_retry_to_editors_only(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    save, _url = failed_save(personas, attachment, fake_ds)
    when = timezone.localtime(save.created_at).strftime("%H:%M")
    label = f"Edits by Eddie Editor at {when} could not be saved"
    retry_url = reverse("onlyoffice-save-retry", args=[save.pk])

    for persona in ("editor", "owner"):
        assert ("danger", label) in list_statuses(personas, persona)
        html = personas.client_for(persona).get(reverse("space_detail", args=[personas.space.id])).content.decode()
        assert retry_url in html
        detail = personas.client_for(persona).get(reverse("attachment_detail", args=[attachment.pk])).content
        assert "HTTP 500" in detail.decode()
    viewer_html = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.id])).content
    assert label not in viewer_html.decode()
    assert retry_url not in viewer_html.decode()


def test_it_stores_a_retried_save_exactly_once(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    save, url = failed_save(personas, attachment, fake_ds)
    fake_ds.blob(url).faults.clear()
    client = personas.client_for("editor")

    first = retry(client, save)
    second = retry(client, save)

    assert "Storing the edits to “Plan.docx” again" in first.content.decode()
    assert "nothing to retry" in second.content.decode()
    attachment.refresh_from_db()
    assert attachment.current_version == 2
    assert attachment.versions.get(number=2).file.open("rb").read() == b"edits that must not be lost"
    save.refresh_from_db()
    assert (save.state, save.attempts) == (SaveRequest.State.SAVED, 1)
    assert not [status for status in list_statuses(personas, "editor") if status[0] == "danger"]


def test_it_recovers_through_get_forgotten_once_the_link_has_expired(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    save, url = failed_save(personas, attachment, fake_ds)
    key = save.document_key.key
    # The callback arrived 16 minutes ago: its link is dead, only the DS's forgotten copy is left.
    SaveRequest.objects.filter(pk=save.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    fake_ds.remember_forgotten(key, b"kept by the document server", "docx")
    downloads_before = len(fake_ds.requests_to("/cache/files/data/" + urlsafe_folder(url)))

    retry(personas.client_for("owner"), save)

    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"kept by the document server"
    assert version.edit_info.recovered is True
    assert fake_ds.forgotten_keys == []
    assert [record.json()["c"] for record in fake_ds.requests_to("/command")] == ["getForgotten", "deleteForgotten"]
    assert len(fake_ds.requests_to("/cache/files/data/" + urlsafe_folder(url))) == downloads_before


def urlsafe_folder(url: str) -> str:
    return url.split("/cache/files/data/", 1)[1].split("/", 1)[0]


@pytest.mark.parametrize("gone", [403, 404, 410])
def test_it_asks_for_the_forgotten_file_when_the_link_answers_gone(editing_setup, gone) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"never served", "docx")
    fake_ds.blob(url).fail_with(gone)
    fake_ds.remember_forgotten(cfg["document"]["key"], b"the forgotten copy", "docx")

    send_save(fake_ds, cfg, url)

    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.SAVED
    assert save.version.file.open("rb").read() == b"the forgotten copy"
    assert save.version.edit_info.recovered is True
    assert fake_ds.forgotten_keys == []


def test_it_refuses_retry_to_viewers_outsiders_and_posts_without_csrf(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    save, url = failed_save(personas, attachment, fake_ds)
    fake_ds.blob(url).faults.clear()
    target = reverse("onlyoffice-save-retry", args=[save.pk])

    assert personas.client_for("viewer").post(target).status_code == 403
    assert personas.client_for("outsider").post(target).status_code == 404
    assert personas.client_for("editor").get(target).status_code == 405
    assert personas.client_for("anonymous").post(target).status_code == 302
    assert personas.client_for("editor").post(reverse("onlyoffice-save-retry", args=[save.pk + 999])).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.editor)
    assert strict.post(target).status_code == 403

    save.refresh_from_db()
    assert save.state == SaveRequest.State.FAILED
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


# --- the email -------------------------------------------------------------------------------------------------


def test_it_emails_the_space_admins_without_any_document_server_link(editing_setup, mailoutbox, live_server) -> None:
    personas, attachment, fake_ds = editing_setup

    _save, url = failed_save(personas, attachment, fake_ds)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [personas.owner.email]
    text = f"{message.subject}\n{message.body}"
    assert "Plan.docx" in text
    assert "Eddie Editor" in text
    assert "HTTP 500" in text
    assert f"{live_server.url}{reverse('attachment_detail', args=[attachment.pk])}" in text
    fake_port = fake_ds.url.rsplit(":", 1)[1]
    for secret in (fake_ds.url, f":{fake_port}", "token", "md5=", url, fake_ds.secret):
        assert secret not in text


# --- manage.py onlyoffice recover --------------------------------------------------------------------------------


def test_it_recovers_forgotten_files_from_the_command_and_leaves_foreign_keys(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"saved while our callback was broken")
    # Our callback rejects the DS's token (a secret changed at the wrong moment): the DS keeps the file.
    ds_settings.update(jwt_secret="a-secret-the-document-server-does-not-know-0123456789abcdef")
    assert session.close(uid).response_json != {"error": 0}
    ds_settings.update(jwt_secret=fake_ds.secret)
    fake_ds.remember_forgotten("another-integrators-key", b"not ours", "docx")
    assert sorted(fake_ds.forgotten_keys) == sorted([cfg["document"]["key"], "another-integrators-key"])

    dry = io.StringIO()
    call_command("onlyoffice", "recover", "--dry-run", stdout=dry)
    assert f"{cfg['document']['key']}: would be stored" in dry.getvalue()
    assert "another-integrators-key: not a key this application issued" in dry.getvalue()
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1

    out = io.StringIO()
    call_command("onlyoffice", "recover", stdout=out)

    assert f"{cfg['document']['key']}: stored as version 2" in out.getvalue()
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"saved while our callback was broken"
    assert (version.source, version.comment) == (VersionSource.EDITOR, FORGOTTEN_COMMENT)
    assert version.edit_info.recovered is True
    assert fake_ds.forgotten_keys == ["another-integrators-key"]


def test_it_says_once_what_the_document_server_answered(editing_setup) -> None:
    _personas, _attachment, fake_ds = editing_setup
    # A path on the fake DS that is not a Document Server: its command service answers 404.
    ds_settings.update(public_url=f"{fake_ds.url}/not-the-document-server")

    with pytest.raises(CommandError) as raised:
        call_command("onlyoffice", "recover", stdout=io.StringIO())

    message = str(raised.value)
    assert message == (
        "The Document Server answered HTTP 404 while handling the command “getForgottenList”. "
        "Is the internal URL right?"
    )
    assert message.count("Document Server") == 1
