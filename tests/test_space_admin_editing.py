"""Deleting a space while one of its files is open in ONLYOFFICE, against the fake Document Server over real HTTP:
refused, naming the file and who edits it, until the session ends; then the space goes, with the version the
session saved, its save request and document key, and every stored file."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from attachments.models import Attachment, Space, Version
from connector.models import DocumentKey, SaveRequest
from tests.support.storage_run import stored_names

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = (
    "A file is being edited: “Plan.docx” (by Eddie Editor). "
    "The space can be deleted once its editing session has ended."
)


def editor_config(personas, attachment) -> dict:
    html = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return json.loads(match.group(1))


def stored_files() -> list[str]:
    return sorted(stored_names())


def test_it_refuses_to_delete_a_space_while_a_file_is_edited_then_deletes_everything(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)  # the DS reports Eddie connected (status 1)
    owner = personas.client_for("owner")
    delete_url = reverse("space_delete", args=[personas.space.pk])

    page = owner.get(delete_url).content.decode()
    refused = owner.post(delete_url, {"confirm": "Engineering"})
    api = owner.delete(f"/api/spaces/{personas.space.pk}/?confirm=Engineering")

    assert re.search(r"data-being-edited.*Plan\.docx.*Eddie Editor", page, re.S)
    assert refused.status_code == 409 and REFUSAL in refused.content.decode()
    assert (api.status_code, api.json()) == (409, {"detail": REFUSAL, "being_edited": ["Plan.docx"]})
    assert Attachment.objects.filter(pk=attachment.pk).exists()

    session.edit(uid, b"edited bytes")
    assert session.close(uid).response_json == {"error": 0}  # status 2: the session ended, its save is stored
    assert Version.objects.filter(attachment=attachment).count() == 2
    assert SaveRequest.objects.filter(attachment=attachment).exists()
    assert len(stored_files()) >= 2

    assert owner.post(delete_url, {"confirm": "Engineering"}).status_code == 302
    assert not Space.objects.filter(pk=personas.space.pk).exists()
    assert not Version.objects.exists() and not DocumentKey.objects.exists() and not SaveRequest.objects.exists()
    # The versions' files and the changes archive of the edited one go once the delete has committed (a
    # transactional test commits each request).
    assert stored_files() == []
