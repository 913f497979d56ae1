"""What the real Document Server does that a naive integration loses saves to, through the fake over real HTTP.

Each behaviour here was seen on the real DocService (../shared/realds) and is reproduced by tests/fakeds: the
7168-character header rule in long co-editing sessions, sessions whose final callback we refused, and links
that answer 410 once expired, after which the DS keeps no copy.
"""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings, forgotten
from connector.models import DocumentKey, SaveRequest
from tests.fakeds import tokens
from tests.fakeds.callbacks import HEADER_TOKEN_LIMIT
from tests.test_connector_callback import editor_config
from tests.test_connector_save_failures import send_save

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_retries")]

OTHER_SECRET = "a-secret-the-document-server-does-not-know-0123456789abcdef"


def statuses(personas, persona: str = "editor") -> list[str]:
    html = personas.client_for(persona).get(reverse("space_detail", args=[personas.space.id])).content.decode()
    return [label.strip() for label in re.findall(r'data-attachment-status="\w+"[^>]*>([^<]+)', html)]


def presence(personas, attachment, persona: str = "viewer") -> list[str]:
    url = reverse("onlyoffice-presence", args=[attachment.pk])
    return personas.client_for(persona).get(url).json()["editors"]


def uid_of(cfg: dict) -> str:
    return cfg["editorConfig"]["user"]["id"]


# --- 1. the 7168-character rule --------------------------------------------------------------------------------


