"""A tiny round-robin HTTP forwarder in front of the benchmark's web nodes (benchmarks only).

    python -m bench.balancer --port P --backend http://127.0.0.1:A --backend http://127.0.0.1:B
        [--retry-share 0.05 --slow-seconds 2 --seed 1]

The real Document Server and browsers talk to one URL; behind it a deployment's proxy spreads requests over the
nodes. This does that, one request at a time in turn, so that a session's page, its DS download and its
callbacks land on different nodes as they may in production. Bodies are streamed in both directions.

With ``--retry-share`` it also plays the network between the DS and the app: that share of the final-save
callbacks (JSON bodies with status 2 or 3, the only ones the real DS resends, canvasservice.js
commandSfcCallback with ``callbackBackoffOptions``) fails once, in one of three ways a real DS sees:

- ``lost``: forwarded and answered by the node, but the answer is replaced by a 502 (a proxy or network that
  lost it); the app has recorded the save and must not store it twice when the DS resends it;
- ``slow``: forwarded, answered, held for ``--slow-seconds`` and then a 504 (an answer slower than the caller
  waits for);
- ``refused``: a 503 without forwarding (the node was restarting).

A callback body is failed at most once, so the DS's resend (the same signed body) goes through.

With ``--route PREFIX=http://host:port`` requests whose path starts with PREFIX all go to that node instead
(tests/test_two_nodes.py sends the DS's downloads to one node and its callbacks to the other).
``GET /__balancer__/stats`` answers the counts as JSON and is not forwarded.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 §7.6.1) are the forwarder's own business on each side.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
CHUNK = 256 * 1024
BACKEND_TIMEOUT = 660.0  # longer than the real DS waits for a callback answer (10 min)
MAX_PEEK = 1024 * 1024  # larger POST bodies are not callbacks
STATS_PATH = "/__balancer__/stats"
FAULTS = ("lost", "slow", "refused")


class Balancer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # hundreds of simulated browsers connect at once

    def __init__(self, port: int, backends: list[tuple[str, int]], args: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.backends = backends
        self.routes = [(prefix, _address(url)) for prefix, url in (route.split("=", 1) for route in args.route)]
        self.turn = itertools.cycle(range(len(backends)))
        self.lock = threading.Lock()
        self.retry_share = args.retry_share
        self.slow_seconds = args.slow_seconds
        self.rng = random.Random(args.seed)
        self.failed_bodies: set[str] = set()
        self.stats: Counter[str] = Counter()

    def next_backend(self, path: str) -> tuple[int, tuple[str, int]]:
        for prefix, address in self.routes:
            if path.startswith(prefix):
                return self.backends.index(address) if address in self.backends else -1, address
        with self.lock:
            number = next(self.turn)
        return number, self.backends[number]

    def fault_for(self, body: bytes) -> str | None:
        """The fault to play on this callback body, or None; each body fails at most once."""
        if not self.retry_share or not body or len(body) > MAX_PEEK:
            return None
        try:
            status = json.loads(body).get("status")
        except (ValueError, AttributeError):
            return None
        if status not in (2, 3):
            return None
        digest = hashlib.sha256(body).hexdigest()
        with self.lock:
            if digest in self.failed_bodies or self.rng.random() >= self.retry_share:
                return None
            self.failed_bodies.add(digest)
            fault = self.rng.choice(FAULTS)
            self.stats[f"fault_{fault}"] += 1
        return fault

    def count(self, name: str) -> None:
        with self.lock:
            self.stats[name] += 1


class Handler(BaseHTTPRequestHandler):
    server: Balancer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the load generator reports."""

    def do_GET(self) -> None:
        if self.path == STATS_PATH:
            with self.server.lock:
                self._answer(200, json.dumps(dict(self.server.stats)).encode(), "application/json")
            return
        self._forward()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.server.fault_for(body) if self.command == "POST" else None
        if fault == "refused":
            self._answer(503, b"node unavailable")
            return
        number, (host, port) = self.server.next_backend(self.path)
        self.server.count(f"node_{number + 1}" if number >= 0 else f"route_{host}:{port}")
        connection = http.client.HTTPConnection(host, port, timeout=BACKEND_TIMEOUT)
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            self.server.count("backend_errors")
            self._answer(502, f"backend: {type(error).__name__}".encode())
            return
        try:
            if fault is not None:
                response.read()  # the node has done its work; the caller never learns the answer
                if fault == "slow":
                    time.sleep(self.server.slow_seconds)  # the caller's wait, as a real slow answer makes it
                self._answer(502 if fault == "lost" else 504, b"answer lost")
                return
            self._relay(response)
        except (OSError, http.client.HTTPException):
            # The caller left (or the node broke off) after the status line went out: nothing more can be said.
            self.server.count("aborted_transfers")
            self.close_connection = True
        finally:
            connection.close()

    def _relay(self, response: http.client.HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason)
        framed = response.getheader("Content-Length") is not None or self.command == "HEAD"
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if not framed:
            # No length to frame the body by: end it by closing, as HTTP/1.0 did.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        while block := response.read(CHUNK):
            self.wfile.write(block)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.balancer", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="http://host:port of a web node")
    parser.add_argument("--retry-share", type=float, default=0.0, help="share of status 2/3 callbacks to fail once")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="how long a 'slow' answer is held")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--route", action="append", default=[], help="PREFIX=http://host:port: that path to that node")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    backends = [_address(url) for url in args.backend]
    server = Balancer(args.port, backends, args)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="balancer", daemon=True).start()
    print(f"balancing 127.0.0.1:{args.port} over {', '.join(args.backend)}", flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
