"""Hostile callbacks: every one is refused with a JSON error, and nothing is stored or fetched.

Each case builds one HTTP request against the live callback endpoint from a valid status 2 callback whose
``url`` names a real file on the fake Document Server: had any case been accepted, the save task (eager, in the
live server) would have fetched that file and stored a version, so "nothing fetched" is a real observation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import requests
from django.urls import reverse

from attachments.models import Attachment, Version
from connector import checks, ds_settings, links
from connector.models import CallbackEvent, SaveRequest

pytestmark = pytest.mark.django_db(transaction=True)

# Any PEM text works: the attack is an HS256 token keyed with a key the verifier would read as "public".
RSA_PUBLIC_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "-----END PUBLIC KEY-----\n"
)
WRONG_SECRET = "wrong-secret-0123456789abcdef0123456789abcdef"


@dataclass
class Ctx:
    """What a case needs: a valid callback for attachment A, and material from another attachment B."""

    callback_url: str
    fields: dict[str, Any]
    secret: str
    other_fields: dict[str, Any]
    other_callback_url: str
    download_url: str


@dataclass
class Hostile:
    method: str = "POST"
    url: str = ""
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hand_token(header: dict, claims: dict, key: bytes) -> str:
    """A JWT built by hand, so the header can claim any algorithm over an HMAC-SHA256 signature."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _now() -> int:
    return int(time.time())


def _sign(claims: dict, secret: str, **extra: Any) -> str:
    return jwt.encode({**claims, "iat": _now(), "exp": _now() + 300, **extra}, secret, algorithm="HS256")


def _signed(ctx: Ctx, fields: dict | None = None, *, secret: str | None = None, **extra: Any) -> Hostile:
    """Body token and header token, as the DS sends them, over ``fields`` (default: the valid ones)."""
    fields = ctx.fields if fields is None else fields
    key = ctx.secret if secret is None else secret
    body = {**fields, "token": _sign(fields, key, **extra)}
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {_sign({'payload': fields}, key)}"}
    return Hostile(url=ctx.callback_url, body=json.dumps(body).encode(), headers=headers)


def _body_token(ctx: Ctx, token: str, fields: dict | None = None) -> Hostile:
    body = {**(ctx.fields if fields is None else fields), "token": token}
    return Hostile(url=ctx.callback_url, body=json.dumps(body).encode())


def _header_only(ctx: Ctx, body: dict, token: str) -> Hostile:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return Hostile(url=ctx.callback_url, body=json.dumps(body).encode(), headers=headers)


def _with_link_token(url: str, token: str | None) -> str:
    base = url.split("?", 1)[0]
    return base if token is None else f"{base}?token={token}"


def _fields(ctx: Ctx, **changes: Any) -> dict:
    return {**ctx.fields, **changes}


def _nested(depth: int) -> bytes:
    return b'{"key":"k","status":1,"users":' + b"[" * depth + b"]" * depth + b"}"


def _raw(ctx: Ctx, body: bytes, content_type: str | None = "application/json") -> Hostile:
    headers = {"Content-Type": content_type} if content_type else {}
    return Hostile(url=ctx.callback_url, body=body, headers=headers)


def _signed_raw_text(ctx: Ctx, text: str) -> Hostile:
    """A hand-written body (duplicate names...) with headers signed over the valid fields."""
    signed = _signed(ctx)
    return Hostile(url=ctx.callback_url, body=text.encode(), headers=signed.headers)


def _duplicate_status(ctx: Ctx) -> Hostile:
    # Parsers disagree on which copy wins; the first (what a proxy may read) says "saved", the last matches.
    token = _sign(ctx.fields, ctx.secret)
    fields = json.dumps({k: v for k, v in ctx.fields.items() if k != "status"})[1:-1]
    return _signed_raw_text(ctx, f'{{"status": 6, {fields}, "status": {ctx.fields["status"]}, "token": "{token}"}}')


