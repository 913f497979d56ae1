"""Reading a Document Server callback: size, JSON, JWT verification and field validation.

Only fields inside the verified token are trusted (protocol §4): the body ``token`` is read first because the
header token may have been cut (the 7168-character rule). Once a token is verified, its fields are the callback.
A plain body field that contradicts the token is an attack or a bug, and is refused; but the DS's own size rule
removes the plain ``changesurl`` and sends ``"history":{}``, and refusing that would lose the final save of every
long co-editing session (the DS does not retry a refused status 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from connector import jwt_codec
from connector.keys import is_valid_key

MAX_BODY = 1024 * 1024
STATUSES = frozenset(range(8))
_STRING_FIELDS = ("url", "changesurl", "filetype", "lastsave", "userdata", "formsdataurl")
# A callback carries at most one user per editor; far more means a malformed or hostile body.
_MAX_USERS = 1000
# Plain fields the DS removes or empties when its header token would be 7168 characters or more (protocol §4).
_SHRINKABLE = frozenset({"changesurl", "history"})
# Plain fields that must be signed when present: they decide what is stored, and for whom.
_MUST_BE_SIGNED = frozenset({"key", "status", "url", "changesurl", "users"})


class CallbackRejected(Exception):
    """Bad input or failed verification; the message is safe to return to the caller."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = status


@dataclass(frozen=True)
class Callback:
    key: str
    status: int
    url: str = ""
    changes_url: str = ""
    filetype: str = ""
    lastsave: str = ""
    users: list[str] = field(default_factory=list)
    actions: list[dict[str, object]] = field(default_factory=list)
    history: dict[str, object] | None = None
    not_modified: bool = False
    forcesave_type: int | None = None
    userdata: str = ""
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def last_user(self) -> str | None:
        return self.users[-1] if self.users else None


def parse_body(raw: bytes) -> dict[str, object]:
    if len(raw) > MAX_BODY:
        raise CallbackRejected("the callback body is larger than 1 MB", 413)
    try:
        body = json.loads(raw, object_pairs_hook=_object_without_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackRejected("the callback body is not valid JSON") from exc
    except RecursionError as exc:
        # A 1 MB body can nest far deeper than the parser's stack: that is an attack, not a 500.
        raise CallbackRejected("the callback body is nested too deeply") from exc
    if not isinstance(body, dict):
        raise CallbackRejected("the callback body must be a JSON object")
    _refuse_unstorable_strings(body)
    return body


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # Parsers disagree on which copy of a repeated name wins (a proxy may read the first, we the last).
    names = [name for name, _value in pairs]
    if len(set(names)) != len(names):
        raise CallbackRejected("the callback body repeats a field name")
    return dict(pairs)


def _refuse_unstorable_strings(body: dict[str, object]) -> None:
    """Refuse NUL characters and lone surrogates anywhere in the body.

    Neither can be stored (PostgreSQL's jsonb refuses \\u0000, UTF-8 has no surrogates), so accepting them would
    turn a hostile body into a server error. Iterative, so the walk cannot overflow the stack.
    """
    pending: list[object] = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and ("\x00" in value or not _is_utf8(value)):
            raise CallbackRejected("the callback body contains characters that cannot be stored")


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def verified_fields(body: dict[str, object], header_value: str | None, secret: str) -> dict[str, object]:
    """The callback's fields as signed by the Document Server; only these may be used."""
    if not secret:
        return {name: value for name, value in body.items() if name != "token"}
    body_token = body.get("token")
    if body_token is not None:
        if not isinstance(body_token, str):
            raise CallbackRejected("the callback token must be a string", 403)
        claims = _decode(body_token, secret)
        # The DS also unwraps a `payload` member of a body token.
        payload = claims.get("payload")
        token_fields: Mapping[str, object] = payload if isinstance(payload, dict) else claims
    else:
        header_token = jwt_codec.bearer(header_value)
        if header_token is None:
            raise CallbackRejected("the callback is not signed: no token in the body or the header", 403)
        payload = _decode(header_token, secret).get("payload")
        if not isinstance(payload, dict):
            raise CallbackRejected("the header token has no payload", 403)
        token_fields = payload
    signed = {name: value for name, value in token_fields.items() if name not in {"iat", "exp", "nbf", "token"}}
    for name, value in body.items():
        if name == "token" or _shrunk_by_the_server(name, value):
            continue
        if name in signed and signed[name] != value:
            raise CallbackRejected(f"the body field {name!r} differs from the signed one", 403)
        if name not in signed and name in _MUST_BE_SIGNED:
            raise CallbackRejected(f"the body field {name!r} is not in the signed token", 403)
    return signed


def _shrunk_by_the_server(name: str, plain_value: object) -> bool:
    """The empty value the DS's size rule leaves in the plain body; the signed value stands."""
    return name in _SHRINKABLE and plain_value in ({}, "", None)


def _decode(token: str, secret: str) -> dict[str, object]:
    try:
        return jwt_codec.decode(token, secret)
    except jwt_codec.InvalidToken as exc:
        raise CallbackRejected(f"the callback token is not valid: {exc}", 403) from exc


def callback_from_fields(fields: dict[str, object]) -> Callback:
    key = fields.get("key")
    if not is_valid_key(key):
        raise CallbackRejected("the callback key is missing or malformed")
    status = fields.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or status not in STATUSES:
        raise CallbackRejected("the callback status is missing or unknown")
    strings = {}
    for name in _STRING_FIELDS:
        value = fields.get(name, "")
        if not isinstance(value, str) or len(value) > 8192:
            raise CallbackRejected(f"the callback field {name!r} must be a string")
        strings[name] = value
    users = fields.get("users", [])
    if not isinstance(users, list) or len(users) > _MAX_USERS or not all(isinstance(u, str) for u in users):
        raise CallbackRejected("the callback field 'users' must be a list of strings")
    actions = fields.get("actions", [])
    if not isinstance(actions, list) or len(actions) > _MAX_USERS or not all(isinstance(a, dict) for a in actions):
        raise CallbackRejected("the callback field 'actions' must be a list of objects")
    history = fields.get("history")
    if history is not None and not isinstance(history, dict):
        raise CallbackRejected("the callback field 'history' must be an object")
    forcesave_type = fields.get("forcesavetype")
    if forcesave_type is not None and (
        isinstance(forcesave_type, bool) or not isinstance(forcesave_type, int) or forcesave_type not in {0, 1, 2, 3}
    ):
        raise CallbackRejected("the callback field 'forcesavetype' is unknown")
    if status in {2, 6} and not strings["url"]:
        raise CallbackRejected("a save callback must carry the file url")
    return Callback(
        key=key,
        status=status,
        url=strings["url"],
        changes_url=strings["changesurl"],
        filetype=strings["filetype"].lower(),
        lastsave=strings["lastsave"],
        users=users,
        actions=actions,
        history=history,
        not_modified=fields.get("notmodified") is True,
        forcesave_type=forcesave_type,
        userdata=strings["userdata"],
        fields=fields,
    )
