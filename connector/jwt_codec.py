"""JSON Web Tokens as the Document Server signs and checks them: HMAC only (HS256/384/512).

The Document Server verifies incoming tokens with an HMAC key and a 60 s clock tolerance, and signs its own
with HS256 and a 5-minute expiry (protocol notes §4). We accept exactly the HMAC family: a token that names
``none``, RS* or ES* is refused before any signature is looked at, so a forged header cannot pick the check.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping

import jwt
from django.utils.translation import gettext as _

ALGORITHMS = ("HS256", "HS384", "HS512")

# PyJWT (2.10 and later) warns on every token signed or checked with a key shorter than the hash, so every log
# would repeat it. We say it once, in our own words: the settings page's banner, and `onlyoffice check` and each
# worker at start-up (connector/checks.py short_secret_warning). A filter set at import, unlike catch_warnings
# around each call, is safe with threads.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)


class InvalidToken(Exception):
    """A token we refuse. The message is safe to show: it never contains the token or the secret."""


def encode(
    payload: Mapping[str, object], secret: str, *, expires_in: int | None = 300, algorithm: str = "HS256"
) -> str:
    """Sign ``payload`` plus ``iat`` (and ``exp`` when ``expires_in`` is given, in seconds)."""
    if not secret:
        raise ValueError("cannot sign a token without a secret")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    now = int(time.time())
    claims = {**payload, "iat": now}
    if expires_in is not None:
        claims["exp"] = now + expires_in
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode(token: str, secret: str, *, leeway: int = 60) -> dict[str, object]:
    """The verified claims of ``token``; ``exp`` is checked when present (it is optional, as in the DS)."""
    if not secret:
        raise ValueError("cannot verify a token without a secret")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=list(ALGORITHMS),
            leeway=leeway,
            options={"require": [], "verify_aud": False, "verify_iss": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken(_("The token has expired; check that the clocks agree.")) from exc
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidToken(_("The token is signed with an algorithm that is not allowed.")) from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken(_("The token's signature does not match the secret.")) from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidToken(_("The token is not valid yet; check that the clocks agree.")) from exc
    except (jwt.InvalidTokenError, UnicodeError) as exc:
        # PyJWT encodes a str token to UTF-8 first: a lone surrogate fails there, before any of its own checks.
        raise InvalidToken(_("The token is malformed.")) from exc
    if not isinstance(claims, dict):
        raise InvalidToken(_("The token is malformed."))
    return claims


def bearer(value: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` value (any case of "Bearer"), else None."""
    if not value:
        return None
    scheme, _sep, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def request_token_pair(body: Mapping[str, object], secret: str) -> tuple[dict[str, object], str]:
    """The body with its ``token`` added, and the header value carrying ``{"payload": body}``.

    The Document Server reads the body token first and the header otherwise; the official connectors send
    both, and so do we, so a proxy that strips either one does not break the request.
    """
    plain = {key: value for key, value in body.items() if key != "token"}
    signed_body = {**plain, "token": encode(plain, secret)}
    header = f"Bearer {encode({'payload': plain}, secret)}"
    return signed_body, header
