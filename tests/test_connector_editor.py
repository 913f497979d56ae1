"""The editor page: the signed DocEditor config, modes, keys, and what users see when something is off."""

from __future__ import annotations

import json
import re

import jwt
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attachments import services
from attachments.models import VersionSource
from connector import ds_settings, keys
from connector.models import DocumentKey

SECRET = "editor-test-secret-0123456789abcdef"
DS_URL = "http://127.0.0.1:9"  # never contacted by these tests


@pytest.fixture
def onlyoffice(db):
    return ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret=SECRET)


def _config_from(response) -> dict:
    html = response.content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page embeds the config in #onlyoffice-config"
    return json.loads(match.group(1))


def test_it_builds_a_signed_edit_config_for_editors(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status_code == 200
    cfg = _config_from(response)
    assert cfg["documentType"] == "word"
    assert cfg["document"]["fileType"] == "docx"
    assert cfg["document"]["title"] == "Plan.docx"
    assert cfg["document"]["referenceData"]["fileKey"] == str(attachment.pk)
    assert cfg["document"]["permissions"]["edit"] is True
    assert cfg["editorConfig"]["mode"] == "edit"
    assert cfg["editorConfig"]["callbackUrl"].startswith(
        f"http://connector.test/onlyoffice/callback/{attachment.pk}/?token="
    )
    assert cfg["document"]["url"].startswith(f"http://connector.test/onlyoffice/download/{attachment.pk}/?token=")
    assert cfg["editorConfig"]["customization"]["goback"]["url"].endswith(f"/spaces/{personas.space.pk}/")
    claims = jwt.decode(cfg.pop("token"), SECRET, algorithms=["HS256"])
    assert "exp" in claims and "iat" in claims
    # The token signs the whole config (tokenRequiredParams): the DS uses the token's values.
    assert {k: v for k, v in claims.items() if k not in {"iat", "exp"}} == cfg


def test_it_api_js_comes_from_the_public_url_and_the_csp_allows_only_that_origin(personas, make_attachment, onlyoffice):
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert f'data-api-url="{DS_URL}/web-apps/apps/api/documents/api.js"' in response.content.decode()
    csp = response["Content-Security-Policy"]
    assert f"script-src 'self' {DS_URL}" in csp
    assert f"frame-src {DS_URL}" in csp
    assert "unsafe-inline" not in csp


def test_it_gives_viewers_view_mode_and_no_callback_url(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    cfg = _config_from(personas.client_for("viewer").get(reverse("onlyoffice-editor", args=[attachment.pk])))
    assert cfg["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in cfg["editorConfig"]
    assert cfg["document"]["permissions"]["edit"] is False
    claims = jwt.decode(cfg["token"], SECRET, algorithms=["HS256"])
    assert "callbackUrl" not in claims["editorConfig"]


def test_it_forces_view_mode_with_the_query_parameter(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    url = reverse("onlyoffice-editor", args=[attachment.pk]) + "?mode=view"
    response = personas.client_for("editor").get(url)
    cfg = _config_from(response)
    assert cfg["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in cfg["editorConfig"]
    # The editor may switch to editing from the view: the page knows where to go.
    assert f'data-edit-url="{reverse("onlyoffice-editor", args=[attachment.pk])}"' in response.content.decode()


def test_it_opens_view_only_formats_in_view_mode_for_editors(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Old.doc")
    cfg = _config_from(personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])))
    assert cfg["editorConfig"]["mode"] == "view"
    assert cfg["documentType"] == "word"


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("anonymous", 302), ("viewer", 200)])
def test_it_applies_the_permission_matrix_to_the_editor_page(personas, make_attachment, onlyoffice, persona, status):
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_it_escapes_a_hostile_title_inside_the_embedded_config(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "</script><script>alert(1)</script>.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert _config_from(response)["document"]["title"] == attachment.title


def test_it_omits_the_token_when_no_secret_is_set(personas, make_attachment, db) -> None:
    ds_settings.update(public_url=DS_URL, jwt_secret="")
    attachment = make_attachment(personas.space, "Plan.docx")
    cfg = _config_from(personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])))
    assert "token" not in cfg


def test_it_explains_when_onlyoffice_is_not_configured(personas, make_attachment, db) -> None:
    ds_settings.update(public_url="")
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status_code == 503
    assert "not set up" in response.content.decode()


