""" "Save a version now" (forcesave), the Save button with forcesave on, and "End editing session" (drop).

The app runs on pytest-django's live server so that the fake Document Server's callbacks reach it; people use
the pages through the test client, which sends the real commands to the fake over HTTP.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attachments.models import Attachment, VersionSource
from connector import ds_settings, keys
from connector.models import CallbackEvent, DocumentKey
from tests.conftest import Personas
from tests.support.workers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)

NO_CHANGES = "No changes since the last save — nothing to store."
NOBODY = "Nobody is editing this file any more."
UNREACHABLE = "The Document Server cannot be reached"
SAVE_NOW = "Save a version now"
END_SESSION = "End editing session"


def editor_config(personas: Personas, attachment: Attachment, persona: str = "editor") -> dict:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:2000]
    return json.loads(match.group(1))


def open_session(personas: Personas, attachment: Attachment, fake_ds, persona: str = "editor"):
    cfg = editor_config(personas, attachment, persona)
    return fake_ds.open(cfg), cfg["editorConfig"]["user"]["id"], cfg["document"]["key"]


def post(personas: Personas, persona: str, name: str, attachment: Attachment, **data: str):
    return personas.client_for(persona).post(reverse(name, args=[attachment.pk]), data, follow=True)


def flashes(response) -> str:
    return " ".join(
        re.findall(r'<div class="flash flash-\w+"[^>]*>.*?<span>(.*?)</span>', response.content.decode(), re.S)
    )


def current_version(attachment: Attachment) -> int:
    return Attachment.objects.get(pk=attachment.pk).current_version


def live_key(attachment: Attachment) -> DocumentKey:
    return DocumentKey.objects.get(attachment=attachment, retired_at__isnull=True)


# --- Save a version now --------------------------------------------------------------------------------------


def test_it_stores_a_version_now_while_the_session_goes_on_with_the_same_key(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    assert response.redirect_chain[-1][0] == reverse("attachment_detail", args=[attachment.pk])
    assert "the new version appears in the history in a moment" in flashes(response)
    poll_until(lambda: current_version(attachment) == 2, what="the forcesaved version", timeout=10)
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.source == VersionSource.FORCESAVE
    assert version.file.open("rb").read() == b"typed so far"
    assert version.edit_info.document_key == key
    # The fake records its callback once our answer is back, which may be after the version is visible.
    forcesave = poll_until(
        lambda: [record for record in fake_ds.callbacks if record.status == 6], what="the status 6", timeout=10
    )
    assert [record.fields["forcesavetype"] for record in forcesave] == [0]
    # The key lives on: editors still in the session and late joiners share it.
    assert live_key(attachment).key == key
    assert editor_config(personas, attachment, "owner")["document"]["key"] == key
    assert session.editors == [uid] and not session.closed_for_editing


def test_it_says_there_is_nothing_to_store_when_nothing_changed(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    open_session(personas, attachment, fake_ds)

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    assert NO_CHANGES in flashes(response)
    assert current_version(attachment) == 1
    assert [request.json()["c"] for request in fake_ds.requests_to("/command")] == ["forcesave"]
    assert not [record for record in fake_ds.callbacks if record.status == 6]


def test_it_says_there_is_nothing_to_store_after_a_version_was_just_stored(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, _key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")
    post(personas, "editor", "onlyoffice-forcesave", attachment)
    poll_until(lambda: current_version(attachment) == 2, what="the forcesaved version", timeout=10)
    poll_until(lambda: not session.dirty, what="the fake to mark the forcesave done", timeout=10)

    again = post(personas, "owner", "onlyoffice-forcesave", attachment)

    assert NO_CHANGES in flashes(again)
    assert current_version(attachment) == 2


def test_it_says_nobody_is_editing_when_the_document_server_has_no_session(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    editor_config(personas, attachment)  # a key was issued, but nobody opened the editor with it

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    assert NOBODY in flashes(response)
    assert len(fake_ds.requests_to("/command")) == 1


def test_it_says_nobody_is_editing_without_asking_when_no_key_was_ever_issued(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    assert NOBODY in flashes(response)
    assert fake_ds.requests_to("/command") == []
    assert not DocumentKey.objects.filter(attachment=attachment).exists()


def test_it_says_when_the_document_server_cannot_be_reached(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, _key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")
    fake_ds.down()

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    assert UNREACHABLE in flashes(response)
    assert current_version(attachment) == 1


def test_it_says_when_the_secret_does_not_match(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, _key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")
    ds_settings.update(jwt_secret="not-the-document-servers-secret-0123456789abcdef")

    response = post(personas, "editor", "onlyoffice-forcesave", attachment)

    text = flashes(response)
    assert "secret key does not match" in text
    assert "not-the-document-servers-secret" not in response.content.decode()
    assert current_version(attachment) == 1


def test_it_sends_the_command_with_the_live_key_and_a_jwt(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")

    post(personas, "editor", "onlyoffice-forcesave", attachment)

    request = fake_ds.requests_to("/command")[-1]
    body = request.json()
    assert body["c"] == "forcesave" and body["key"] == key
    assert body["token"] and request.header("Authorization").startswith("Bearer ")
    # Who asked comes back in the callback's userdata, for the audit trail.
    poll_until(lambda: CallbackEvent.objects.filter(attachment=attachment, status=6).exists(), what="status 6")
    event = CallbackEvent.objects.get(attachment=attachment, status=6)
    assert event.payload["userdata"] == keys.editor_uid(personas.editor)


# --- the Save button with forcesave on -----------------------------------------------------------------------


@pytest.mark.parametrize("forcesave", [True, False])
def test_it_puts_the_forcesave_setting_into_the_editor_config(editing_setup, forcesave: bool) -> None:
    personas, attachment, _fake_ds = editing_setup
    ds_settings.update(forcesave=forcesave)

    assert editor_config(personas, attachment)["editorConfig"]["customization"]["forcesave"] is forcesave


def test_it_stores_a_version_from_the_save_button_and_keeps_the_key(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    ds_settings.update(forcesave=True)
    session, uid, key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"saved with the button")

    record = session.forcesave(uid)  # type 1: the Save button

    assert record.response_json == {"error": 0}
    assert record.fields["forcesavetype"] == 1
    attachment.refresh_from_db()
    assert attachment.current_version == 2
    version = attachment.versions.get(number=2)
    assert version.source == VersionSource.FORCESAVE
    assert version.created_by == personas.editor
    assert live_key(attachment).key == key
    assert editor_config(personas, attachment, "owner")["document"]["key"] == key


# --- End editing session -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_it_ends_the_session_and_the_changes_are_stored(editing_setup, persona: str) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"left unsaved")

    response = post(personas, persona, "onlyoffice-drop", attachment)

    assert "was ended" in flashes(response)
    request = fake_ds.requests_to("/command")[-1].json()
    assert request["c"] == "drop" and request["key"] == key and request["users"] == [uid]
    poll_until(lambda: current_version(attachment) == 2, what="the version of the dropped session", timeout=10)
    assert session.editors == []
    assert Attachment.objects.get(pk=attachment.pk).versions.get(number=2).source == VersionSource.EDITOR
    # The status 2 retired the key: the next opening starts a new session.
    assert not DocumentKey.objects.filter(key=key, retired_at__isnull=True).exists()


def test_it_ends_a_session_without_changes_and_nobody_is_editing_after(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    session, _uid, _key = open_session(personas, attachment, fake_ds, "editor")
    open_session(personas, attachment, fake_ds, "owner")

    post(personas, "owner", "onlyoffice-drop", attachment)

    poll_until(lambda: live_key(attachment).editors == [], what="the editors to be gone", timeout=10)
    assert session.editors == []
    assert current_version(attachment) == 1
    again = post(personas, "owner", "onlyoffice-drop", attachment)
    assert NOBODY in flashes(again)


@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("anonymous", "onlyoffice-forcesave", "login"),
        ("outsider", "onlyoffice-forcesave", 404),
        ("viewer", "onlyoffice-forcesave", 403),
        ("anonymous", "onlyoffice-drop", "login"),
        ("outsider", "onlyoffice-drop", 404),
        ("viewer", "onlyoffice-drop", 403),
        ("editor", "onlyoffice-drop", 403),
    ],
)
def test_it_refuses_people_without_the_role_and_sends_nothing(editing_setup, persona: str, name: str, status) -> None:
    personas, attachment, fake_ds = editing_setup
    session, uid, _key = open_session(personas, attachment, fake_ds)
    session.edit(uid, b"typed so far")

    response = personas.client_for(persona).post(reverse(name, args=[attachment.pk]))

    if status == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == status
    assert fake_ds.requests_to("/command") == []
    assert session.editors == [uid]


@pytest.mark.parametrize("name", ["onlyoffice-forcesave", "onlyoffice-drop"])
def test_it_answers_only_post(editing_setup, name: str) -> None:
    personas, attachment, fake_ds = editing_setup

    response = personas.client_for("owner").get(reverse(name, args=[attachment.pk]))

    assert response.status_code == 405
    assert fake_ds.requests_to("/command") == []


@pytest.mark.parametrize(
    ("wanted", "local"),
    [("/spaces/{space}/?page=1", True), ("https://evil.example/", False), ("//evil.example/x", False)],
)
def test_it_returns_only_to_a_page_of_this_site(editing_setup, wanted: str, local: bool) -> None:
    personas, attachment, _fake_ds = editing_setup
    target = wanted.format(space=personas.space.id)

    response = personas.client_for("editor").post(
        reverse("onlyoffice-forcesave", args=[attachment.pk]), {"next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == (target if local else reverse("attachment_detail", args=[attachment.pk]))


# --- the menu entries ----------------------------------------------------------------------------------------


def menu_entries(personas: Personas, persona: str, url: str) -> set[str]:
    html = personas.client_for(persona).get(url).content.decode()
    return {label for label in (SAVE_NOW, END_SESSION) if label in html}


def test_it_offers_the_entries_only_while_the_file_is_edited(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    space_url = reverse("space_detail", args=[personas.space.id])
    detail_url = reverse("attachment_detail", args=[attachment.pk])
    assert menu_entries(personas, "owner", space_url) == set()

    session, uid, _key = open_session(personas, attachment, fake_ds)

    for url in (space_url, detail_url):
        assert menu_entries(personas, "viewer", url) == set()
        assert menu_entries(personas, "editor", url) == {SAVE_NOW}
        assert menu_entries(personas, "owner", url) == {SAVE_NOW, END_SESSION}
        assert menu_entries(personas, "staff", url) == {SAVE_NOW, END_SESSION}
    html = personas.client_for("owner").get(space_url).content.decode()
    forcesave_url = reverse("onlyoffice-forcesave", args=[attachment.pk])
    assert re.search(rf'<form method="post" action="{re.escape(forcesave_url)}\?next=[^"]+" class="menu-form">', html)
    session.close(uid)
    assert menu_entries(personas, "owner", space_url) == set()


def test_it_adds_the_entries_with_a_constant_number_of_queries(
    personas: Personas, make_attachment, django_assert_max_num_queries
) -> None:
    ds_settings.update(public_url="https://docs.example.com")
    client = personas.client_for("owner")
    url = reverse("space_detail", args=[personas.space.id])

    def edited_files(first: int, last: int) -> None:
        for number in range(first, last):
            attachment = make_attachment(personas.space, title=f"file-{number:02d}.docx")
            DocumentKey.objects.filter(pk=keys.live_key(attachment).pk).update(editors=[f"uid-{number}"])

    edited_files(0, 2)
    baseline = client.get(url)
    assert baseline.content.decode().count(SAVE_NOW) == 2
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    edited_files(2, 40)

    with django_assert_max_num_queries(len(queries)):
        response = client.get(url)

    assert response.content.decode().count(SAVE_NOW) == 40
    assert response.content.decode().count(END_SESSION) == 40
