"""Callbacks the Document Server POSTs to the integrator (protocol §3, §4, §9): wire shape, signing, retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from . import tokens

WIRE_ORDER = (
    "key",
    "status",
    "url",
    "changesurl",
    "history",
    "users",
    "actions",
    "userdata",
    "formsdataurl",
    "lastsave",
    "notmodified",
    "forcesavetype",
    "token",
    "filetype",
)
# A header token this long is cut down (canvasservice.js checkAndFixAuthorizationLength): the plain fields and the
# header lose changesurl and get an empty history object ({}, not absent); the body token keeps both in full.
HEADER_TOKEN_LIMIT = 7168
SHRUNK_FIELDS = {"changesurl": None, "history": {}}
USER_AGENT = "Node.js/6.13"
# callbackBackoffOptions: retries 3, minTimeout 1000 ms, factor 2 → 1 s, 2 s, 4 s; only for 429 and 5xx.
RETRY_DELAYS_SECONDS = (1.0, 2.0, 4.0)


def is_retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def in_wire_order(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields in the order the server serialises them; undefined (None) fields are omitted."""
    ordered = {name: fields[name] for name in WIRE_ORDER if fields.get(name) is not None}
    ordered.update({name: value for name, value in fields.items() if name not in ordered and value is not None})
    return ordered


def to_json(value: Any) -> bytes:
    # JSON.stringify: compact, non-ASCII left as is.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class SignedRequest:
    body: dict[str, Any]
    headers: dict[str, str]
    fields: dict[str, Any]  # the plain fields as sent (after the header-length rule)
    # The server's warning "authorization too large. Use body token instead. size reduced from N to M", if any.
    shrunk_from: int | None = None
    shrunk_to: int | None = None


def build_request(
    fields: Mapping[str, Any], *, secret: str | None, header_name: str, now: int, algorithm: str = "HS256"
) -> SignedRequest:
    """The JSON body and headers of a callback; unsigned when secret is None (outbox JWT off)."""
    full = in_wire_order({name: value for name, value in fields.items() if name != "token"})
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret is None:
        return SignedRequest(body=full, headers=headers, fields=full)
    # The body token is signed first, over every field, so integrators decode it first.
    body_token = tokens.sign(full, secret, now=now, algorithm=algorithm)
    plain = dict(full)
    header_token = tokens.sign({"payload": plain}, secret, now=now, algorithm=algorithm)
    shrunk_from = shrunk_to = None
    if len(header_token) >= HEADER_TOKEN_LIMIT:
        # The server mutates the request object itself: the header and the plain body both carry the cut.
        plain = in_wire_order({**plain, **SHRUNK_FIELDS})
        shrunk_from = len(header_token)
        header_token = tokens.sign({"payload": plain}, secret, now=now, algorithm=algorithm)
        shrunk_to = len(header_token)
    body = in_wire_order({**plain, "token": body_token})
    headers[header_name] = tokens.BEARER + header_token
    return SignedRequest(body=body, headers=headers, fields=plain, shrunk_from=shrunk_from, shrunk_to=shrunk_to)


@dataclass
class CallbackRecord:
    """One callback as the fake sent it and as the integrator answered it."""

    callback_url: str
    fields: dict[str, Any]
    body: dict[str, Any]
    headers: dict[str, str]
    retried: bool
    attempts: int = 0
    attempt_times: list[float] = field(default_factory=list)
    http_status: int | None = None
    response_text: str = ""
    response_json: Any = None
    transport_error: str | None = None
    # (N, M) of the server's "authorization too large ... size reduced from N to M" warning, when it applied.
    header_shrunk: tuple[int, int] | None = None

    @property
    def status(self) -> int:
        return int(self.fields["status"])

    @property
    def response(self) -> Any:
        return self.response_json if self.response_json is not None else self.response_text

    @property
    def succeeded(self) -> bool:
        """The server's rule: HTTP 200/204, then a JSON body whose `error` is 0."""
        if self.http_status not in (200, 204) or not isinstance(self.response_json, dict):
            return False
        error = self.response_json.get("error")
        return error == 0 and not isinstance(error, bool)


