"""The callback and download endpoints and the save pipeline, against the fake Document Server over real HTTP.

The app runs on pytest-django's live server; the fake DS (tests/fakeds) downloads ``document.url`` with its JWT
and posts signed callbacks exactly as the protocol doc says. Save tasks run inline (eager) in the live server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.urls import reverse

from attachments.models import Attachment, VersionSource
from connector import keys
from connector.models import CallbackEvent, DocumentKey, SaveRequest

pytestmark = pytest.mark.django_db(transaction=True)


def put_blob(fake_ds, key: str, data: bytes, ext: str) -> str:
    """A file on the fake DS behind a signed /cache/files link, as a status 2/3/6 callback would name it."""
    blob = fake_ds.blobs.put(f"{key}_{len(fake_ds.blobs.all())}", f"output.{ext}", data, "application/octet-stream")
    return fake_ds.blobs.link(fake_ds.url, blob, f"output.{ext}", now=int(fake_ds.now()))


def editor_config(personas, attachment, persona="editor") -> dict:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met before the deadline")


def test_it_stores_the_edited_file_as_a_new_version_and_rotates_the_key(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    session = fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, b"edited bytes")
    record = session.close(uid)
    assert record.http_status == 200
    assert record.response_json == {"error": 0}
    attachment.refresh_from_db()
    assert attachment.current_version == 2
    version = attachment.versions.get(number=2)
    assert version.file.open("rb").read() == b"edited bytes"
    assert version.source == VersionSource.EDITOR
    assert version.created_by == personas.editor
    assert version.edit_info.history["changes"]
    assert version.edit_info.changes_file.name
    assert editor_config(personas, attachment)["document"]["key"] != cfg["document"]["key"]


def test_it_serves_the_document_to_the_ds_only_with_its_jwt(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    url = editor_config(personas, attachment)["document"]["url"]
    assert requests.get(url, timeout=5).status_code == 403
    signed = jwt.encode({"payload": {"url": url}}, fake_ds.secret, algorithm="HS256")
    response = requests.get(url, headers={"Authorization": f"Bearer {signed}"}, timeout=5)
    assert response.status_code == 200
    assert response.content == b"original bytes"
    assert response.headers["Content-Length"] == str(len(b"original bytes"))
    head = requests.head(url, headers={"Authorization": f"Bearer {signed}"}, timeout=5)
    assert head.status_code == 200 and head.headers["Content-Length"] == "14"
    other = jwt.encode({"payload": {"url": url.replace("token=", "token=x")}}, fake_ds.secret, algorithm="HS256")
    assert requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=5).status_code == 403
    wrong_secret = jwt.encode({"payload": {"url": url}}, "not-the-secret-0123456789abcdefgh", algorithm="HS256")
    assert requests.get(url, headers={"Authorization": f"Bearer {wrong_secret}"}, timeout=5).status_code == 403


def test_it_records_who_is_editing_from_status_1_and_clears_it_on_4(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    first = editor_config(personas, attachment, "editor")
    second = editor_config(personas, attachment, "owner")
    assert first["document"]["key"] == second["document"]["key"]
    session = fake_ds.open(first)
    fake_ds.open(second)
    live = DocumentKey.objects.get(key=first["document"]["key"])
    assert set(live.editors) == {first["editorConfig"]["user"]["id"], second["editorConfig"]["user"]["id"]}
    session.close(first["editorConfig"]["user"]["id"])
    session.close(second["editorConfig"]["user"]["id"])  # no changes: status 4
    live.refresh_from_db()
    assert live.editors == []
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1
    assert CallbackEvent.objects.filter(attachment=attachment, status=4).exists()


def test_it_keeps_the_key_on_forcesave_and_adds_a_version(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"forcesaved bytes")
    record = session.forcesave(uid)
    assert record.response_json == {"error": 0}
    attachment.refresh_from_db()
    assert attachment.current_version == 2
    assert attachment.versions.get(number=2).source == VersionSource.FORCESAVE
    assert editor_config(personas, attachment)["document"]["key"] == cfg["document"]["key"]


def test_it_stores_one_version_for_a_duplicated_save_callback(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"edited once")
    first = session.close(uid)
    again = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], first.fields)
    assert again[0] == 200 and again[1] == {"error": 0}
    assert Attachment.objects.get(pk=attachment.pk).current_version == 2
    assert SaveRequest.objects.filter(attachment=attachment).count() == 1


def test_it_keeps_a_file_the_ds_could_not_save_as_a_recovered_version(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    fake_ds.open(cfg).edit(uid, b"rescued")
    blob_url = put_blob(fake_ds, cfg["document"]["key"], b"rescued", "docx")
    fields = {
        "key": cfg["document"]["key"],
        "status": 3,
        "url": blob_url,
        "users": [uid],
        "filetype": "docx",
        "lastsave": "2026-03-29T10:03:10.000Z",
        "notmodified": False,
    }
    status, body = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields)
    assert (status, body) == (200, {"error": 0})
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.edit_info.recovered is True
    assert version.file.open("rb").read() == b"rescued"


@pytest.mark.parametrize("status", [3, 7])
def test_it_records_failed_saves_without_a_file(editing_setup, status) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    fields = {"key": cfg["document"]["key"], "status": status, "users": [uid], "lastsave": "2026-03-29T10:03:10.000Z"}
    assert fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields) == (200, {"error": 0})
    assert CallbackEvent.objects.filter(attachment=attachment, status=status).exists()
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


def _callback_fields(cfg: dict, **extra) -> dict:
    return {"key": cfg["document"]["key"], "status": 1, "users": [cfg["editorConfig"]["user"]["id"]], **extra}


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("unsigned", {"sign_body": False, "sign_header": False}),
        ("wrong secret", {"secret": "wrong-secret-0123456789abcdef0123"}),
        ("HS256 header only, wrong secret", {"sign_body": False, "secret": "wrong-secret-0123456789abcdef0123"}),
    ],
)
def test_it_refuses_callbacks_that_are_not_signed_with_the_secret(editing_setup, case, kwargs) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    status, body = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], _callback_fields(cfg), **kwargs)
    assert status == 403, case
    assert body["error"] == 1 and body["message"]
    assert not CallbackEvent.objects.exists()


def _post(url: str, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(
        url, data=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}, timeout=5
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token_with_header(header: dict, claims: dict, secret: str) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def test_it_refuses_alg_none_expired_and_rs256_tokens(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fields = _callback_fields(cfg)
    callback_url = cfg["editorConfig"]["callbackUrl"]
    none_token = jwt.encode(fields, None, algorithm="none")
    expired = jwt.encode({**fields, "iat": 1_000_000, "exp": 1_000_300}, fake_ds.secret, algorithm="HS256")
    # Algorithm confusion: an RS256 header over an HMAC signature made with the shared secret.
    rs_lookalike = _token_with_header({"alg": "RS256", "typ": "JWT"}, fields, fake_ds.secret)
    for token in (none_token, expired, rs_lookalike):
        response = _post(callback_url, {**fields, "token": token})
        assert response.status_code == 403
        assert response.json()["error"] == 1
    assert not CallbackEvent.objects.exists()


def test_it_refuses_a_valid_callback_for_attachment_a_posted_to_b(editing_setup, make_attachment) -> None:
    personas, attachment_a, fake_ds = editing_setup
    attachment_b = make_attachment(personas.space, "Other.docx")
    cfg_a = editor_config(personas, attachment_a)
    cfg_b = editor_config(personas, attachment_b)
    # A's key and fields, correctly signed, sent to B's callback URL: B never issued that key.
    status, body = fake_ds.send_callback(cfg_b["editorConfig"]["callbackUrl"], _callback_fields(cfg_a))
    assert status == 403 and body["error"] == 1
    # A's link token on B's path.
    url_b_path_a_token = cfg_a["editorConfig"]["callbackUrl"].replace(f"/{attachment_a.pk}/", f"/{attachment_b.pk}/")
    status, body = fake_ds.send_callback(url_b_path_a_token, _callback_fields(cfg_b))
    assert status == 403
    assert not CallbackEvent.objects.exists()


def test_it_refuses_body_fields_that_differ_from_the_token(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fields = _callback_fields(cfg)
    token = jwt.encode(fields, fake_ds.secret, algorithm="HS256")
    response = _post(
        cfg["editorConfig"]["callbackUrl"], {**fields, "status": 2, "url": "http://evil.test/x", "token": token}
    )
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


@pytest.mark.parametrize(
    "hostile_url",
    [
        "http://127.0.0.2:{port}/cache/files/x",  # another host
        "http://127.0.0.1:1/cache/files/x",  # another port on the DS host
        "http://ds@127.0.0.1:{canary}/cache/files/x",  # userinfo trick towards the canary
        "file:///etc/passwd",
        "gopher://127.0.0.1:{canary}/_x",
    ],
)
def test_it_never_fetches_a_save_url_outside_the_document_server(editing_setup, canary, hostile_url) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = hostile_url.format(port=urlsplit(fake_ds.url).port, canary=canary.port)
    fields = {
        "key": cfg["document"]["key"],
        "status": 2,
        "url": url,
        "users": [cfg["editorConfig"]["user"]["id"]],
        "lastsave": "2026-03-29T10:03:10.000Z",
        "filetype": "docx",
    }
    status, _body = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields)
    # Recorded (the DS must not retry forever), but never fetched and never stored.
    assert status == 200
    assert canary.hits == []
    request = SaveRequest.objects.get(attachment=attachment)
    assert request.state == SaveRequest.State.FAILED
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


def test_it_does_not_follow_a_redirect_from_the_save_url(editing_setup, canary) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    blob_url = put_blob(fake_ds, cfg["document"]["key"], b"never", "docx")
    fake_ds.redirect_to(f"http://127.0.0.1:{canary.port}/stolen")
    fields = {
        "key": cfg["document"]["key"],
        "status": 2,
        "url": blob_url,
        "users": [cfg["editorConfig"]["user"]["id"]],
        "lastsave": "2026-03-29T10:03:10.000Z",
        "filetype": "docx",
    }
    assert fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields)[0] == 200
    assert canary.hits == []
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.FAILED
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


@pytest.mark.parametrize(
    ("method", "content_type", "body", "status"),
    [
        ("GET", None, None, 405),
        ("POST", "text/plain", b"{}", 415),
        ("POST", "application/json", b"not json", 400),
        ("POST", "application/json", b"[1,2]", 400),
        ("POST", "application/json", b"{" + b'"a":"' + b"x" * (1024 * 1024) + b'"}', 413),
    ],
)
def test_it_answers_bad_requests_with_json_errors(editing_setup, method, content_type, body, status) -> None:
    personas, attachment, _fake_ds = editing_setup
    url = editor_config(personas, attachment)["editorConfig"]["callbackUrl"]
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.request(method, url, data=body, headers=headers, timeout=5)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"] == 1


def test_it_refuses_a_callback_link_with_a_forged_token(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = re.sub(r"token=[^&]+", "token=forged", cfg["editorConfig"]["callbackUrl"])
    status, body = fake_ds.send_callback(url, _callback_fields(cfg))
    assert status == 403 and body["error"] == 1


def test_it_key_is_one_this_attachment_issued(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fields = {**_callback_fields(cfg), "key": "never-issued-key"}
    status, _body = fake_ds.send_callback(cfg["editorConfig"]["callbackUrl"], fields)
    assert status == 403
    assert keys.is_valid_key("never-issued-key")


@pytest.fixture
def unconsumed_broker(monkeypatch):
    """Tasks go to an in-memory broker nobody reads: the save task does not run inside the callback request."""
    from config.celery_app import app
    from tests.support.workers import reset_broker_connections

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "memory://localhost/")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    reset_broker_connections()
    yield
    reset_broker_connections()


def _post_in_process(cfg: dict, fields: dict, secret: str):
    """A signed callback through the test client: in this thread, so its queries can be captured."""
    from django.test import Client

    parts = urlsplit(cfg["editorConfig"]["callbackUrl"])
    body = {**fields, "token": jwt.encode(fields, secret, algorithm="HS256")}
    return Client().post(f"{parts.path}?{parts.query}", data=json.dumps(body), content_type="application/json")


def _save_fields(fake_ds, cfg: dict, key: str | None = None) -> dict:
    key = key or cfg["document"]["key"]
    return {
        "key": key,
        "status": 2,
        "url": put_blob(fake_ds, key, b"saved", "docx"),
        "users": [cfg["editorConfig"]["user"]["id"]],
        "lastsave": "2026-03-29T10:03:10.000Z",
        "filetype": "docx",
    }


_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _statements_of(send) -> list[str]:
    """The statements a callback ran; transaction control is left out, as not every backend's log shows it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = send()
    assert (response.status_code, response.json()) == (200, {"error": 0})
    return [query["sql"] for query in queries if not query["sql"].upper().startswith(_TRANSACTION_CONTROL)]


