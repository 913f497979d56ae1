"""A canary: HTTP servers on 127.0.0.1 and [::1] that nothing may reach; every request they get is recorded.

SSRF tests point hostile URLs at it and assert ``canary.hits == []``: proof that nothing was fetched.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Canary:
    """Servers nothing may reach, on 127.0.0.1 and [::1]; every request they get is recorded."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def _hit(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"stolen")

            do_GET = do_POST = do_HEAD = _hit

            def log_message(self, *args: object) -> None:
                return None

        self.servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler), _V6Server(("::1", 0), Handler)]
        self.port = self.servers[0].server_address[1]
        self.port6 = self.servers[1].server_address[1]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.stop()