CASES: list[tuple[str, Callable[[Ctx], Hostile]]] = [
    # --- signatures ---
    ("an unsigned callback", lambda c: _raw(c, json.dumps(c.fields).encode())),
    ("a callback signed with the wrong secret", lambda c: _signed(c, secret=WRONG_SECRET)),
    (
        "a header-only callback signed with the wrong secret",
        lambda c: _header_only(c, c.fields, _sign({"payload": c.fields}, WRONG_SECRET)),
    ),
    ("a token signed with an empty secret", lambda c: _body_token(c, _hand_token({"alg": "HS256"}, c.fields, b""))),
    ("a body token with alg none", lambda c: _body_token(c, jwt.encode(c.fields, None, algorithm="none"))),
    (
        "a header token with alg none and no body token",
        lambda c: _header_only(c, c.fields, jwt.encode({"payload": c.fields}, None, algorithm="none")),
    ),
    (
        "an alg none token with a stray signature",
        lambda c: _body_token(c, jwt.encode(c.fields, None, algorithm="none") + "c2lnbmF0dXJl"),
    ),
    (
        "an RS256 header over an HMAC signature made with the secret",
        lambda c: _body_token(c, _hand_token({"alg": "RS256", "typ": "JWT"}, c.fields, c.secret.encode())),
    ),
    (
        "an ES256 header over an HMAC signature made with the secret",
        lambda c: _body_token(c, _hand_token({"alg": "ES256", "typ": "JWT"}, c.fields, c.secret.encode())),
    ),
    (
        "an HS256 token keyed with an RSA public key",
        lambda c: _body_token(c, _hand_token({"alg": "HS256", "typ": "JWT"}, c.fields, RSA_PUBLIC_PEM.encode())),
    ),
    (
        "an HS256 header naming a key id the secret does not sign",
        lambda c: _body_token(c, _hand_token({"alg": "HS256", "kid": "../../dev/null"}, c.fields, b"")),
    ),
    (
        "a token whose signature was cut off",
        lambda c: _body_token(c, _sign(c.fields, c.secret).rsplit(".", 1)[0] + "."),
    ),
    ("a token that is not a JWT at all", lambda c: _body_token(c, "not.a.jwt")),
    ("a body token that is a number", lambda c: _raw(c, json.dumps({**c.fields, "token": 12345}).encode())),
    ("an expired token", lambda c: _signed(c, iat=1_000_000, exp=1_000_300)),
    ("a token expired just beyond the clock tolerance", lambda c: _signed(c, exp=_now() - 120)),
    ("a token not valid for another hour", lambda c: _signed(c, nbf=_now() + 3600)),
    ("a token issued an hour in the future", lambda c: _signed(c, iat=_now() + 3600)),
    (
        "a Basic authorization header instead of a bearer token",
        lambda c: Hostile(
            url=c.callback_url,
            body=json.dumps(c.fields).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Basic " + _b64(b"ds:" + c.secret.encode())},
        ),
    ),
    (
        "a header token without a payload member",
        lambda c: _header_only(c, c.fields, _sign(c.fields, c.secret)),
    ),
    # --- tokens and fields that disagree, or belong elsewhere ---
    ("a signed callback for another attachment's key", lambda c: _signed(c, c.other_fields)),
    (
        "this attachment's callback posted with another attachment's link token",
        lambda c: Hostile(
            url=_with_link_token(c.callback_url, c.other_callback_url.split("token=", 1)[1]),
            body=_signed(c).body,
            headers=_signed(c).headers,
        ),
    ),
    ("a signed callback with a key never issued", lambda c: _signed(c, _fields(c, key="never-issued-key"))),
    (
        "a body status that differs from the token's",
        lambda c: _body_token(c, _sign(c.fields, c.secret), _fields(c, status=6)),
    ),
    (
        "a body url that differs from the token's",
        lambda c: _body_token(c, _sign(c.fields, c.secret), _fields(c, url="http://127.0.0.1:1/evil")),
    ),
    (
        "a body key that differs from the token's",
        lambda c: _body_token(c, _sign(c.fields, c.secret), _fields(c, key=c.other_fields["key"])),
    ),
    (
        "body users that differ from the token's",
        lambda c: _body_token(c, _sign(c.fields, c.secret), _fields(c, users=["someone-else"])),
    ),
    (
        "a header-only token with a different body status",
        lambda c: _header_only(c, _fields(c, status=6), _sign({"payload": c.fields}, c.secret)),
    ),
    (
        "a header-only token for status 1 with a save url added in the body",
        lambda c: _header_only(
            c,
            _fields(c, status=1),
            _sign({"payload": {k: v for k, v in _fields(c, status=1).items() if k != "url"}}, c.secret),
        ),
    ),
    (
        "a body token wrapping another attachment's fields in payload",
        lambda c: _body_token(c, _sign({"payload": c.other_fields}, c.secret), {}),
    ),
    ("duplicate status names where the first copy differs", _duplicate_status),
    # --- the link token in the URL ---
    ("a callback without the link token", lambda c: Hostile(url=_with_link_token(c.callback_url, None), **_rest(c))),
    (
        "a callback with a forged link token",
        lambda c: Hostile(url=_with_link_token(c.callback_url, "forged"), **_rest(c)),
    ),
    (
        "a callback carrying the download link's token",
        lambda c: Hostile(url=_with_link_token(c.callback_url, c.download_url.split("token=", 1)[1]), **_rest(c)),
    ),
    (
        "a callback carrying a connection-check link token",
        lambda c: Hostile(url=_with_link_token(c.callback_url, links.make_token(checks.LINK_PURPOSE)), **_rest(c)),
    ),
    # --- the body as bytes ---
    ("a body larger than 1 MB", lambda c: _raw(c, b'{"a":"' + b"x" * (1024 * 1024) + b'"}')),
    ("a body that is not JSON", lambda c: _raw(c, b"status=2&url=x")),
    ("a body that is a JSON array", lambda c: _raw(c, json.dumps([c.fields]).encode())),
    ("a body that is a JSON string", lambda c: _raw(c, b'"status"')),
    ("a body that is JSON null", lambda c: _raw(c, b"null")),
    ("an empty body", lambda c: _raw(c, b"")),
    ("a body that is not UTF-8", lambda c: _raw(c, b'{"key":"\xff\xfe","status":1}')),
    ("a body of deeply nested arrays", lambda c: _raw(c, b"[" * 200_000 + b"]" * 200_000)),
    ("a signed body with deeply nested arrays inside", lambda c: _signed_raw_text(c, _nested(200_000).decode())),
    ("a text/plain content type", lambda c: _raw(c, json.dumps(c.fields).encode(), "text/plain")),
    ("a form content type", lambda c: _raw(c, json.dumps(c.fields).encode(), "application/x-www-form-urlencoded")),
    ("no content type at all", lambda c: _raw(c, json.dumps(c.fields).encode(), None)),
    ("a GET request", lambda c: Hostile(method="GET", url=c.callback_url, body=None, headers={})),
    ("a PUT of a valid signed body", lambda c: Hostile(method="PUT", **_as_kwargs(_signed(c)))),
    ("a DELETE request", lambda c: Hostile(method="DELETE", url=c.callback_url, body=None, headers={})),
    # --- signed, but the values are nonsense ---
    ("a huge status number", lambda c: _signed(c, _fields(c, status=10**30))),
    ("a status given as a string", lambda c: _signed(c, _fields(c, status="2"))),
    ("a status given as a boolean", lambda c: _signed(c, _fields(c, status=True))),
    ("a status given as a float", lambda c: _signed(c, _fields(c, status=2.5))),
    ("a negative status", lambda c: _signed(c, _fields(c, status=-1))),
    ("an unknown status 8", lambda c: _signed(c, _fields(c, status=8))),
    ("a missing status", lambda c: _signed(c, {k: v for k, v in c.fields.items() if k != "status"})),
    ("a key with right-to-left override and emoji", lambda c: _signed(c, _fields(c, key="\u202ekey\U0001f600"))),
    ("a key with a NUL byte", lambda c: _signed(c, _fields(c, key=c.fields["key"] + "\x00"))),
    ("a key that is a number", lambda c: _signed(c, _fields(c, key=12345))),
    ("a users member that is a string", lambda c: _signed(c, _fields(c, users="user-1"))),
    ("users that are numbers", lambda c: _signed(c, _fields(c, users=[1, 2, 3]))),
    ("a user id with a NUL byte", lambda c: _signed(c, _fields(c, users=["user\x00id"]))),
    ("a user id with a lone surrogate", lambda c: _signed(c, _fields(c, users=["\ud800"]))),
    ("a save callback without a url", lambda c: _signed(c, {k: v for k, v in c.fields.items() if k != "url"})),
    ("a url that is an object", lambda c: _signed(c, _fields(c, url={"href": c.fields["url"]}))),
    ("a url with a NUL byte", lambda c: _signed(c, _fields(c, url=c.fields["url"] + "\x00"))),
    ("an unknown forcesave type", lambda c: _signed(c, _fields(c, forcesavetype=9))),
    ("a forcesave type that is a list", lambda c: _signed(c, _fields(c, forcesavetype=[0]))),
    ("a forcesave type that is an object", lambda c: _signed(c, _fields(c, forcesavetype={"type": 0}))),
    ("a history that is a list", lambda c: _signed(c, _fields(c, history=[1]))),
]


