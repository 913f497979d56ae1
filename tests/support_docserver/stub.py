"""A tiny HTTP server on 127.0.0.1 for the Document Server client's tests.

Each test says what a path answers (``stub.route("/healthcheck", Reply(body=b"true"))`` or a function of the
request) and afterwards reads ``stub.requests`` to see exactly what reached the server. It is deliberately
dumb: the full protocol lives in tests/fakeds; this only lets the client's edge cases be staged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Announce this Content-Length instead of the real one (bigger: the body arrives cut short).
    declared_length: int | None = None


Responder = Reply | Callable[[Recorded], Reply]


class StubServer:
    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def route(self, path: str, responder: Responder) -> None:
        self.routes[path] = responder

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
        responder = self.routes.get(request.path.split("?", 1)[0])
        if responder is None:
            return Reply(status=404, body=b"not found")
        return responder(request) if callable(responder) else responder


def _handler_for(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Recorded(self.command, self.path, dict(self.headers.items()), body)
            reply = stub._record(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            declared = reply.declared_length if reply.declared_length is not None else len(reply.body)
            self.send_header("Content-Length", str(declared))
            if reply.declared_length is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()

    return Handler


@contextmanager
def running_stub() -> Iterator[StubServer]:
    stub = StubServer()
    # A short poll interval: shutdown() waits for the loop to notice, once per test.
    thread = threading.Thread(target=stub._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub._server.shutdown()
        stub._server.server_close()
        thread.join(timeout=5)
