"""The JWT codec accepts exactly what the Document Server signs (HMAC) and nothing an attacker can pick."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from connector import jwt_codec

SECRET = "a-document-server-secret-long-enough-for-hs512-which-wants-64-bytes"


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged(alg: str, payload: dict, signature: str = "") -> str:
    return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(payload)}.{signature}"


@pytest.mark.parametrize("algorithm", jwt_codec.ALGORITHMS)
def test_it_round_trips_every_hmac_algorithm(algorithm: str) -> None:
    token = jwt_codec.encode({"key": "Khirz6zTPdfd7", "status": 4}, SECRET, algorithm=algorithm)

    claims = jwt_codec.decode(token, SECRET)

    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert claims["key"] == "Khirz6zTPdfd7"
    assert claims["status"] == 4
    assert claims["exp"] - claims["iat"] == 300


def test_it_omits_exp_when_asked_to() -> None:
    claims = jwt_codec.decode(jwt_codec.encode({"a": 1}, SECRET, expires_in=None), SECRET)

    assert "exp" not in claims
    assert abs(claims["iat"] - time.time()) < 5


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the example's secret is short
def test_it_decodes_the_document_servers_own_example() -> None:
    # Protocol notes §9: a status-4 body token signed with "my_jwt_secret"; long expired, so verify the
    # signature with a leeway that covers its age.
    token = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJLaGlyejZ6VFBkZmQ3Iiwic3RhdHVzIjo0LCJhY3Rpb25zIjpbeyJ0"
        "eXBlIjowLCJ1c2VyaWQiOiI3OGUxZTg0MSJ9XSwiaWF0IjoxNzc0NzgwMDAwLCJleHAiOjE3NzQ3ODAzMDB9.VPju_1HV_zI4rRLW"
        "ZmyQlxtKow_65OCyb6-KMuauebs"
    )

    claims = jwt_codec.decode(token, "my_jwt_secret", leeway=10**9)

    assert claims["key"] == "Khirz6zTPdfd7"
    assert claims["actions"] == [{"type": 0, "userid": "78e1e841"}]


def test_it_rejects_an_unsigned_alg_none_token() -> None:
    token = _forged("none", {"key": "k", "status": 2, "url": "http://evil/"})

    with pytest.raises(jwt_codec.InvalidToken, match="algorithm"):
        jwt_codec.decode(token, SECRET)


def test_it_rejects_an_rs256_token() -> None:
    token = _forged("RS256", {"key": "k"}, signature="c2lnbmF0dXJl")

    with pytest.raises(jwt_codec.InvalidToken, match="algorithm"):
        jwt_codec.decode(token, SECRET)


def test_it_rejects_a_token_signed_with_another_secret() -> None:
    token = jwt_codec.encode({"key": "k"}, "another-secret-that-is-also-long-enough-for-every-hmac-algorithm!!")

    with pytest.raises(jwt_codec.InvalidToken, match="signature") as raised:
        jwt_codec.decode(token, SECRET)

    assert token not in str(raised.value)
    assert SECRET not in str(raised.value)


def test_it_rejects_garbage() -> None:
    with pytest.raises(jwt_codec.InvalidToken, match="malformed"):
        jwt_codec.decode("not.a.token", SECRET)


def test_it_rejects_a_token_expired_beyond_the_leeway() -> None:
    token = jwt.encode({"key": "k", "exp": int(time.time()) - 120}, SECRET, algorithm="HS256")

    with pytest.raises(jwt_codec.InvalidToken, match="expired"):
        jwt_codec.decode(token, SECRET, leeway=60)


def test_it_accepts_a_token_expired_within_the_leeway() -> None:
    token = jwt.encode({"key": "k", "exp": int(time.time()) - 30}, SECRET, algorithm="HS256")

    assert jwt_codec.decode(token, SECRET, leeway=60)["key"] == "k"


def test_it_refuses_to_work_without_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        jwt_codec.encode({"a": 1}, "")
    with pytest.raises(ValueError, match="secret"):
        jwt_codec.decode("a.b.c", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("abc.def.ghi", None),
        ("", None),
        (None, None),
    ],
)
def test_it_takes_the_token_out_of_a_bearer_header(value: str | None, expected: str | None) -> None:
    assert jwt_codec.bearer(value) == expected


def test_it_signs_a_request_in_the_body_and_in_the_header() -> None:
    body = {"c": "forcesave", "key": "Khirz6zTPdfd7"}

    signed_body, header = jwt_codec.request_token_pair(body, SECRET)

    body_claims = jwt.decode(signed_body["token"], SECRET, algorithms=["HS256"])
    header_claims = jwt.decode(jwt_codec.bearer(header), SECRET, algorithms=["HS256"])
    assert {key: signed_body[key] for key in body} == body
    assert {key: body_claims[key] for key in body} == body
    assert header_claims["payload"] == body
    assert "token" not in body  # the caller's dict is left alone


def test_it_calls_a_token_with_a_lone_surrogate_malformed() -> None:
    with pytest.raises(jwt_codec.InvalidToken):
        jwt_codec.decode("\ud800", "a-secret-long-enough-for-hmac-sha256-keys")
