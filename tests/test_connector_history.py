"""Version history in the editor: refreshHistory's payload, setHistoryData's signed links, restore, and the page.

Edited versions come from the real save pipeline: the fake Document Server opens the editor config, edits and
closes, and the live server stores the file, its changes zip and the history JSON. The fake then downloads the
history links with its own JWT, as the real server does.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import time
import zipfile
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from django.core import signing
from django.urls import reverse

from attachments import services
from attachments.models import Attachment, VersionSource
from connector import ds_settings, history, keys, links
from tests.test_browser_editor import editor_frame, open_editor, send_event

SECRET = "history-test-secret-0123456789abcdef0123456789"
CREATED = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture
def onlyoffice(db):
    # Never contacted: these tests only read what the endpoints answer.
    return ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def live_setup(personas, live_server, fake_ds):
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    return personas, fake_ds


def editor_config(personas, attachment, persona: str = "editor") -> dict:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def edit_in_ds(personas, fake_ds, attachment, new_bytes: bytes) -> dict:
    """One editing session through the fake DS, stored by the real pipeline; the config it opened with."""
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, new_bytes)
    assert session.close(uid).response_json == {"error": 0}
    return cfg


def get_history(client, attachment):
    return client.get(reverse("onlyoffice-history", args=[attachment.pk]))


def get_history_data(client, attachment, version):
    return client.get(reverse("onlyoffice-history-data", args=[attachment.pk]) + "?" + urlencode({"version": version}))


def post_restore(client, attachment, body):
    return client.post(
        reverse("onlyoffice-restore", args=[attachment.pk]), data=json.dumps(body), content_type="application/json"
    )


def upload(attachment, content: bytes, user=None):
    return services.version_create(
        attachment=attachment, chunks=[content], source=VersionSource.UPLOAD, created_by=user
    )


def ds_get(url: str, secret: str) -> requests.Response:
    """GET as the DS does, with its JWT over the exact URL."""
    signed = jwt.encode({"payload": {"url": url}}, secret, algorithm="HS256")
    return requests.get(url, headers={"Authorization": f"Bearer {signed}"}, timeout=5)


class _SignedTwoHoursAgo(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 2 * 3600)


def expired_link(url: str, purpose: str) -> str:
    """The same link with its token signed two hours ago: past the one-hour download link lifetime."""
    token = parse_qs(urlsplit(url).query)["token"][0]
    claims = links.read_token(token, purpose, max_age=3600)
    # What links.make_token would have produced then (same salt, serializer and compression).
    old = _SignedTwoHoursAgo(salt=links._SALT + purpose).sign_object(claims, compress=True)
    return url.split("?")[0] + "?" + urlencode({"token": old})


@pytest.mark.django_db(transaction=True)
def test_it_lists_versions_oldest_first_with_what_the_editor_saved(live_setup, make_attachment) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    edit_in_ds(personas, fake_ds, attachment, b"edited")
    attachment.refresh_from_db()

    response = get_history(personas.client_for("viewer"), attachment)
    assert response.status_code == 200
    payload = response.json()
    assert payload["currentVersion"] == 2
    first, second = payload["history"]
    assert [first["version"], second["version"]] == [1, 2]
    assert first["user"] == {"id": keys.editor_uid(personas.owner), "name": "Olivia Owner"}
    assert second["user"] == {"id": keys.editor_uid(personas.editor), "name": "Eddie Editor"}
    assert "changes" not in first and "serverVersion" not in first
    saved = attachment.versions.get(number=2).edit_info.history
    assert second["changes"] == saved["changes"] and second["changes"]
    assert second["serverVersion"] == saved["serverVersion"]
    v1 = attachment.versions.get(number=1)
    assert CREATED.match(first["created"])
    assert first["created"] == v1.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    # The current version is the one the editor opens: the same key, so the DS shares one cached copy.
    assert second["key"] == editor_config(personas, attachment, "viewer")["document"]["key"]


def test_it_keeps_old_keys_stable_and_different_per_version(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    upload(attachment, b"two")
    upload(attachment, b"three")
    client = personas.client_for("editor")
    first = [entry["key"] for entry in get_history(client, attachment).json()["history"]]
    again = [entry["key"] for entry in get_history(client, attachment).json()["history"]]

    assert first == again
    assert len(set(first)) == 3
    assert all(keys.is_valid_key(key) for key in first)
    assert first[2] == editor_config(personas, attachment)["document"]["key"]
    upload(attachment, b"four")
    after = [entry["key"] for entry in get_history(client, attachment).json()["history"]]
    # Version 3 is no longer current: it leaves the live key for its own, the older ones do not move.
    assert after[:2] == first[:2]
    assert after[2] not in first and after[3] == editor_config(personas, attachment)["document"]["key"]


def test_it_gives_keys_that_differ_between_attachments_and_need_the_secret_key(
    personas, make_attachment, onlyoffice, settings
) -> None:
    a = make_attachment(personas.space, "A.docx", content=b"same")
    b = make_attachment(personas.space, "B.docx", content=b"same")
    upload(a, b"next")
    upload(b, b"next")
    client = personas.client_for("viewer")
    key_a = get_history(client, a).json()["history"][0]["key"]
    key_b = get_history(client, b).json()["history"][0]["key"]
    assert key_a != key_b
    v1 = a.versions.get(number=1)
    assert history.version_key(v1) == key_a
    # Keyed by SECRET_KEY: knowing the ids and the content is not enough to name a version's cached copy.
    settings.SECRET_KEY = "another-secret-key-0123456789abcdef0123456789"
    assert history.version_key(v1) != key_a


@pytest.mark.django_db(transaction=True)
def test_it_lets_the_ds_download_a_version_its_changes_and_the_one_before(live_setup, make_attachment) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    edit_in_ds(personas, fake_ds, attachment, b"edited")
    attachment.refresh_from_db()

    response = get_history_data(personas.client_for("viewer"), attachment, 2)
    assert response.status_code == 200
    data = response.json()
    history = get_history(personas.client_for("viewer"), attachment).json()["history"]
    assert data["version"] == 2 and data["fileType"] == "docx"
    assert data["key"] == history[1]["key"]
    assert data["previous"]["key"] == history[0]["key"] and data["previous"]["fileType"] == "docx"
    assert fake_ds.download(data["url"]) == b"edited"
    assert fake_ds.download(data["previous"]["url"]) == b"original"
    with zipfile.ZipFile(io.BytesIO(fake_ds.download(data["changesUrl"]))) as archive:
        changes = json.loads(archive.read("changes.json"))
    assert changes == attachment.versions.get(number=2).edit_info.history["changes"]
    claims = jwt.decode(data.pop("token"), fake_ds.secret, algorithms=["HS256"])
    assert {name: value for name, value in claims.items() if name not in {"iat", "exp"}} == data


@pytest.mark.django_db(transaction=True)
def test_it_refuses_history_links_without_the_ds_jwt_or_once_expired(live_setup, make_attachment) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    edit_in_ds(personas, fake_ds, attachment, b"edited")
    data = get_history_data(personas.client_for("editor"), attachment, 2).json()

    for url, purpose in ((data["url"], "download"), (data["changesUrl"], "changes")):
        assert ds_get(url, fake_ds.secret).status_code == 200
        without_jwt = requests.get(url, timeout=5)
        assert without_jwt.status_code == 403 and without_jwt.json()["error"] == 1
        assert ds_get(url, "not-the-ds-secret-0123456789abcdef").status_code == 403
        old_url = expired_link(url, purpose)
        assert old_url != url
        expired = ds_get(old_url, fake_ds.secret)
        assert expired.status_code == 403
        assert expired.json()["message"] == "the link has expired"


@pytest.mark.django_db(transaction=True)
def test_it_serves_changes_only_for_an_edited_version_and_only_by_its_own_link(live_setup, make_attachment) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    edit_in_ds(personas, fake_ds, attachment, b"edited")
    first = get_history_data(personas.client_for("editor"), attachment, 1).json()
    second = get_history_data(personas.client_for("editor"), attachment, 2).json()
    assert "changesUrl" not in first and "previous" not in first

    v1 = attachment.versions.get(number=1)
    base = second["changesUrl"].split("/onlyoffice/")[0]
    uploaded = f"{base}/onlyoffice/changes/{v1.pk}/?" + urlencode(
        {"token": links.make_token("changes", n=v1.pk, u=personas.editor.pk)}
    )
    response = ds_get(uploaded, fake_ds.secret)
    assert response.status_code == 404 and response.json()["error"] == 1
    # Version 2's token on version 1's path, and a download token used as a changes token.
    swapped = second["changesUrl"].replace(f"/changes/{v1.pk + 1}/", f"/changes/{v1.pk}/")
    assert swapped != second["changesUrl"]
    assert ds_get(swapped, fake_ds.secret).status_code == 403
    download_token = parse_qs(urlsplit(second["url"]).query)["token"][0]
    crossed = second["changesUrl"].split("?")[0] + "?" + urlencode({"token": download_token})
    assert ds_get(crossed, fake_ds.secret).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_stops_serving_history_links_of_a_user_who_left_the_space(live_setup, make_attachment) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    edit_in_ds(personas, fake_ds, attachment, b"edited")
    data = get_history_data(personas.client_for("viewer"), attachment, 2).json()
    services.membership_remove(space=personas.space, user=personas.viewer)
    assert ds_get(data["url"], fake_ds.secret).status_code == 404
    assert ds_get(data["changesUrl"], fake_ds.secret).status_code == 404


def test_it_keeps_the_file_type_of_a_version_stored_before_a_change_of_format(
    personas, make_attachment, onlyoffice
) -> None:
    attachment = make_attachment(personas.space, "Notes.odt", content=b"odt bytes")
    # A rename that changed the type, as was possible before renames had to keep the extension (issue 17).
    Attachment.objects.filter(pk=attachment.pk).update(title="Notes.docx")
    attachment.refresh_from_db()
    upload(attachment, b"docx bytes")
    data = get_history_data(personas.client_for("editor"), attachment, 2).json()
    assert data["fileType"] == "docx"
    assert data["previous"]["fileType"] == "odt"
    assert get_history_data(personas.client_for("editor"), attachment, 1).json()["fileType"] == "odt"

    response = post_restore(personas.client_for("editor"), attachment, {"version": 1})
    assert response.status_code == 400
    assert "another file type" in response.json()["message"]
    attachment.refresh_from_db()
    assert attachment.current_version == 2


def test_it_restores_a_version_for_an_editor_and_rotates_the_key(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    upload(attachment, b"two")
    old_key = editor_config(personas, attachment)["document"]["key"]

    response = post_restore(personas.client_for("editor"), attachment, {"version": 1})
    assert response.status_code == 200
    attachment.refresh_from_db()
    assert attachment.current_version == 3
    restored = attachment.versions.get(number=3)
    assert restored.file.open("rb").read() == b"one"
    assert (restored.source, restored.created_by) == (VersionSource.RESTORE, personas.editor)
    payload = response.json()
    assert payload["currentVersion"] == 3 and [entry["version"] for entry in payload["history"]] == [1, 2, 3]
    new_key = payload["history"][2]["key"]
    assert new_key != old_key
    assert new_key == editor_config(personas, attachment)["document"]["key"]


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 403), ("outsider", 404), ("anonymous", 401), ("owner", 200), ("staff", 200)]
)
def test_it_lets_only_editors_restore(personas, make_attachment, onlyoffice, persona, status) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    upload(attachment, b"two")
    response = post_restore(personas.client_for(persona), attachment, {"version": 1})
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    attachment.refresh_from_db()
    assert attachment.current_version == (3 if status == 200 else 2)


@pytest.mark.parametrize(
    ("body", "status"),
    [({"version": "x"}, 400), ({"version": True}, 400), ({}, 400), ({"version": 9}, 404), ({"version": 2}, 400)],
)
def test_it_refuses_a_bad_restore_request_and_changes_nothing(personas, make_attachment, onlyoffice, body, status):
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    upload(attachment, b"two")
    response = post_restore(personas.client_for("editor"), attachment, body)
    assert response.status_code == status
    assert response.json()["message"]
    attachment.refresh_from_db()
    assert attachment.current_version == 2


def test_it_refuses_a_restore_that_is_not_json(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    upload(attachment, b"two")
    url = reverse("onlyoffice-restore", args=[attachment.pk])
    assert personas.client_for("editor").post(url, {"version": "1"}).status_code == 415
    assert personas.client_for("editor").get(url).status_code == 405


@pytest.mark.parametrize(
    ("persona", "status"),
    [("viewer", 200), ("editor", 200), ("owner", 200), ("staff", 200), ("outsider", 404), ("anonymous", 401)],
)
def test_it_applies_the_permission_matrix_to_history_reads(personas, make_attachment, onlyoffice, persona, status):
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    client = personas.client_for(persona)
    for response in (get_history(client, attachment), get_history_data(client, attachment, 1)):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        if status != 200:
            assert "history" not in response.json() and "url" not in response.json()


@pytest.mark.parametrize(("version", "status"), [("9", 404), ("zero", 400), ("0", 400), ("", 400)])
def test_it_refuses_history_data_for_a_missing_or_bad_version(personas, make_attachment, onlyoffice, version, status):
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    response = get_history_data(personas.client_for("viewer"), attachment, version)
    assert response.status_code == status
    assert response.json()["error"] == 1


def test_it_omits_the_history_data_token_when_no_secret_is_set(personas, make_attachment, db) -> None:
    ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test")
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    data = get_history_data(personas.client_for("viewer"), attachment, 1).json()
    assert "token" not in data
    assert data["url"].startswith(f"http://connector.test/onlyoffice/download/{attachment.pk}/?token=")


def test_it_answers_history_only_when_onlyoffice_is_set_up(personas, make_attachment, db) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    assert get_history(personas.client_for("viewer"), attachment).status_code == 503


def test_it_loads_the_history_script_and_tells_it_who_may_restore(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    url = reverse("onlyoffice-editor", args=[attachment.pk])
    editor_html = personas.client_for("editor").get(url).content.decode()
    viewer_html = personas.client_for("viewer").get(url).content.decode()
    assert "connector/history.js" in editor_html
    assert 'data-can-edit="true"' in editor_html
    assert 'data-can-edit=""' in viewer_html


def _calls(page, method: str) -> list:
    return page.evaluate("(name) => window.__fakeDsCalls.filter((call) => call.method === name)", method)


def _wait_for_calls(page, method: str, count: int) -> list:
    page.wait_for_function(
        "([name, count]) => window.__fakeDsCalls.filter((call) => call.method === name).length >= count",
        arg=[method, count],
    )
    return _calls(page, method)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_answers_the_editors_history_events_in_the_page(live_setup, make_attachment, browser_page) -> None:
    personas, fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one", user=personas.owner)
    upload(attachment, b"two", personas.owner)
    page = open_editor(browser_page, personas, attachment)
    frame = editor_frame(page)

    send_event(frame, "onRequestHistory", None)
    history = _wait_for_calls(page, "refreshHistory", 1)[0]["args"][0]
    assert history["currentVersion"] == 2
    assert [entry["version"] for entry in history["history"]] == [1, 2]

    send_event(frame, "onRequestHistoryData", 1)
    data = _wait_for_calls(page, "setHistoryData", 1)[0]["args"][0]
    assert data["version"] == 1
    assert data["url"].startswith(f"{browser_page.base_url}/onlyoffice/download/{attachment.pk}/?token=")
    assert fake_ds.download(data["url"]) == b"one"

    send_event(frame, "onRequestHistoryData", 7)
    failed = _wait_for_calls(page, "setHistoryData", 2)[1]["args"][0]
    assert failed["version"] == 7 and "no version 7" in failed["error"]

    send_event(frame, "onRequestRestore", {"version": 1, "url": "http://evil.test/x.docx", "fileType": "docx"})
    restored = _wait_for_calls(page, "refreshHistory", 2)[1]["args"][0]
    assert restored["currentVersion"] == 3
    attachment.refresh_from_db()
    assert attachment.versions.get(number=3).file.open("rb").read() == b"one"
    assert not [line for line in browser_page.console if "Content Security Policy" in line]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_offers_restore_only_on_pages_that_may_edit(live_setup, make_attachment, browser_page) -> None:
    personas, _fake_ds = live_setup
    attachment = make_attachment(personas.space, "Plan.docx", content=b"one")
    page = open_editor(browser_page, personas, attachment, persona="viewer")
    editor_frame(page)
    events = page.evaluate("Object.keys(window.OnlyofficeEditorPage.config.events)")
    assert {"onRequestHistory", "onRequestHistoryData", "onRequestHistoryClose"} <= set(events)
    assert "onRequestRestore" not in events