class CallbackSender:
    def __init__(
        self,
        *,
        secret: Callable[[], str | None],
        header_name: Callable[[], str],
        clock: Callable[[], float],
        retry_factor: Callable[[], float],
        timeout: Callable[[], float],
        stopping: threading.Event,
    ) -> None:
        self._secret = secret
        self._header_name = header_name
        self._clock = clock
        self._retry_factor = retry_factor
        self._timeout = timeout
        self._stopping = stopping

    def deliver(self, callback_url: str, fields: Mapping[str, Any], *, retry: bool) -> CallbackRecord:
        """POST once, or for status 2/3 (retry=True) up to 4 times while the failure is a transport one."""
        signed = build_request(fields, secret=self._secret(), header_name=self._header_name(), now=int(self._clock()))
        record = CallbackRecord(
            callback_url=callback_url, fields=signed.fields, body=signed.body, headers=signed.headers, retried=retry
        )
        if signed.shrunk_from is not None and signed.shrunk_to is not None:
            record.header_shrunk = (signed.shrunk_from, signed.shrunk_to)
        delays = [delay * self._retry_factor() for delay in RETRY_DELAYS_SECONDS] if retry else []
        while True:
            retryable = self._attempt(record, to_json(signed.body))
            if not retryable or not delays or self._stopping.is_set():
                return record
            # Bounded wait that a stopping server cuts short.
            self._stopping.wait(delays.pop(0))

    def _attempt(self, record: CallbackRecord, body: bytes) -> bool:
        record.attempts += 1
        record.attempt_times.append(time.monotonic())
        record.http_status, record.response_text, record.response_json = None, "", None
        try:
            response = requests.post(
                record.callback_url,
                data=body,
                headers=record.headers,
                timeout=self._timeout(),
                # The server does not follow redirects on POST: a 3xx is a failed save.
                allow_redirects=False,
            )
        except requests.RequestException as error:
            record.transport_error = f"{type(error).__name__}: {error}"
            return True
        record.transport_error = None
        record.http_status = response.status_code
        record.response_text = response.text
        record.response_json = _json_or_none(response.text)
        return is_retryable_status(response.status_code)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def send_raw(
    callback_url: str,
    fields: Mapping[str, Any],
    *,
    secret: str | None,
    header_name: str,
    now: int,
    sign_body: bool = True,
    sign_header: bool = True,
    alg: str = "HS256",
    header_payload_override: Mapping[str, Any] | None = None,
    body_override: bytes | str | Mapping[str, Any] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """A hand-built callback for hostile-input tests: wrong secrets, alg none, unsigned, tampered payloads."""
    plain = in_wire_order({name: value for name, value in fields.items() if name != "token"})
    key = None if alg == "none" else secret
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    body: dict[str, Any] = dict(plain)
    if sign_body:
        body = in_wire_order({**plain, "token": _encode({**plain, "iat": now, "exp": now + 300}, key, alg)})
    if sign_header:
        claims = header_payload_override or {"payload": plain, "iat": now, "exp": now + 300}
        headers[header_name] = tokens.BEARER + _encode(claims, key, alg)
    headers.update(extra_headers or {})
    if body_override is None:
        data = to_json(body)
    elif isinstance(body_override, Mapping):
        data = to_json(dict(body_override))
    else:
        data = body_override.encode() if isinstance(body_override, str) else body_override
    response = requests.post(callback_url, data=data, headers=headers, timeout=timeout, allow_redirects=False)
    parsed = _json_or_none(response.text)
    return response.status_code, parsed if parsed is not None else response.text


def _encode(claims: Mapping[str, Any], key: str | None, alg: str) -> str:
    return jwt.encode(dict(claims), key or "", algorithm=alg)
