"""The fake Document Server checked against docs (shared/onlyoffice-protocol.md), not against the connector."""

from __future__ import annotations

import io
import itertools
import json
import re
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
import jwt
import openpyxl
import pptx
import pytest
import requests

from tests.fakeds import (
    DEFAULT_SECRET,
    ConfigRejected,
    DownloadFailed,
    FakeDocServer,
    KeyClosedForEditing,
    TokenRejected,
)
from tests.fakeds.callbacks import HEADER_TOKEN_LIMIT, build_request
from tests.fakeds.receiver import Receiver, Reply
from tests.support.documents import docx_bytes

pytest_plugins = ["tests.fakeds.fixtures"]

# §9: the status-4 example signed with my_jwt_secret.
DOC_FIELDS = {"key": "Khirz6zTPdfd7", "status": 4, "actions": [{"type": 0, "userid": "78e1e841"}]}
DOC_BODY_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJLaGlyejZ6VFBkZmQ3Iiwic3RhdHVzIjo0LCJhY3Rpb25zIjpbeyJ0eXBlIjow"
    "LCJ1c2VyaWQiOiI3OGUxZTg0MSJ9XSwiaWF0IjoxNzc0NzgwMDAwLCJleHAiOjE3NzQ3ODAzMDB9.VPju_1HV_zI4rRLWZmyQlxtKow_65OCyb6"
    "-KMuauebs"
)
DOC_HEADER_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJwYXlsb2FkIjp7ImtleSI6IktoaXJ6NnpUUGRmZDciLCJzdGF0dXMiOjQsImFjdGlvbnMiOlt7"
    "InR5cGUiOjAsInVzZXJpZCI6Ijc4ZTFlODQxIn1dfSwiaWF0IjoxNzc0NzgwMDAwLCJleHAiOjE3NzQ3ODAzMDB9.z3nuHB1wGiBCxglG7U4BWW_O"
    "Cr-_pSwSwE0B43fQvFo"
)
CACHE_LINK = re.compile(
    r"^http://127\.0\.0\.1:\d+/cache/files/data/(?P<folder>[^/]+)/(?P<name>[^/]+)/(?P<file>[^/?]+)"
    r"\?md5=[\w-]+&expires=(?P<expires>\d+)(&shardkey=[\w.=-]+)?&filename=(?P<filename>.+)$"
)
CREATED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
# Made once: a .docx written in another second differs in its zip entries' times.
FIRST_VERSION = docx_bytes("first version")
LASTSAVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def sign(payload: dict[str, Any], secret: str = DEFAULT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def claims(token: str, secret: str = DEFAULT_SECRET) -> dict[str, Any]:
    return jwt.decode(token, secret, algorithms=["HS256"])


def config_for(
    receiver: Receiver, *, key: str = "doc-key-1", user: str = "u1", mode: str = "edit", url: str | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "documentType": "word",
        "document": {"fileType": "docx", "key": key, "title": "Report.docx", "url": url or receiver.url + "/file"},
        "editorConfig": {
            "callbackUrl": f"{receiver.url}/callback?file=42&user={user}",
            "mode": mode,
            "user": {"id": user, "name": f"User {user}"},
        },
    }
    config["token"] = sign(config)
    return config


def command(fake: FakeDocServer, body: dict[str, Any], *, secret: str = DEFAULT_SECRET, path: str = "/command"):
    response = requests.post(fake.url + path, json={**body, "token": sign(body, secret)}, timeout=10)
    assert response.status_code == 200
    return response.json()


def convert(fake: FakeDocServer, body: dict[str, Any], **kwargs: Any) -> requests.Response:
    return requests.post(fake.url + "/converter", json={**body, "token": sign(body)}, timeout=20, **kwargs)


def callback_fields(received) -> dict[str, Any]:
    return {name: value for name, value in received.json().items() if name != "token"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as peer:
        peer.serve("/file", FIRST_VERSION)
        yield peer


# ---- JWT and callback wire format --------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_it_decodes_the_protocol_example_tokens_to_the_shown_payloads() -> None:
    body = jwt.decode(DOC_BODY_TOKEN, "my_jwt_secret", algorithms=["HS256"], options={"verify_exp": False})
    header = jwt.decode(DOC_HEADER_TOKEN, "my_jwt_secret", algorithms=["HS256"], options={"verify_exp": False})

    assert body == {**DOC_FIELDS, "iat": 1774780000, "exp": 1774780300}
    assert header == {"payload": DOC_FIELDS, "iat": 1774780000, "exp": 1774780300}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_it_signs_callbacks_byte_for_byte_like_the_protocol_example() -> None:
    signed = build_request(DOC_FIELDS, secret="my_jwt_secret", header_name="Authorization", now=1774780000)

    assert signed.body == {**DOC_FIELDS, "token": DOC_BODY_TOKEN}
    assert signed.headers["Authorization"] == f"Bearer {DOC_HEADER_TOKEN}"
    assert signed.headers["Content-Type"] == "application/json"
    assert signed.headers["User-Agent"] == "Node.js/6.13"


def test_it_signs_its_own_callbacks_in_the_same_shape(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    record = session.close("u1")

    posts = receiver.posts()
    assert [post.json()["status"] for post in posts] == [1, 4]
    sent = posts[-1]
    fields = callback_fields(sent)
    assert fields == {"key": "doc-key-1", "status": 4, "actions": [{"type": 0, "userid": "u1"}]}
    assert list(sent.json()) == ["key", "status", "actions", "token"]
    assert sent.path == "/callback" and record.callback_url.endswith("?file=42&user=u1")
    assert sent.header("Content-Type") == "application/json"
    assert sent.header("User-Agent") == "Node.js/6.13"
    body_claims = claims(sent.json()["token"])
    assert body_claims == {**fields, "iat": body_claims["iat"], "exp": body_claims["iat"] + 300}
    header_claims = claims(sent.header("Authorization").removeprefix("Bearer "))
    assert header_claims == {"payload": fields, "iat": body_claims["iat"], "exp": body_claims["iat"] + 300}
    assert record.succeeded and record.attempts == 1 and record.response == {"error": 0}


def test_it_uses_the_configured_header_name(receiver: Receiver) -> None:
    with FakeDocServer(header="AuthorizationJwt") as fake:
        fake.open(config_for(receiver))

    (sent,) = receiver.posts()
    assert sent.header("Authorization") is None
    assert claims(sent.header("AuthorizationJwt").removeprefix("Bearer "))["payload"]["status"] == 1


def test_it_cuts_a_too_long_header_and_the_plain_body_as_the_real_server_does() -> None:
    change = {"documentSha256": "0" * 64, "created": "2026-03-29 10:01:52", "user": {"id": "u1", "name": "A"}}
    fields = {
        "key": "k",
        "status": 2,
        "url": "http://ds/u",
        "changesurl": "http://ds/c",
        "history": {"serverVersion": "9.0.4", "changes": [change] * 60},
        "users": ["u1"],
        "filetype": "docx",
    }

    signed = build_request(fields, secret=DEFAULT_SECRET, header_name="Authorization", now=int(time.time()))

    # Observed on the real DocService: no plain changesurl, and "history":{} (an empty object, not absent).
    assert "changesurl" not in signed.body and signed.body["history"] == {}
    assert list(signed.body) == ["key", "status", "url", "history", "users", "token", "filetype"]
    header_token = signed.headers["Authorization"].removeprefix("Bearer ")
    assert len(header_token) < HEADER_TOKEN_LIMIT
    header_payload = claims(header_token)["payload"]
    assert header_payload["history"] == {} and "changesurl" not in header_payload
    assert signed.shrunk_from is not None and signed.shrunk_from >= HEADER_TOKEN_LIMIT
    assert signed.shrunk_to == len(header_token)
    body_claims = claims(signed.body["token"])
    assert body_claims["changesurl"] == "http://ds/c" and len(body_claims["history"]["changes"]) == 60


def test_it_leaves_a_header_under_the_limit_whole() -> None:
    fields = {"key": "k", "status": 2, "url": "http://ds/u", "changesurl": "http://ds/c", "history": {"changes": []}}

    signed = build_request(fields, secret=DEFAULT_SECRET, header_name="Authorization", now=int(time.time()))

    assert signed.body["changesurl"] == "http://ds/c" and signed.body["history"] == {"changes": []}
    assert signed.shrunk_from is None


def test_it_sends_hand_made_hostile_callbacks(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    fields = {"key": "k1", "status": 4}

    fake_ds.send_callback(receiver.url + "/cb", fields, alg="none")
    fake_ds.send_callback(receiver.url + "/cb", fields, secret="wrong-secret-wrong-secret-wrong-secret")
    fake_ds.send_callback(receiver.url + "/cb", fields, sign_body=False, sign_header=False)
    status, answer = fake_ds.send_callback(receiver.url + "/cb", fields, body_override=b"not json")

    none_token, wrong_token = (post.json()["token"] for post in receiver.posts()[:2])
    assert jwt.get_unverified_header(none_token)["alg"] == "none"
    with pytest.raises(jwt.InvalidSignatureError):
        claims(wrong_token)
    unsigned = receiver.posts()[2]
    assert unsigned.json() == fields and unsigned.header("Authorization") is None
    assert receiver.posts()[3].body == b"not json"
    assert (status, answer) == (200, {"error": 0})


# ---- editor sessions -------------------------------------------------------------------------------------------


def test_it_downloads_a_new_key_once_with_the_outbox_token(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    fake_ds.open(config_for(receiver, user="u1"))
    fake_ds.open(config_for(receiver, user="u2", url=receiver.url + "/other"))

    (download,) = receiver.gets("/file")
    assert claims(download.header("Authorization").removeprefix("Bearer "))["payload"] == {
        "url": receiver.url + "/file"
    }
    assert receiver.gets("/other") == []


def test_it_gives_up_downloading_after_three_attempts(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    receiver.serve("/broken", b"oops", status=500)

    with pytest.raises(DownloadFailed, match="3 times"):
        fake_ds.open(config_for(receiver, url=receiver.url + "/broken"))

    assert len(receiver.gets("/broken")) == 3
    assert fake_ds.session("doc-key-1") is None


def test_it_rejects_configs_the_server_would_refuse(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    good = config_for(receiver)
    unsigned = {name: value for name, value in good.items() if name != "token"}
    expired = {**unsigned, "token": sign({**unsigned, "exp": int(time.time()) - 120})}
    wrong = {**unsigned, "token": sign(unsigned, "another-secret-another-secret-another")}
    partial = {**unsigned, "token": sign({"document": unsigned["document"]})}
    bad_key = config_for(receiver, key="bad key!")

    with pytest.raises(TokenRejected) as missing_error:
        fake_ds.open(unsigned)
    with pytest.raises(TokenRejected) as expired_error:
        fake_ds.open(expired)
    with pytest.raises(TokenRejected):
        fake_ds.open(wrong)
    with pytest.raises(TokenRejected, match="callbackUrl"):
        fake_ds.open(partial)
    with pytest.raises(ConfigRejected, match=r"document\.key"):
        fake_ds.open(bad_key)

    assert (missing_error.value.close_code, expired_error.value.close_code) == (4006, 4005)
    assert receiver.received == []


def test_it_uses_the_tokens_values_over_the_plain_config(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    config = config_for(receiver, key="signed-key")
    config["document"] = {**config["document"], "key": "plain-key"}

    session = fake_ds.open(config)

    assert session.key == "signed-key" and fake_ds.session("plain-key") is None


def test_it_announces_editors_but_never_viewers(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver, user="u1"))
    fake_ds.open(config_for(receiver, user="u2"))
    fake_ds.open(config_for(receiver, user="v1", mode="view"))
    session.close("u2")
    session.close("v1")

    sent = [callback_fields(post) for post in receiver.posts()]
    assert sent == [
        {"key": "doc-key-1", "status": 1, "users": ["u1"], "actions": [{"type": 1, "userid": "u1"}]},
        {"key": "doc-key-1", "status": 1, "users": ["u1", "u2"], "actions": [{"type": 1, "userid": "u2"}]},
        {"key": "doc-key-1", "status": 1, "users": ["u1"], "actions": [{"type": 0, "userid": "u2"}]},
    ]
    assert receiver.posts()[2].path == "/callback" and "user=u2" in fake_ds.callbacks[2].callback_url


def test_it_saves_with_status_2_and_then_closes_the_key(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver, user="u1"))
    fake_ds.open(config_for(receiver, user="u2"))
    second = docx_bytes("second version")
    session.edit("u1", second)
    session.close("u1")
    record = session.close("u2")

    fields = callback_fields(receiver.posts()[-1])
    assert list(fields) == [
        "key", "status", "url", "changesurl", "history", "users", "actions", "lastsave", "notmodified", "filetype"
    ]  # fmt: skip
    assert (fields["status"], fields["users"], fields["actions"]) == (2, ["u2"], [{"type": 0, "userid": "u2"}])
    assert fields["notmodified"] is False and fields["filetype"] == "docx" and LASTSAVE.match(fields["lastsave"])
    assert CACHE_LINK.match(fields["url"])["file"] == "output.docx"
    assert requests.get(fields["url"], timeout=5).content == second
    with zipfile.ZipFile(io.BytesIO(requests.get(fields["changesurl"], timeout=5).content)) as archive:
        assert json.loads(archive.read("changes.json"))[0]["user"] == {"id": "u1", "name": "User u1"}
    (change,) = fields["history"]["changes"]
    assert fields["history"]["serverVersion"] == "9.0.4" and CREATED.match(change["created"])
    assert change["user"] == {"id": "u1", "name": "User u1"} and len(change["documentSha256"]) == 64
    assert record.retried and record.succeeded
    with pytest.raises(KeyClosedForEditing):
        fake_ds.open(config_for(receiver, user="u3"))
    assert fake_ds.open(config_for(receiver, user="u3", mode="view")).document == second


def test_it_forcesaves_on_the_save_button_and_keeps_the_key(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    session.edit("u1", b"changed")
    record = session.forcesave("u1")
    session.close("u1")

    forcesave, final = (callback_fields(post) for post in receiver.posts()[1:])
    assert (forcesave["status"], forcesave["forcesavetype"]) == (6, 1)
    assert forcesave["actions"] == [{"type": 2, "userid": "u1"}] and "history" in forcesave
    assert "notmodified" not in forcesave and not record.retried
    assert (final["status"], final["notmodified"]) == (2, True)


def test_it_reports_a_failed_save_as_status_3(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    session.edit("u1", b"changed")

    record = session.fail_save()

    assert callback_fields(receiver.posts()[-1]) == {
        "key": "doc-key-1",
        "status": 3,
        "users": ["u1"],
        "actions": [{"type": 0, "userid": "u1"}],
        "lastsave": record.fields["lastsave"],
        "notmodified": False,
    }


def test_it_retries_status_2_on_server_errors_then_forgets_the_file(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    session.edit("u1", b"edited bytes")
    receiver.default_reply = Reply(500, b"boom", "text/plain")

    record = session.close("u1")

    attempts = [post for post in receiver.posts() if post.json()["status"] == 2]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert record.attempts == 4 and len(attempts) == 4 and not record.succeeded
    # 1 s, 2 s, 4 s scaled by the fixture's factor 0.01.
    assert all(gap >= expected * 0.9 for gap, expected in zip(gaps, (0.01, 0.02, 0.04), strict=True))
    assert max(gaps) < 1.0
    assert command(fake_ds, {"c": "getForgottenList"}) == {"error": 0, "keys": ["doc-key-1"]}
    forgotten = command(fake_ds, {"c": "getForgotten", "key": "doc-key-1"})
    assert requests.get(forgotten["url"], timeout=5).content == b"edited bytes"
    # The lost save is offered again under its key, without downloading document.url.
    receiver.default_reply = Reply()
    assert fake_ds.open(config_for(receiver)).document == b"edited bytes"
    assert len(receiver.gets("/file")) == 1
    assert command(fake_ds, {"c": "deleteForgotten", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 0}
    assert command(fake_ds, {"c": "getForgotten", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 1}


def test_it_keeps_no_forgotten_copy_once_the_save_was_acknowledged(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    session.edit("u1", b"edited bytes")

    record = session.close("u1")

    assert record.succeeded
    assert command(fake_ds, {"c": "getForgottenList"}) == {"error": 0, "keys": []}
    assert command(fake_ds, {"c": "getForgotten", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 1}
    # The file lives on only behind the callback's link, until that expires.
    assert requests.get(record.fields["url"], timeout=5).content == b"edited bytes"
    fake_ds.advance_clock(901)
    assert requests.get(record.fields["url"], timeout=5).status_code == 410


@pytest.mark.parametrize(
    "reply", [Reply(200, b'{"error":1}'), Reply(404, b"{}"), Reply(200, b"ok", "text/plain"), Reply(204, b"")]
)
def test_it_does_not_retry_status_2_on_other_failures(fake_ds: FakeDocServer, receiver: Receiver, reply: Reply) -> None:
    session = fake_ds.open(config_for(receiver))
    session.edit("u1", b"edited")
    receiver.answer(reply)

    record = session.close("u1")

    assert record.attempts == 1 and not record.succeeded
    assert fake_ds.forgotten_keys == ["doc-key-1"]


def test_it_never_retries_status_1(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    receiver.answer(Reply(503, b"busy", "text/plain"))

    session = fake_ds.open(config_for(receiver))

    assert session.callbacks[0].attempts == 1 and session.callbacks[0].http_status == 503


# ---- command service -----------------------------------------------------------------------------------------


def test_it_answers_commands_with_the_documented_errors(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    fake_ds.open(config_for(receiver))
    expired = sign({"c": "version", "exp": int(time.time()) - 120})
    header_only = {"Authorization": "Bearer " + sign({"payload": {"c": "version"}})}

    assert command(fake_ds, {"c": "version"}) == {"error": 0, "version": "9.0.4.50"}
    assert command(fake_ds, {"c": "version"}, path="/coauthoring/CommandService.ashx")["error"] == 0
    assert command(fake_ds, {"c": "version"}, secret="wrong-secret-wrong-secret-wrong-secret") == {"error": 6}
    assert requests.post(fake_ds.url + "/command", json={"c": "version"}, timeout=5).json() == {"error": 6}
    assert requests.post(fake_ds.url + "/command", json={"token": expired}, timeout=5).json() == {"error": 7}
    assert requests.post(fake_ds.url + "/command", json={}, headers=header_only, timeout=5).json()["error"] == 0
    none_token = jwt.encode({"c": "version"}, "", algorithm="none")
    assert requests.post(fake_ds.url + "/command", json={"token": none_token}, timeout=5).json() == {"error": 6}
    hs512 = requests.post(
        fake_ds.url + "/command", json={"token": sign({"c": "version"}, algorithm="HS512")}, timeout=5
    )
    assert hs512.json()["error"] == 0
    assert command(fake_ds, {"c": "license"})["quota"] == {"users": [], "users_view": []}
    assert command(fake_ds, {"c": "nonsense", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 5}
    assert command(fake_ds, {"c": "info", "key": "unknown"}) == {"key": "unknown", "error": 1}
    assert command(fake_ds, {"c": "meta", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 5}
    assert command(fake_ds, {"c": "meta", "key": "doc-key-1", "meta": {"title": "New.docx"}})["error"] == 0
    assert fake_ds.session("doc-key-1").title == "New.docx"


def test_it_tolerates_a_minute_of_clock_skew(fake_ds: FakeDocServer) -> None:
    just_expired = sign({"c": "version", "exp": int(time.time()) - 30})

    assert requests.post(fake_ds.url + "/command", json={"token": just_expired}, timeout=5).json()["error"] == 0


def test_it_trusts_unsigned_requests_and_signs_nothing_when_jwt_is_off(receiver: Receiver) -> None:
    with FakeDocServer(jwt_enabled=False) as fake:
        config = config_for(receiver)
        del config["token"]
        fake.open(config).close("u1")
        version = requests.post(fake.url + "/command", json={"c": "version"}, timeout=5).json()

    assert version == {"error": 0, "version": "9.0.4.50"}
    assert receiver.gets("/file")[0].header("Authorization") is None
    assert [post.json() for post in receiver.posts()][-1] == {
        "key": "doc-key-1",
        "status": 4,
        "actions": [{"type": 0, "userid": "u1"}],
    }
    assert all(post.header("Authorization") is None for post in receiver.posts())


def test_it_only_uses_the_tokens_data_in_commands(fake_ds: FakeDocServer) -> None:
    body = {"c": "nonsense", "token": sign({"c": "version"})}

    assert requests.post(fake_ds.url + "/command", json=body, timeout=5).json() == {"error": 0, "version": "9.0.4.50"}


def test_it_forcesaves_through_the_command_service(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))

    assert command(fake_ds, {"c": "forcesave", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 4}
    session.edit("u1", b"changed")
    assert command(fake_ds, {"c": "forcesave", "key": "doc-key-1", "userdata": "ud"})["error"] == 0

    record = fake_ds.wait_for_callbacks(2)[-1]
    assert (record.status, record.fields["forcesavetype"], record.fields["userdata"]) == (6, 0, "ud")
    assert "actions" not in record.fields and record.fields["users"] == ["u1"]


def test_it_answers_info_with_a_status_callback(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver))
    assert command(fake_ds, {"c": "info", "key": "doc-key-1", "userdata": "probe"}) == {
        "key": "doc-key-1",
        "error": 0,
        "users": ["u1"],
    }
    info = fake_ds.wait_for_callbacks(2)[-1]
    session.close("u1")
    assert command(fake_ds, {"c": "info", "key": "doc-key-1"})["error"] == 0
    after_close = fake_ds.wait_for_callbacks(4)[-1]

    assert info.fields == {"key": "doc-key-1", "status": 1, "users": ["u1"], "userdata": "probe"}
    assert after_close.fields == {"key": "doc-key-1", "status": 4}


def test_it_answers_info_as_the_real_server_does_once_a_session_has_ended(
    fake_ds: FakeDocServer, receiver: Receiver
) -> None:
    closed = fake_ds.open(config_for(receiver))
    closed.close("u1")
    lost = fake_ds.open(config_for(receiver, key="doc-key-2"))
    lost.edit("u1", b"edited")
    receiver.answer(Reply(403, b'{"error":1}'))
    lost.close("u1")

    # Observed on the real DocService: a session closed without changes still answers, with nobody; one whose
    # final save was refused was cleaned up with its task_result row (storeForgotten), like a key never opened.
    assert command(fake_ds, {"c": "info", "key": "doc-key-1"}) == {"key": "doc-key-1", "error": 0, "users": []}
    assert command(fake_ds, {"c": "info", "key": "doc-key-2"}) == {"key": "doc-key-2", "error": 1}
    assert command(fake_ds, {"c": "info", "key": "never-opened"}) == {"key": "never-opened", "error": 1}


def test_it_drops_users_with_the_callbacks_their_leaving_causes(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    session = fake_ds.open(config_for(receiver, user="u1"))
    fake_ds.open(config_for(receiver, user="u2"))
    session.edit("u2", b"changed")

    assert command(fake_ds, {"c": "drop", "key": "doc-key-1", "users": ["u1"]})["error"] == 0
    assert fake_ds.wait_for_callbacks(3)[-1].fields["actions"] == [{"type": 0, "userid": "u1"}]
    assert command(fake_ds, {"c": "drop", "key": "doc-key-1"})["error"] == 0

    final = fake_ds.wait_for_callbacks(4)[-1]
    assert (final.status, final.fields["users"]) == (2, ["u2"])
    assert session.editors == []


# ---- conversion --------------------------------------------------------------------------------------------


def test_it_converts_to_valid_files_with_the_source_text(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    text = receiver.serve("/notes.txt", b"Hello from the source\nSecond line\n")
    table = receiver.serve("/table.csv", b"name,score\r\nAnn,3\r\n")
    slides = receiver.serve("/deck.odp", b"an odp the fake cannot read")
    requested = {
        "docx": {"url": text, "filetype": "txt", "title": "My Notes.txt"},
        "pdf": {"url": text, "filetype": "txt", "title": "My Notes.txt"},
        "xlsx": {"url": table, "filetype": "csv"},
        "pptx": {"url": slides, "filetype": "odp"},
    }
    results = {}
    for output, body in requested.items():
        answer = convert(fake_ds, {**body, "outputtype": output, "key": "k1"})
        assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"
        results[output] = answer.json()

    link = CACHE_LINK.match(results["pdf"]["fileUrl"])
    assert (link["folder"], link["name"], link["file"]) == ("conv_k1_513", "output.pdf", "My%20Notes.pdf")
    assert results["pdf"] == {**results["pdf"], "fileType": "pdf", "percent": 100, "endConvert": True}
    files = {output: requests.get(result["fileUrl"], timeout=5).content for output, result in results.items()}
    paragraphs = [paragraph.text for paragraph in docx.Document(io.BytesIO(files["docx"])).paragraphs]
    assert paragraphs == ["Hello from the source", "Second line"]
    assert files["pdf"].startswith(b"%PDF-1.4") and files["pdf"].rstrip().endswith(b"%%EOF")
    assert b"(Hello from the source) Tj" in files["pdf"]
    assert openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active["A2"].value == "Ann 3"
    slide = pptx.Presentation(io.BytesIO(files["pptx"])).slides[0]
    assert slide.shapes[0].text_frame.text == "Converted by the fake ONLYOFFICE Document Server"
    token = receiver.gets("/notes.txt")[0].header("Authorization").removeprefix("Bearer ")
    assert claims(token)["payload"] == {"url": text}


def test_it_refuses_conversions_the_format_table_does_not_list(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    text = receiver.serve("/notes.txt", b"Hello")

    assert convert(fake_ds, {"url": text, "filetype": "txt", "outputtype": "xlsx", "key": "k1"}).json() == {"error": -7}
    assert receiver.gets("/notes.txt") == []


def test_it_returns_the_same_bytes_for_a_same_type_conversion(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    answer = convert(
        fake_ds, {"url": receiver.url + "/file", "filetype": "docx", "outputtype": "docx", "key": "check_1"}
    )

    assert requests.get(answer.json()["fileUrl"], timeout=5).content == FIRST_VERSION


def test_it_converts_async_in_progress_then_done(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    body = {"url": receiver.url + "/file", "filetype": "docx", "outputtype": "pdf", "key": "async-1", "async": True}

    first, second = convert(fake_ds, body).json(), convert(fake_ds, body).json()

    assert first == {"percent": 0, "endConvert": False}
    assert (second["percent"], second["endConvert"], second["fileType"]) == (100, True, "pdf")


def test_it_reuses_a_conversion_for_the_same_key_and_output(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    body = {"url": receiver.url + "/file", "filetype": "docx", "outputtype": "pdf", "key": "same"}

    first, second = convert(fake_ds, body).json(), convert(fake_ds, {**body, "url": receiver.url + "/gone"}).json()
    convert(fake_ds, {**body, "outputtype": "txt"})

    assert CACHE_LINK.match(first["fileUrl"])["folder"] == CACHE_LINK.match(second["fileUrl"])["folder"]
    assert len(receiver.gets("/file")) == 2 and receiver.gets("/gone") == []


def test_it_reports_conversion_errors_by_code(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    good = {"url": receiver.url + "/file", "filetype": "docx", "outputtype": "pdf", "key": "k1"}

    unsigned = requests.post(fake_ds.url + "/converter", json=good, timeout=5).json()
    bad_key = convert(fake_ds, {**good, "key": "bad key"}).json()
    missing = convert(fake_ds, {**good, "url": receiver.url + "/missing"}).json()
    fake_ds.fail_conversion(-3, times=1)
    injected = convert(fake_ds, good).json()
    recovered = convert(fake_ds, good).json()
    xml = requests.post(
        fake_ds.url + "/ConvertService.ashx",
        json={**good, "key": "bad key", "token": sign({**good, "key": "b k"})},
        timeout=5,
    )

    assert (unsigned, bad_key, missing, injected) == ({"error": -8}, {"error": -7}, {"error": -4}, {"error": -3})
    assert recovered["endConvert"] is True
    assert xml.text == '<?xml version="1.0" encoding="utf-8"?><FileResult><Error>-7</Error></FileResult>'
    assert len(receiver.gets("/missing")) == 3


def test_it_honours_accept_for_the_reply_format(fake_ds: FakeDocServer, receiver: Receiver) -> None:
    body = {"url": receiver.url + "/file", "filetype": "docx", "outputtype": "pdf", "key": "k1"}

    xml = convert(fake_ds, body, headers={"Accept": "application/xml"})
    legacy_get = requests.get(
        fake_ds.url + "/ConvertService.ashx",
        params=body,
        headers={"Authorization": "Bearer " + sign({"payload": body}), "Accept": "application/json"},
        timeout=5,
    )

    assert xml.headers["Content-Type"].startswith("application/xml")
    assert "<Percent>100</Percent><EndConvert>True</EndConvert>" in xml.text
    assert legacy_get.json()["fileType"] == "pdf"


# ---- cache links and faults ------------------------------------------------------------------------------------


@pytest.fixture
def stored_link(fake_ds: FakeDocServer) -> str:
    return fake_ds.publish("key1_1234", "output.docx", b"0123456789" * 100, filename="output.docx")


def test_it_links_files_in_the_servers_shape_and_answers_410_once_expired(
    fake_ds: FakeDocServer, stored_link: str
) -> None:
    link = CACHE_LINK.match(stored_link)
    expires = int(link["expires"])
    tampered = stored_link.replace(f"expires={expires}", f"expires={expires + 1000}")
    no_md5 = re.sub(r"md5=[\w-]+&", "", stored_link)
    back_dated = stored_link.replace(f"expires={expires}", f"expires={expires - 1000}")

    assert (link["folder"], link["name"], link["filename"]) == ("key1_1234", "output.docx", "output.docx")
    assert abs(expires - (time.time() + 900)) < 5
    response = requests.get(stored_link, timeout=5)
    assert response.status_code == 200 and response.headers["Content-Length"] == "1000"
    assert requests.get(tampered, timeout=5).status_code == 403
    assert requests.get(no_md5, timeout=5).status_code == 403
    # routes/static.js checks the time before the signature: a past expires is 410 whatever its md5.
    assert requests.get(back_dated, timeout=5).status_code == 410
    fake_ds.advance_clock(901)
    assert requests.get(stored_link, timeout=5).status_code == 410


def test_it_signs_links_with_the_last_shard_key_it_saw_when_a_request_has_none(fake_ds: FakeDocServer) -> None:
    keyed = fake_ds.publish("keyA_1", "output.docx", b"a", filename="output.docx", shardkey="keyA")
    unkeyed = fake_ds.publish("conv_keyB_1", "output.pdf", b"b", filename="output.pdf")

    assert "shardkey=keyA" in keyed
    # As the real storage-base.js does: another request's key, cached per process.
    assert "shardkey=keyA" in unkeyed
    assert requests.get(unkeyed, timeout=5).content == b"b"


def test_it_injects_status_and_redirect_faults(fake_ds: FakeDocServer, stored_link: str) -> None:
    other = fake_ds.publish("key2_1", "output.docx", b"other", filename="output.docx")
    fake_ds.blob(stored_link).fail_with(500, times=1)
    fake_ds.redirect_to("http://127.0.0.1:9/elsewhere", times=1)

    assert requests.get(stored_link, timeout=5).status_code == 500
    redirected = requests.get(other, timeout=5, allow_redirects=False)
    assert (redirected.status_code, redirected.headers["Location"]) == (302, "http://127.0.0.1:9/elsewhere")
    assert requests.get(stored_link, timeout=5).status_code == 200


def test_it_closes_the_connection_mid_body(fake_ds: FakeDocServer, stored_link: str) -> None:
    fake_ds.close_mid_body(times=1)

    response = requests.get(stored_link, timeout=5, stream=True)
    assert response.headers["Content-Length"] == "1000"
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        _ = response.content


def test_it_hangs_until_released(fake_ds: FakeDocServer, stored_link: str) -> None:
    fake_ds.hang()

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(stored_link, timeout=0.3)
    fake_ds.release()

    assert requests.get(stored_link, timeout=5).status_code == 200


def test_it_stops_promptly_while_a_response_hangs(stored_link: str) -> None:
    with FakeDocServer(hang_timeout=30) as fake:
        link = fake.publish("k_1", "output.docx", b"data", filename="output.docx")
        fake.hang()
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(link, timeout=0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5


# ---- health, api.js, request log -------------------------------------------------------------------------------


def test_it_reports_health_and_refuses_connections_when_down(fake_ds: FakeDocServer) -> None:
    healthy = requests.get(fake_ds.url + "/healthcheck", timeout=5)
    fake_ds.health = False
    unhealthy = requests.get(fake_ds.url + "/healthcheck", timeout=5).text
    fake_ds.down()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(fake_ds.url + "/healthcheck", timeout=5)
    fake_ds.up()

    assert (healthy.status_code, healthy.headers["Content-Type"], healthy.text) == (200, "text/plain", "true")
    assert unhealthy == "false"
    assert requests.get(fake_ds.url + "/healthcheck", timeout=5).text == "false"


def test_it_serves_api_js_and_the_editor_page(fake_ds: FakeDocServer) -> None:
    script = requests.get(fake_ds.url + "/web-apps/apps/api/documents/api.js", timeout=5)
    page = requests.get(fake_ds.url + "/web-apps/apps/documenteditor/main/index.html?frameEditorId=x", timeout=5)

    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "window.DocsAPI.DocEditor = DocEditor" in script.text and "__fakeDsCalls" in script.text
    assert page.status_code == 200 and "onDocumentReady" in page.text


def test_it_logs_every_request_it_receives(fake_ds: FakeDocServer, stored_link: str) -> None:
    requests.post(fake_ds.url + "/command?shardkey=k", json={"c": "version"}, timeout=5)

    (logged,) = fake_ds.requests_to("/command")
    assert (logged.method, logged.query, logged.json()) == ("POST", "shardkey=k", {"c": "version"})
    assert logged.header("content-type") == "application/json"
    assert fake_ds.requests_to("/cache/") == []
