"""Signed, expiring links this app hands to the Document Server (download, callback, history...).

They are signed with Django's SECRET_KEY (not the DS secret) and bound to a purpose, so a download link
cannot be replayed as a callback link and the other way round.
"""

from __future__ import annotations

from django.core import signing

_SALT = "connector.links."


class BadLink(Exception):
    """The link token is missing, forged, for another purpose or object, or expired."""


def make_token(purpose: str, **claims: int | str | None) -> str:
    return signing.dumps(claims, salt=_SALT + purpose, compress=True)


def read_token(token: str | None, purpose: str, *, max_age: int) -> dict[str, object]:
    if not token:
        raise BadLink("the link has no token")
    try:
        claims = signing.loads(token, salt=_SALT + purpose, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise BadLink("the link has expired") from exc
    except signing.BadSignature as exc:
        raise BadLink("the link token is not valid") from exc
    if not isinstance(claims, dict):
        raise BadLink("the link token is not valid")
    return claims