def _rest(ctx: Ctx) -> dict:
    signed = _signed(ctx)
    return {"body": signed.body, "headers": signed.headers}


def _as_kwargs(hostile: Hostile) -> dict:
    return {"url": hostile.url, "body": hostile.body, "headers": hostile.headers}


def _editor_config(client, attachment: Attachment) -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the editor page has no config"
    return json.loads(match.group(1))


@pytest.fixture
def ctx(personas, make_attachment, live_server, fake_ds) -> Ctx:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    client = personas.client_for("editor")
    mine = _editor_config(client, make_attachment(personas.space, "Plan.docx", content=b"original"))
    other = _editor_config(client, make_attachment(personas.space, "Other.docx", content=b"other"))
    uid = mine["editorConfig"]["user"]["id"]
    blob = fake_ds.blobs.put(mine["document"]["key"], "output.docx", b"edited", "application/octet-stream")
    fields = {
        "key": mine["document"]["key"],
        "status": 2,
        "url": fake_ds.blobs.link(fake_ds.url, blob, "output.docx", now=int(fake_ds.now())),
        "users": [uid],
        "filetype": "docx",
        "lastsave": "2026-03-29T10:03:10.000Z",
    }
    return Ctx(
        callback_url=mine["editorConfig"]["callbackUrl"],
        fields=fields,
        secret=fake_ds.secret,
        other_fields={**fields, "key": other["document"]["key"]},
        other_callback_url=other["editorConfig"]["callbackUrl"],
        download_url=mine["document"]["url"],
    )


