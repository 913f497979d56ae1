"""Files the fake serves under /cache/files, with the server's signed link shape and injectable faults."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

LINK_LIFETIME_SECONDS = 900  # storage.fs.urlExpires
CACHE_PREFIX = "/cache/files/data/"


@dataclass
class Fault:
    kind: str  # "status", "hang", "close_mid_body" or "redirect"
    status: int = 500
    location: str = ""
    remaining: int | None = None  # None: until cleared


class Faults:
    """Faults injected into downloads; the first one that applies wins. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def fail_with(self, status: int = 500, *, times: int | None = None) -> None:
        self._add(Fault("status", status=status, remaining=times))

    def hang(self, *, times: int | None = None) -> None:
        """Hold responses until the server's release() or stop(), bounded by its hang_timeout."""
        self._add(Fault("hang", remaining=times))

    def close_mid_body(self, *, times: int | None = None) -> None:
        """Send the headers with the full Content-Length, then half the body, then close the connection."""
        self._add(Fault("close_mid_body", remaining=times))

    def redirect_to(self, url: str, *, times: int | None = None) -> None:
        self._add(Fault("redirect", status=302, location=url, remaining=times))

    def clear(self, kind: str | None = None) -> None:
        with self._lock:
            self._faults = [fault for fault in self._faults if kind is not None and fault.kind != kind]

    def take(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.pop(0)
            return fault

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)


class FaultInjection:
    """``fail_with``, ``hang``, ``close_mid_body`` and ``redirect_to`` for whatever holds ``faults``: one blob, or the
    whole server (its /cache/files downloads)."""

    faults: Faults

    def fail_with(self, status: int = 500, *, times: int | None = None) -> None:
        self.faults.fail_with(status, times=times)

    def hang(self, *, times: int | None = None) -> None:
        self.faults.hang(times=times)

    def close_mid_body(self, *, times: int | None = None) -> None:
        self.faults.close_mid_body(times=times)

    def redirect_to(self, url: str, *, times: int | None = None) -> None:
        self.faults.redirect_to(url, times=times)


@dataclass
class Blob(FaultInjection):
    folder: str
    name: str
    data: bytes
    content_type: str = "application/octet-stream"
    faults: Faults = field(default_factory=Faults)
    downloads: int = 0


class BlobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, Blob] = {}
        # The server signs links with its own string; only the fake needs to know it.
        self._signing_secret = secrets.token_hex(16)

    def put(self, folder: str, name: str, data: bytes, content_type: str) -> Blob:
        blob = Blob(folder=folder, name=name, data=data, content_type=content_type)
        with self._lock:
            self._blobs[f"{folder}/{name}"] = blob
        return blob

    def get(self, folder: str, name: str) -> Blob | None:
        with self._lock:
            return self._blobs.get(f"{folder}/{name}")

    def all(self) -> list[Blob]:
        with self._lock:
            return list(self._blobs.values())

    def link(self, base_url: str, blob: Blob, filename: str, *, now: int, shardkey: str | None = None) -> str:
        """`<base>/cache/files/data/<folder>/<name>/<filename>?md5=…&expires=<now+900>[&shardkey=…]&filename=…`."""
        path = f"{CACHE_PREFIX}{blob.folder}/{blob.name}/{quote(filename)}"
        expires = now + LINK_LIFETIME_SECONDS
        query = f"md5={self._md5(path, expires)}&expires={expires}"
        if shardkey:
            query += f"&shardkey={quote(shardkey)}"
        return f"{base_url.rstrip('/')}{path}?{query}&filename={quote(filename)}"

    def resolve(self, path: str) -> Blob | None:
        """The blob a /cache/files path names, ignoring the download file name in the last segment."""
        if not path.startswith(CACHE_PREFIX):
            return None
        parts = path[len(CACHE_PREFIX) :].split("/")
        if len(parts) != 3:
            return None
        return self.get(unquote(parts[0]), unquote(parts[1]))

    def signature_ok(self, path: str, md5: str, expires: str) -> bool:
        if not expires.isdigit():
            return False
        # _md5 unquotes the path, so a client that re-encodes the file name still matches.
        return secrets.compare_digest(self._md5(path, int(expires)), md5)

    def _md5(self, path: str, expires: int) -> str:
        digest = hashlib.md5(f"{expires}{unquote(path)}{self._signing_secret}".encode(), usedforsecurity=False)
        return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
