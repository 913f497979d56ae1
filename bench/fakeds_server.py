"""The fake Document Server in a process of its own, driven over a small JSON control API (benchmarks only).

``python -m bench.fakeds_server`` starts tests.fakeds.FakeDocServer with a fresh secret plus a control server,
prints one JSON line ``{"url": ..., "secret": ..., "control": ...}`` and serves until stdin closes or a signal
arrives: the parent keeps stdin open, so the fake never outlives it. Running it apart keeps the load
generator's threads (and their GIL) from slowing the fake down, and the callback latency it measures.

Control API (POST, JSON in and out): /open {config}, /edit {key, user, text[, size]}, /forcesave {key, user[,
type]}, /close {key, user}, /probe {url}; for big files /publish {path, name} (a signed cache link to the file).
Callback answers carry the fake's record plus the seconds it took.

``size`` on /edit: the document the DS saves for this key is ``text`` padded to ``size`` bytes (a sparse,
unlinked temporary file, mapped: big saves cost neither memory nor disk writes), made when a save is assembled.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import secrets
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from tests.fakeds import FakeDocServer, FakeDsError, KeyClosedForEditing
from tests.fakeds.callbacks import CallbackRecord
from tests.fakeds.editor import FORCESAVE_BUTTON, EditorSession


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of simulated browsers connect at once; the default backlog of 5 would add SYN retries (1 s).
    request_queue_size = 512


_last = threading.local()  # the callback the current handler thread caused, with its delivery time
_padded: dict[str, int] = {}  # key → size its saved documents are padded to (/edit's size)
_padded_lock = threading.Lock()


def _record(fake: FakeDocServer) -> dict[str, Any] | None:
    record: CallbackRecord | None = getattr(_last, "record", None)
    _last.record = None
    if record is None:
        return None
    saved_sha256 = None
    if record.status in (2, 6) and record.fields.get("url"):
        # What the integrator must end up storing: the exact bytes behind the link it was given.
        saved_sha256 = hashlib.sha256(fake.blob(record.fields["url"]).data).hexdigest()
    return {
        "status": record.status,
        "succeeded": record.succeeded,
        "http_status": record.http_status,
        "response": record.response if record.http_status is not None else record.transport_error,
        "attempts": record.attempts,
        "notmodified": record.fields.get("notmodified"),
        # With status, what the app's idempotency rule tells saves apart by (connector/services.py, _dedupe_key).
        "key": record.fields.get("key"),
        "lastsave": record.fields.get("lastsave"),
        "saved_sha256": saved_sha256,
        "seconds": _last.seconds,
        # The answer to the last attempt alone (the others failed and were retried), and when the first went out.
        "last_attempt_seconds": _last.last_attempt_seconds,
        "sent_at": _last.sent_at,
    }


def _session(fake: FakeDocServer, key: str) -> EditorSession:
    session = fake.session(key)
    if session is None:
        raise FakeDsError(f"no session for key {key}")
    return session


def _probe(url: str) -> dict[str, Any]:
    # The same client as the fake's callbacks (a new requests connection per call), so the floor is comparable.
    started = time.perf_counter()
    response = requests.get(url, timeout=30, allow_redirects=False)
    return {"http_status": response.status_code, "seconds": time.perf_counter() - started}


def _file_bytes(path: str) -> mmap.mmap:
    """A file mapped read-only: served and hashed like bytes, held once by the page cache, not the heap."""
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _sparse(head: bytes, size: int) -> mmap.mmap:
    """``head`` then zeros up to ``size`` bytes, in an unlinked sparse file: no memory, no disk blocks for zeros."""
    with tempfile.TemporaryFile() as handle:
        handle.write(head)
        handle.truncate(max(size, len(head)))
        handle.flush()
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _pad(session: EditorSession) -> None:
    """Before a save is assembled: the edited text grows to the document's size (see /edit's size).

    A concurrent edit by another user may be overtaken by the padded copy of the one before it: only the saved
    bytes' identity matters here, and the fake hashes what it publishes.
    """
    with _padded_lock:
        size = _padded.get(session.key)
    document = session.document
    if size is not None and isinstance(document, bytes) and len(document) < size:
        session.document = _sparse(document, size)  # type: ignore[assignment]


def dispatch(fake: FakeDocServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    _last.record = None
    if path == "/open":
        key = body["config"].get("document", {}).get("key")
        fresh = key is not None and fake.session(key) is None
        started = time.perf_counter()
        try:
            session = fake.open(body["config"])
        except KeyClosedForEditing as error:
            return {"closed": str(error)}
        # A new key made the fake download the document (a known one joins the open session).
        downloaded = len(session.document) if fresh else 0
        return {
            "key": session.key,
            "callback": _record(fake),
            "downloaded": downloaded,
            "open_seconds": time.perf_counter() - started,
        }
    if path == "/edit":
        session = _session(fake, body["key"])
        if body.get("size"):
            with _padded_lock:
                _padded[session.key] = int(body["size"])
        session.edit(body["user"], body["text"].encode())
        return {}
    if path == "/forcesave":
        session = _session(fake, body["key"])
        _pad(session)
        try:
            session.forcesave(body["user"], int(body.get("type", FORCESAVE_BUTTON)))
        except FakeDsError as error:  # another editor's forcesave took the changes first: nothing to save
            return {"skipped": str(error)}
        return {"callback": _record(fake)}
    if path == "/close":
        session = _session(fake, body["key"])
        _pad(session)
        session.close(body["user"])  # viewers and a non-editor cause no callback
        if session.closed_for_editing:
            session.document = b""  # saved and closed: only viewers may come back; let the bytes go
        return {"callback": _record(fake)}
    if path == "/probe":
        return _probe(body["url"])
    if path == "/publish":
        name = body["name"]
        return {"url": fake.publish(secrets.token_hex(8), name, _file_bytes(body["path"]), filename=name)}  # type: ignore[arg-type]
    raise LookupError(path)


def handler_for(fake: FakeDocServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the load generator reports."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                reply, status = dispatch(fake, self.path, json.loads(self.rfile.read(length) or b"{}")), 200
            except LookupError as error:
                reply, status = {"error": f"unknown: {error}"}, 404
            except Exception as error:
                reply, status = {"error": f"{type(error).__name__}: {error}"}, 500
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _time_callbacks(fake: FakeDocServer) -> None:
    """Remember, per handler thread, the callback an action caused and how long its delivery took."""
    deliver = fake.deliver_callback

    def timed(callback_url: str, fields: Any, *, retry: bool) -> CallbackRecord:
        sent_at, started = time.time(), time.perf_counter()
        record = deliver(callback_url, fields, retry=retry)
        _last.record, _last.seconds, _last.sent_at = record, time.perf_counter() - started, sent_at
        # attempt_times are time.monotonic() readings.
        _last.last_attempt_seconds = time.monotonic() - record.attempt_times[-1]
        return record

    fake.deliver_callback = timed  # type: ignore[method-assign]


def main() -> int:
    # The real DS's waits (Common/config/default.json): a download may take 2 min (FileConverter.converter
    # downloadTimeout) with 1 s between its 3 attempts; a callback's answer 10 min (callbackRequestTimeout).
    # Shorter ones would give up on a loaded app where the real DS still waits, and count errors it never sees.
    fake = FakeDocServer(
        secret=secrets.token_urlsafe(48), download_retry_delay=1.0, download_timeout=120, callback_timeout=600
    )
    _time_callbacks(fake)
    fake.start()
    return serve(fake, handler_for(fake))


def serve(fake: FakeDocServer, handler: type[BaseHTTPRequestHandler]) -> int:
    """Run the control API for the started ``fake`` until SIGTERM, SIGINT or the parent closes stdin."""
    control = ControlServer(("127.0.0.1", 0), handler)
    threading.Thread(target=control.serve_forever, name="control", daemon=True).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # stdin closing means the parent is gone, however it ended.
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), name="stdin", daemon=True).start()
    host, port = control.server_address[:2]
    print(json.dumps({"url": fake.url, "secret": fake.secret, "control": f"http://{host}:{port}"}), flush=True)
    stop.wait()
    control.shutdown()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
