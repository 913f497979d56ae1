"""HTTP routing of the fake Document Server: every request is logged first, then answered like the DS would."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from . import commands, converter, webapps
from .blobs import CACHE_PREFIX, Blob
from .server import RequestRecord

if TYPE_CHECKING:
    from .server import FakeDocServer

MAX_REQUEST_BODY = 10 * 1024 * 1024
COMMAND_PATHS = ("/command", "/coauthoring/CommandService.ashx")
CONVERTER_PATHS = ("/converter", "/ConvertService.ashx")
API_JS_PATH = "/web-apps/apps/api/documents/api.js"
EDITOR_PAGE = re.compile(r"^/web-apps/apps/(?P<app>[a-z]+)/main/index\.html$")
JSON_TYPE = "application/json; charset=UTF-8"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that give up mid-response (timeouts, hang tests) are expected; anything else is shown."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeDocServer:
        return self.server.fake  # type: ignore[attr-defined]

    def version_string(self) -> str:
        return "nginx"  # the Document Server answers through its nginx

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log (fake.requests) is the record tests read."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        self.fake.record_request(
            RequestRecord(method=method, path=parts.path, query=parts.query, headers=dict(self.headers), body=body)
        )
        path, query = parts.path, parse_qs(parts.query)
        if method == "GET" and path == "/healthcheck":
            self._send(200, b"true" if self.fake.health else b"false", "text/plain")
        elif method == "POST" and path in COMMAND_PATHS:
            reply = commands.handle(self.fake, _json_or_none(body), dict(self.headers), self._base_url())
            self._send(200, _json_bytes(reply), JSON_TYPE)
        elif path in CONVERTER_PATHS and (method == "POST" or path == "/ConvertService.ashx"):
            params = _json_or_none(body) if method == "POST" else {name: values[-1] for name, values in query.items()}
            self._convert(path, params)
        elif method == "GET" and path.startswith(CACHE_PREFIX):
            self._serve_cache(path, query)
        elif method == "GET" and path == API_JS_PATH:
            self._send(200, webapps.api_js(self.fake.version), "application/javascript; charset=utf-8")
        elif method == "GET" and (page := EDITOR_PAGE.match(path)) and page["app"] in webapps.EDITOR_APPS:
            self._send(200, webapps.editor_html(), "text/html; charset=utf-8")
        else:
            self._send(404, b"Not Found", "text/plain")

    # ---- converter -------------------------------------------------------------------------------------------

    def _convert(self, path: str, params: Any) -> None:
        reply = converter.handle(self.fake, params, dict(self.headers), self._base_url())
        accept = (self.headers.get("Accept") or "").lower()
        wants_xml = path == "/ConvertService.ashx"
        if "application/json" in accept:
            wants_xml = False
        elif "application/xml" in accept or "text/xml" in accept:
            wants_xml = True
        if wants_xml:
            self._send(200, converter.to_xml(reply), "application/xml; charset=UTF-8")
        else:
            self._send(200, _json_bytes(reply), JSON_TYPE)

    # ---- cache files -----------------------------------------------------------------------------------------

    def _serve_cache(self, path: str, query: dict[str, list[str]]) -> None:
        blob = self.fake.blobs.resolve(path)
        if blob is None:
            self._send(404, b"Not Found", "text/plain")
            return
        md5, expires = query.get("md5", [""])[-1], query.get("expires", [""])[-1]
        # routes/static.js, in its order: no md5 or expires 403; past expires 410 (before the md5 is checked);
        # a wrong md5 403.
        if not md5 or not expires.isdigit() or int(expires) == 0:
            self._send(403, b"Forbidden", "text/plain")
            return
        if self.fake.now() > int(expires):
            self._send(410, b"Gone", "text/plain")
            return
        if not self.fake.blobs.signature_ok(path, md5, expires):
            self._send(403, b"Forbidden", "text/plain")
            return
        fault = blob.faults.take() or self.fake.faults.take()
        if fault is None:
            self._serve_blob(blob, query)
        elif fault.kind == "status":
            self._send(fault.status, f"Injected HTTP {fault.status}".encode(), "text/plain")
        elif fault.kind == "redirect":
            self._send(302, b"", "text/plain", {"Location": fault.location})
        elif fault.kind == "close_mid_body":
            self._send_half(blob)
        elif self.fake.wait_released():
            self._serve_blob(blob, query)
        else:
            # Stopped or hang_timeout: drop the connection without an answer.
            self.close_connection = True

    def _serve_blob(self, blob: Blob, query: dict[str, list[str]]) -> None:
        blob.downloads += 1
        filename = query.get("filename", [blob.name])[-1]
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        self._send(200, blob.data, blob.content_type, {"Content-Disposition": disposition})

    def _send_half(self, blob: Blob) -> None:
        self.send_response(200)
        self.send_header("Content-Type", blob.content_type)
        self.send_header("Content-Length", str(len(blob.data)))
        self.end_headers()
        self.wfile.write(blob.data[: len(blob.data) // 2])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    # ---- plumbing --------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_REQUEST_BODY)) if length > 0 else b""

    def _base_url(self) -> str:
        """The DS address the client used, as links show it (X-Forwarded-* first)."""
        host = self.headers.get("X-Forwarded-Host") or self.headers.get("Host")
        if not host:
            return self.fake.url
        proto = self.headers.get("X-Forwarded-Proto") or "http"
        return f"{proto}://{host.split(',')[0].strip()}"

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # One request per connection, so down() really refuses the next one.
        self.send_header("Connection", "close")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
