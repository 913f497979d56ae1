"""JWT rules of the Document Server (protocol §4): how it reads incoming tokens and signs outgoing ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

INBOUND_ALGORITHMS = ["HS256", "HS384", "HS512"]
CLOCK_TOLERANCE_SECONDS = 60
OUTBOX_EXPIRES_SECONDS = 300
BEARER = "Bearer "


class TokenMissing(Exception):
    pass


class TokenInvalid(Exception):
    pass


class TokenExpired(TokenInvalid):
    pass


def decode(token: str, secret: str) -> dict[str, Any]:
    """Verify an HMAC-signed token the way the server does: HS256/384/512 only, 60 s clock tolerance."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=INBOUND_ALGORITHMS,
            leeway=CLOCK_TOLERANCE_SECONDS,
            # exp is optional on incoming tokens, but checked when present.
            options={"require": [], "verify_aud": False, "verify_iss": False},
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenExpired(str(error)) from error
    except jwt.PyJWTError as error:
        raise TokenInvalid(str(error)) from error
    if not isinstance(claims, dict):
        raise TokenInvalid("token payload is not an object")
    return claims


def unwrap(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The request inside the claims: header tokens wrap it in `payload`, body tokens may too."""
    inner = claims.get("payload")
    if isinstance(inner, dict):
        return dict(inner)
    return {name: value for name, value in claims.items() if name not in ("iat", "exp", "nbf")}


def bearer_token(headers: Mapping[str, str], header_name: str) -> str | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get(header_name.lower())
    if not value or not value.startswith(BEARER):
        return None
    return value[len(BEARER) :].strip() or None


def inbound_request(body: Mapping[str, Any], headers: Mapping[str, str], secret: str, header_name: str) -> dict:
    """The request the server acts on: body `token` first, else the header; only the token's data is used."""
    token = body.get("token")
    if not isinstance(token, str) or not token:
        token = bearer_token(headers, header_name)
    if not token:
        raise TokenMissing("no token in the body or the header")
    return unwrap(decode(token, secret))


def sign(claims: Mapping[str, Any], secret: str, *, now: int, algorithm: str = "HS256") -> str:
    """An outbox token: the claims, then iat and exp = iat + 5 min, in that order (as jsonwebtoken writes them)."""
    payload = {name: value for name, value in claims.items() if name not in ("iat", "exp")}
    payload["iat"] = now
    payload["exp"] = now + OUTBOX_EXPIRES_SECONDS
    return jwt.encode(payload, secret, algorithm=algorithm)


def download_header(url: str, secret: str, *, now: int) -> str:
    """`Bearer <jwt{payload:{url}}>`: what the server adds when it fetches a document, history or image URL."""
    return BEARER + sign({"payload": {"url": url}}, secret, now=now)