def test_it_stores_the_final_save_of_a_long_two_editor_session_with_its_history_and_changes(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    owner_cfg, editor_cfg = editor_config(personas, attachment, "owner"), editor_config(personas, attachment)
    session = fake_ds.open(owner_cfg)
    fake_ds.open(editor_cfg)
    # Two people taking turns: every change of author adds a history entry, until the header token is too long.
    for turn in range(60):
        cfg = (owner_cfg, editor_cfg)[turn % 2]
        session.edit(uid_of(cfg), f"turn {turn}".encode())
    assert session.close(uid_of(owner_cfg)).status == 1

    record = session.close(uid_of(editor_cfg))

    assert record.header_shrunk is not None and record.header_shrunk[0] >= HEADER_TOKEN_LIMIT
    assert record.body["history"] == {} and "changesurl" not in record.body
    assert (record.http_status, record.response_json) == (200, {"error": 0})
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"turn 59"
    assert version.created_by == personas.editor
    # The history and the changes come from the body token, which the DS never cuts.
    assert len(version.edit_info.history["changes"]) == 60
    assert version.edit_info.changes_file.name
    assert fake_ds.forgotten_keys == []
    assert not [label for label in statuses(personas) if "Being edited" in label]


@pytest.mark.parametrize(
    ("field", "plain"),
    [
        ("url", "http://127.0.0.1:9/cache/files/data/evil/output.docx"),
        ("status", 4),
        ("history", {"serverVersion": "9.0.4", "changes": []}),
        ("changesurl", "http://127.0.0.1:9/changes.zip"),
    ],
)
def test_it_still_refuses_a_plain_field_that_contradicts_the_signed_one(editing_setup, field, plain) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    signed = {
        "key": cfg["document"]["key"],
        "status": 2,
        "url": "http://127.0.0.1:9/cache/files/data/k/output.docx",
        "changesurl": "http://127.0.0.1:9/cache/files/data/k/changes.zip",
        "history": {"serverVersion": "9.0.4", "changes": [{"created": "2026-12-05 07:00:00"}]},
        "users": [uid_of(cfg)],
    }
    body = {**signed, field: plain}
    token = tokens.sign(signed, fake_ds.secret, now=int(time.time()))

    status, answer = fake_ds.send_callback(
        cfg["editorConfig"]["callbackUrl"], signed, body_override={**body, "token": token}
    )

    assert status == 403 and f"'{field}'" in answer["message"]
    assert not SaveRequest.objects.exists()


def test_it_takes_the_signed_values_when_the_plain_body_was_cut_by_the_size_rule(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    session.edit(uid_of(cfg), b"edited")
    signed = {
        "key": cfg["document"]["key"],
        "status": 6,
        "url": session.forcesave(uid_of(cfg)).fields["url"],
        "changesurl": "",
        "history": {"serverVersion": "9.0.4", "changes": [{"created": "2026-12-05 07:00:00"}]},
        "users": [uid_of(cfg)],
        "lastsave": "2026-12-05T07:00:00.000Z",
        "forcesavetype": 1,
        "filetype": "docx",
    }
    cut = {name: value for name, value in signed.items() if name != "changesurl"} | {"history": {}}
    token = tokens.sign(signed, fake_ds.secret, now=int(time.time()))

    status, answer = fake_ds.send_callback(
        cfg["editorConfig"]["callbackUrl"], signed, body_override={**cut, "token": token}
    )

    assert (status, answer) == (200, {"error": 0})
    saved = SaveRequest.objects.get(lastsave="2026-12-05T07:00:00.000Z")
    assert saved.history == signed["history"]


# --- 2 and 3. a session whose final save we refused --------------------------------------------------------------


def refused_final_save(personas, attachment, fake_ds) -> dict:
    """Eddie edits; our callback refuses the final save (a secret changed mid-session): the DS keeps the file."""
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    session.edit(uid_of(cfg), b"typed while the secret was changing")
    ds_settings.update(jwt_secret=OTHER_SECRET)
    assert session.close(uid_of(cfg)).http_status == 403
    ds_settings.update(jwt_secret=fake_ds.secret)
    assert fake_ds.forgotten_keys == [cfg["document"]["key"]]
    assert presence(personas, attachment) == ["Eddie Editor"]
    return cfg


def test_it_recovers_a_lost_final_save_in_its_authors_name_and_ends_the_session(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = refused_final_save(personas, attachment, fake_ds)

    out = io.StringIO()
    call_command("onlyoffice", "recover", stdout=out)

    assert f"{cfg['document']['key']}: stored as version 2" in out.getvalue()
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"typed while the secret was changing"
    assert version.created_by == personas.editor
    assert DocumentKey.objects.get(key=cfg["document"]["key"]).editors == []
    assert not [label for label in statuses(personas) if "Being edited" in label]
    assert presence(personas, attachment) == []
    page = personas.client_for("editor").get(reverse("attachment_detail", args=[attachment.pk])).content.decode()
    assert "Being edited" not in page and "Deleted user" not in page


def test_it_ends_a_session_the_ds_no_longer_has_and_stores_what_it_kept(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = refused_final_save(personas, attachment, fake_ds)

    stored = forgotten.sessions_reconcile(quiet_for=timedelta(0))

    assert [(result.key, result.outcome) for result in stored] == [(cfg["document"]["key"], "stored")]
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert (version.file.open("rb").read(), version.created_by) == (
        b"typed while the secret was changing",
        personas.editor,
    )
    assert fake_ds.forgotten_keys == []
    assert presence(personas, attachment) == []


def test_it_leaves_the_editors_the_ds_still_has_and_skips_quiet_checks_too_soon(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fake_ds.open(cfg)
    commands_before = len(fake_ds.requests_to("/command"))

    assert forgotten.sessions_reconcile() == []
    assert len(fake_ds.requests_to("/command")) == commands_before

    assert forgotten.sessions_reconcile(quiet_for=timedelta(0)) == []
    assert [record.json()["c"] for record in fake_ds.requests_to("/command")][commands_before:] == ["info"]
    assert presence(personas, attachment) == ["Eddie Editor"]


def test_it_changes_nothing_when_the_ds_cannot_be_asked(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    refused_final_save(personas, attachment, fake_ds)
    fake_ds.down()

    assert forgotten.sessions_reconcile(quiet_for=timedelta(0)) == []
    assert presence(personas, attachment) == ["Eddie Editor"]
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


# --- 4. a link that expired before the file was fetched ---------------------------------------------------------


def test_it_reports_a_save_whose_link_expired_as_lost_with_no_retry(editing_setup, mailoutbox) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    blob = fake_ds.blobs.put(f"{cfg['document']['key']}_1", "output.docx", b"gone", "application/octet-stream")
    # Signed 15 minutes and a second ago: the real DS answers 410 and, after {"error":0}, keeps no copy.
    expired = fake_ds.blobs.link(fake_ds.url, blob, "output.docx", now=int(fake_ds.now()) - 901)

    send_save(fake_ds, cfg, expired)

    save = SaveRequest.objects.get(attachment=attachment)
    assert save.state == SaveRequest.State.LOST
    assert "discarded" in save.last_error
    assert [record.json()["c"] for record in fake_ds.requests_to("/command")] == ["getForgotten"]
    labels = statuses(personas)
    assert any("Edits by Eddie Editor at" in label and "were lost" in label for label in labels)
    html = personas.client_for("editor").get(reverse("space_detail", args=[personas.space.id])).content.decode()
    assert reverse("onlyoffice-save-retry", args=[save.pk]) not in html
    # Retry, were it forced, is refused and explains why.
    answer = personas.client_for("editor").post(reverse("onlyoffice-save-retry", args=[save.pk]), follow=True)
    assert "discarded them before they could be fetched" in answer.content.decode()
    save.refresh_from_db()
    assert save.state == SaveRequest.State.LOST
    (message,) = mailoutbox
    assert "were lost" in message.subject and "cannot be recovered" in message.body
    assert "Retry" not in message.body and expired not in message.body
