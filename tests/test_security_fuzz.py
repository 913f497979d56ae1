"""Property-based fuzzing of the callback parser, the token checks and the callback endpoint: never a 500.

The functions may only return or raise ``CallbackRejected`` (whose message is safe to answer with); the
endpoint, driven through Django's test client for speed, always answers JSON and never a 5xx.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector import callbacks, ds_settings, keys, links
from connector.models import DocumentKey

# Issued by the endpoint fixture, so fuzzed callbacks can get as far as recording.
ISSUED_KEY = "fuzz-issued-key"
SECRET = "fuzz-secret-0123456789abcdef0123456789abcdef0123456789abcdef"
FIELD_NAMES = [
    "key",
    "status",
    "url",
    "changesurl",
    "users",
    "actions",
    "history",
    "forcesavetype",
    "filetype",
    "lastsave",
    "userdata",
    "notmodified",
    "payload",
    "token",
    "iat",
    "exp",
    "nbf",
]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text with everything JSON can carry: NUL, lone surrogates, right-to-left marks, astral characters.
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=15
)
plausible = {
    "key": st.one_of(st.just(ISSUED_KEY), st.from_regex(keys.KEY_PATTERN, fullmatch=True), json_values),
    "status": st.one_of(st.integers(min_value=-2, max_value=9), json_values),
    "url": st.one_of(st.just("http://127.0.0.1:1/cache/files/x"), json_values),
    "users": st.one_of(st.lists(any_text, max_size=3), json_values),
}
callback_dicts = st.dictionaries(st.sampled_from(FIELD_NAMES) | any_text, json_values, max_size=8).flatmap(
    lambda base: st.fixed_dictionaries({}, optional=plausible).map(lambda extra: {**base, **extra})
)


def _sign(claims: dict[str, Any], secret: str = SECRET) -> str | None:
    try:
        return jwt.encode(claims, secret, algorithm="HS256")
    except (TypeError, ValueError):
        # PyJWT cannot sign every dict (surrogates in keys...); the DS could not have sent those either.
        return None


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Raw bodies: bytes, JSON of arbitrary shape, or callback-like objects with good, bad or no tokens."""
    kind = draw(st.sampled_from(["bytes", "json", "unsigned", "signed", "wrapped", "mismatched"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return _dumps(draw(json_values))
    fields = draw(callback_dicts)
    if kind == "signed":
        fields = {**fields, "token": _sign(fields)}
    elif kind == "wrapped":
        fields = {"token": _sign({"payload": fields})}
    elif kind == "mismatched":
        fields = {**draw(callback_dicts), "token": _sign(fields)}
    return _dumps(fields)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def header_values(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["none", "text", "bearer text", "bearer signed"]))
    if kind == "none":
        return None
    # Header values reach Django as latin-1 text.
    latin1 = st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=60)
    if kind == "text":
        return draw(latin1)
    if kind == "bearer text":
        return "Bearer " + draw(latin1)
    return f"Bearer {_sign({'payload': draw(callback_dicts)}) or ''}"


def _pipeline(raw: bytes, header: str | None, secret: str) -> callbacks.Callback:
    body = callbacks.parse_body(raw)
    return callbacks.callback_from_fields(callbacks.verified_fields(body, header, secret))


def _outcome(call: Callable[[], Any]) -> Any:
    """The call's result, or the CallbackRejected it raised (any other exception fails the test)."""
    try:
        return call()
    except callbacks.CallbackRejected as exc:
        return exc


@FUZZ
@given(raw=bodies(), header=header_values(), secret=st.sampled_from([SECRET, ""]))
def test_it_only_ever_rejects_a_bad_callback_with_callback_rejected(raw, header, secret) -> None:
    parsed = _outcome(lambda: _pipeline(raw, header, secret))
    if isinstance(parsed, callbacks.CallbackRejected):
        assert parsed.message and 400 <= parsed.http_status < 500
        return
    # Accepted: then every field we use has the type the rest of the code relies on.
    assert keys.is_valid_key(parsed.key) and parsed.status in callbacks.STATUSES
    assert all(isinstance(user, str) for user in parsed.users)


@FUZZ
@given(fields=callback_dicts)
def test_it_validates_signed_fields_without_crashing(fields) -> None:
    try:
        parsed = callbacks.callback_from_fields(fields)
    except callbacks.CallbackRejected:
        return
    assert isinstance(parsed.url, str) and not isinstance(parsed.status, bool)


@FUZZ
@given(token=any_text | st.builds(lambda f: _sign(f) or "", callback_dicts), claims=json_values)
def test_it_checks_body_tokens_without_crashing(token, claims) -> None:
    body = {"token": token, "payload": claims}
    outcome = _outcome(lambda: callbacks.verified_fields(json.loads(_dumps(body)), None, SECRET))
    assert isinstance(outcome, dict) or outcome.http_status in {400, 403}


def test_it_treats_nan_in_a_body_as_a_mismatch_not_a_crash() -> None:
    # NaN != NaN: a field present in both token and body with NaN is refused, never an exception.
    body = {"status": math.nan, "token": _sign({"status": math.nan})}
    with pytest.raises(callbacks.CallbackRejected):
        callbacks.verified_fields(body, None, SECRET)


@pytest.fixture
def endpoint(personas, make_attachment) -> str:
    ds_settings.update(public_url="http://127.0.0.1:1", jwt_secret=SECRET)
    attachment = make_attachment(personas.space, "Plan.docx")
    DocumentKey.objects.create(attachment=attachment, key=ISSUED_KEY, base_version=1)
    token = links.make_token("callback", a=attachment.pk)
    return f"{reverse('onlyoffice-callback', args=[attachment.pk])}?token={token}"


@FUZZ
@given(
    raw=bodies(),
    header=header_values(),
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]),
    method=st.sampled_from(["post", "post", "post", "put", "get"]),
)
def test_it_answers_every_fuzzed_callback_with_json_and_never_a_server_error(
    endpoint, raw, header, content_type, method
) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    if method == "get":
        response = Client().get(endpoint, **extra)
    else:
        response = getattr(Client(), method)(endpoint, data=raw, content_type=content_type, **extra)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["error"], int)
