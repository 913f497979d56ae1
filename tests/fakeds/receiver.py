"""A tiny scripted HTTP peer on 127.0.0.1: the integrator's side in the fake's own tests.

It serves files (document.url, conversion sources) and answers callbacks with scripted replies, recording
every request with its arrival time.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"error":0}'
    content_type: str = "application/json"


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, Reply] = {}
        self._scripted: list[Reply] = []
        self.default_reply = Reply()
        self._received: list[Received] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Receiver:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def serve(self, path: str, data: bytes, *, status: int = 200, content_type: str = "application/octet-stream"):
        """Answer GET <path> with the bytes; returns the absolute URL."""
        with self._lock:
            self._files[path] = Reply(status=status, body=data, content_type=content_type)
        return self.url + path

    def answer(self, *replies: Reply) -> None:
        """Answer the next POSTs with these replies, in order; then default_reply."""
        with self._lock:
            self._scripted.extend(replies)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def posts(self) -> list[Received]:
        return [request for request in self.received if request.method == "POST"]

    def gets(self, path: str) -> list[Received]:
        return [request for request in self.received if request.method == "GET" and request.path == path]

    def _reply_for(self, method: str, path: str) -> Reply:
        with self._lock:
            if method == "GET":
                return self._files.get(path, Reply(404, b"not found", "text/plain"))
            return self._scripted.pop(0) if self._scripted else self.default_reply

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)


def _make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            receiver._record(Received(method, path, dict(self.headers), body))
            reply = receiver._reply_for(method, path)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

    return Handler