def test_it_shares_one_key_between_users_and_keeps_it_valid(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    url = reverse("onlyoffice-editor", args=[attachment.pk])
    first = _config_from(personas.client_for("editor").get(url))["document"]["key"]
    second = _config_from(personas.client_for("owner").get(url))["document"]["key"]
    assert first == second
    assert keys.is_valid_key(first)
    assert len(first) <= 128


def test_it_changes_the_key_when_a_version_is_uploaded_but_not_on_forcesave(personas, make_attachment, onlyoffice):
    attachment = make_attachment(personas.space, "Plan.docx")
    first = keys.live_key(attachment).key
    services.version_create(
        attachment=attachment, chunks=[b"forcesaved"], source=VersionSource.FORCESAVE, created_by=None
    )
    assert keys.live_key(attachment).key == first
    services.version_create(attachment=attachment, chunks=[b"uploaded"], source=VersionSource.UPLOAD, created_by=None)
    second = keys.live_key(attachment).key
    assert second != first
    services.version_restore(version=attachment.versions.get(number=1), restored_by=None)
    assert keys.live_key(attachment).key not in {first, second}
    # Old keys stay known to the attachment, so a late save from their session is still accepted.
    assert set(DocumentKey.objects.filter(attachment=attachment).values_list("key", flat=True)) >= {first, second}


def test_it_keys_differ_between_attachments_and_are_not_guessable_from_ids(personas, make_attachment, onlyoffice):
    a = make_attachment(personas.space, "A.docx")
    b = make_attachment(personas.space, "B.docx")
    key_a, key_b = keys.live_key(a).key, keys.live_key(b).key
    assert key_a != key_b
    # Same attachment, same version, a new key: it depends on a secret nonce, not only on ids.
    keys.key_retire(attachment_id=a.pk)
    assert keys.live_key(a).key != key_a


def test_it_user_ids_are_stable_and_opaque(personas, db) -> None:
    uid = keys.editor_uid(personas.editor)
    assert uid == keys.editor_uid(personas.editor)
    assert uid != keys.editor_uid(personas.viewer)
    assert str(personas.editor.pk) != uid and personas.editor.username not in uid
    assert keys.user_id_for_uid(uid) == personas.editor.pk


def test_it_offers_edit_to_editors_and_view_to_viewers_in_the_list(personas, make_attachment, onlyoffice) -> None:
    make_attachment(personas.space, "Plan.docx")
    make_attachment(personas.space, "Old.doc")
    space_url = reverse("space_detail", args=[personas.space.pk])
    editor_html = personas.client_for("editor").get(space_url).content.decode()
    viewer_html = personas.client_for("viewer").get(space_url).content.decode()
    assert editor_html.count("Edit in ONLYOFFICE") == 1  # the .doc is view-only
    assert editor_html.count("View in ONLYOFFICE") == 1
    assert "Edit in ONLYOFFICE" not in viewer_html
    assert viewer_html.count("View in ONLYOFFICE") == 2


def test_it_gives_editor_feature_scripts_a_csrf_token_and_the_editor_base_url(personas, make_attachment) -> None:
    ds_settings.update(public_url="https://docs.example.com")
    attachment = make_attachment(personas.space, "Plan.docx")
    html = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()

    assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', html)
    assert f'data-editor-base="/onlyoffice/editor/{attachment.pk}/"' in html


def test_it_opens_the_editor_page_in_four_queries_however_long_the_history(personas, make_attachment) -> None:
    from django.db import reset_queries

    ds_settings.update(public_url="https://docs.example.com", jwt_secret="s" * 32)
    short = make_attachment(personas.space, "Short.docx")
    long = make_attachment(personas.space, "Long.docx")
    for number in range(30):
        services.version_create(attachment=long, chunks=[f"v{number}".encode()], source="upload", created_by=None)
    client = personas.client_for("editor")
    for attachment in (short, long):
        client.get(reverse("onlyoffice-editor", args=[attachment.pk]))  # issues the key and the editor id

    for attachment in (short, long):
        reset_queries()  # the test client's request resets the log as it starts
        # Session, user, the file with its role, live key, editor id and save state, and its desktop lock if any.
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("onlyoffice-editor", args=[attachment.pk])).status_code == 200
        assert len(queries) <= 4, "\n".join(query["sql"] for query in queries.captured_queries)