def test_it_records_a_fresh_save_in_six_statements_and_a_resent_one_in_four(editing_setup, unconsumed_broker) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fields = _save_fields(fake_ds, cfg)
    # Lock and key, event, key update, dedupe check, editor, save request (it was 8, with a savepoint around it).
    fresh = _statements_of(lambda: _post_in_process(cfg, fields, fake_ds.secret))
    assert len(fresh) == 6, "\n".join(fresh)
    # The DS retry: lock and key, event, key update, dedupe check (it was 9: a failed INSERT, then a SELECT).
    resent = _statements_of(lambda: _post_in_process(cfg, fields, fake_ds.secret))
    assert len(resent) == 4, "\n".join(resent)
    save = SaveRequest.objects.get(attachment=attachment)
    assert (save.state, save.editor, save.document_key.key) == (
        SaveRequest.State.PENDING,
        personas.editor,
        cfg["document"]["key"],
    )
    assert CallbackEvent.objects.filter(attachment=attachment, status=2).count() == 2


def test_it_ignores_a_resent_save_that_is_already_stored(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    fields = _save_fields(fake_ds, cfg)
    assert _post_in_process(cfg, fields, fake_ds.secret).json() == {"error": 0}
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED
    again = _statements_of(lambda: _post_in_process(cfg, fields, fake_ds.secret))
    # Nothing is claimed, downloaded or stored again.
    assert not any("UPDATE" in sql and "saverequest" in sql for sql in again)
    assert Attachment.objects.get(pk=attachment.pk).current_version == 2


def test_it_retires_the_live_key_and_clears_the_saved_ones_editors_when_they_differ(
    editing_setup, unconsumed_broker
) -> None:
    personas, attachment, fake_ds = editing_setup
    old_cfg = editor_config(personas, attachment)
    fake_ds.open(old_cfg)  # status 1: the editor is on the old key
    keys.key_retire(attachment_id=attachment.pk)  # as storing a version elsewhere does
    new_cfg = editor_config(personas, attachment, "owner")
    fake_ds.open(new_cfg)  # status 1: the owner is on the new, live key
    old = DocumentKey.objects.get(key=old_cfg["document"]["key"])
    new = DocumentKey.objects.get(key=new_cfg["document"]["key"])
    assert old.editors and new.editors and old.retired_at and new.retired_at is None

    response = _post_in_process(old_cfg, _save_fields(fake_ds, old_cfg), fake_ds.secret)

    assert response.json() == {"error": 0}
    old_after = DocumentKey.objects.get(pk=old.pk)
    new_after = DocumentKey.objects.get(pk=new.pk)
    assert (old_after.editors, old_after.retired_at) == ([], old.retired_at)
    assert old_after.editors_updated_at > old.editors_updated_at
    assert (new_after.editors, new_after.editors_updated_at) == (new.editors, new.editors_updated_at)
    assert new_after.retired_at is not None


def test_it_tells_a_missing_file_from_a_key_it_never_issued(editing_setup, unconsumed_broker) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    unissued = _post_in_process(cfg, {**_callback_fields(cfg), "key": "never-issued-key"}, fake_ds.secret)
    assert (unissued.status_code, unissued.json()) == (
        403,
        {"error": 1, "message": "the document key was not issued for this attachment"},
    )
    Attachment.objects.filter(pk=attachment.pk).delete()
    missing = _post_in_process(cfg, _callback_fields(cfg), fake_ds.secret)
    assert (missing.status_code, missing.json()) == (404, {"error": 1, "message": "no such file"})
    assert not CallbackEvent.objects.exists()


def test_it_stores_a_sessions_final_save_only_after_the_forcesave_sent_before_it(editing_setup, unconsumed_broker):
    """Two workers: the final save (flagged ``notmodified``) is taken while the forcesave is still unstored."""
    from connector import services
    from connector.docserver import DocServerError

    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    forcesave = {**_save_fields(fake_ds, cfg), "status": 6, "forcesavetype": 1}
    final = {**_save_fields(fake_ds, cfg), "notmodified": True, "lastsave": "2026-03-29T10:04:10.000Z"}
    for fields in (forcesave, final):
        assert _post_in_process(cfg, fields, fake_ds.secret).json() == {"error": 0}
    first, second = SaveRequest.objects.filter(attachment=attachment).order_by("pk")

    taken = services.save_request_claim(save_request_id=second.pk)
    with pytest.raises(DocServerError) as waiting:
        services.save_request_store(save_request=taken)
    assert waiting.value.transient
    services.save_request_release(save_request_id=second.pk, error="")
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1  # nothing stored out of order

    forcesaved = services.save_request_store(save_request=services.save_request_claim(save_request_id=first.pk))
    repeated = services.save_request_store(save_request=services.save_request_claim(save_request_id=second.pk))
    assert repeated == forcesaved  # the same version, not a second copy of the same bytes
    assert list(attachment.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
