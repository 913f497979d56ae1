"""The editor page's presence: GET /onlyoffice/editor/<id>/presence/ and static/connector/presence.js.

Who is editing comes from real status 1/4/2 callbacks sent by the fake Document Server to the live server.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from connector.models import DocumentKey, SaveRequest
from tests.support.browser import TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)


def editor_config(personas, attachment, persona: str) -> dict:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def presence(personas, attachment, persona: str):
    return personas.client_for(persona).get(reverse("onlyoffice-presence", args=[attachment.pk]))


def test_it_tells_a_viewer_who_is_editing(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    fake_ds.open(editor_config(personas, attachment, "editor"))
    response = presence(personas, attachment, "viewer")
    assert response.status_code == 200
    assert response.json() == {"editors": ["Eddie Editor"], "saving": False, "version": 1}
    assert response["Cache-Control"] == "no-store"


def test_it_never_lists_the_user_themself(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    fake_ds.open(editor_config(personas, attachment, "editor"))
    fake_ds.open(editor_config(personas, attachment, "owner"))
    assert presence(personas, attachment, "editor").json()["editors"] == ["Olivia Owner"]
    assert presence(personas, attachment, "owner").json()["editors"] == ["Eddie Editor"]


def test_it_forgets_the_editors_once_the_session_closes(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment, "editor")
    session = fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    assert presence(personas, attachment, "viewer").json()["editors"] == ["Eddie Editor"]
    session.edit(uid, b"edited bytes")
    assert session.close(uid).response_json == {"error": 0}  # status 2; the save runs inline
    assert presence(personas, attachment, "viewer").json() == {"editors": [], "saving": False, "version": 2}


def test_it_reports_a_pending_save(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    editor_config(personas, attachment, "editor")  # issues the live key
    key = DocumentKey.objects.get(attachment=attachment, retired_at__isnull=True)
    # Test data: a save the worker has not claimed yet.
    SaveRequest.objects.create(attachment=attachment, document_key=key, callback_status=6, dedupe_key="p1")
    assert presence(personas, attachment, "viewer").json()["saving"] is True


def test_it_hides_the_file_from_an_outsider(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    fake_ds.open(editor_config(personas, attachment, "editor"))
    response = presence(personas, attachment, "outsider")
    assert response.status_code == 404
    assert "Eddie" not in response.content.decode()


def test_it_tells_an_anonymous_script_to_sign_in_again(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    response = presence(personas, attachment, "anonymous")
    assert response.status_code == 401
    assert response.json()["error"] == 1


@pytest.mark.browser
def test_it_shows_who_else_is_editing_on_the_editor_page(editing_setup, browser_page) -> None:
    personas, attachment, fake_ds = editing_setup
    fake_ds.open(editor_config(personas, attachment, "owner"))  # Olivia is already editing
    browser_page.login(personas.client_for("editor"))
    browser_page.goto(reverse("onlyoffice-editor", args=[attachment.pk]))
    bar = browser_page.page.locator("#onlyoffice-presence")
    bar.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert bar.text_content() == "Also editing: Olivia Owner"
    assert "Eddie" not in bar.text_content()
    assert not [line for line in browser_page.console if "Content Security Policy" in line]