def _send(hostile: Hostile) -> requests.Response:
    return requests.request(
        hostile.method, hostile.url, data=hostile.body, headers=hostile.headers, timeout=10, allow_redirects=False
    )


def _assert_nothing_happened(fake_ds) -> None:
    assert not CallbackEvent.objects.exists()
    assert not SaveRequest.objects.exists()
    assert not Version.objects.filter(number__gt=1).exists()
    assert fake_ds.requests_to("/cache/files/") == []


def test_it_accepts_and_stores_the_valid_callback_the_cases_are_built_from(ctx, fake_ds) -> None:
    # The control: without the hostile twist, the same request is recorded and its file fetched.
    response = _send(_signed(ctx))
    assert (response.status_code, response.json()) == (200, {"error": 0})
    assert SaveRequest.objects.get().state == SaveRequest.State.SAVED
    assert fake_ds.requests_to("/cache/files/")
    assert Version.objects.filter(number=2).exists()


def test_it_keeps_a_table_of_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({name for name, _build in CASES}) == len(CASES)


@pytest.mark.parametrize("build", [build for _name, build in CASES], ids=[name for name, _build in CASES])
def test_it_refuses_a_hostile_callback_and_stores_nothing(ctx, fake_ds, build) -> None:
    response = _send(build(ctx))
    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] != 0 and body["message"]
    _assert_nothing_happened(fake_ds)
