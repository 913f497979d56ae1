"""A fake ONLYOFFICE Document Server on 127.0.0.1 that speaks the real wire format (docs/onlyoffice-protocol.md).

Tests drive the "browser side" in Python (open/edit/close sessions) and the integrator talks to it over real
HTTP: command service, converter, healthcheck, signed cache links and the editor's api.js.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from . import callbacks, redirects, tokens
from .blobs import Blob, BlobStore, FaultInjection, Faults
from .callbacks import CallbackRecord, CallbackSender
from .editor import FORCESAVE_COMMAND, EditorSession
from .errors import ConfigRejected, DownloadFailed, FakeDsError, TokenRejected
from .formats import KEY_PATTERN, document_type, normalize_document_type
from .redirects import Hop

if TYPE_CHECKING:
    from .handler import QuietServer

# 64 characters, so PyJWT does not warn about short HMAC keys even for HS512.
DEFAULT_SECRET = "fake-document-server-secret-" + "0123456789abcdef0123456789abcdef0123"
VERSION = "9.0.4.50"
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
DOWNLOAD_ATTEMPTS = 3


@dataclass
class RequestRecord:
    """One HTTP request the fake received, before any fault was applied."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Forgotten:
    data: bytes
    file_type: str


class FakeDocServer(FaultInjection):
    """The fake Document Server. JWT (inbox and outbox) uses one secret, as the Docker image sets it."""

    def __init__(
        self,
        secret: str | None = DEFAULT_SECRET,
        header: str = "Authorization",
        jwt_enabled: bool = True,
        *,
        public_url: str | None = None,
        download_retry_delay: float = 1.0,
        retry_factor: float = 1.0,
        callback_timeout: float = 30.0,
        download_timeout: float = 30.0,
        hang_timeout: float = 30.0,
    ) -> None:
        self.secret = secret
        self.header = header
        self.jwt_enabled = jwt_enabled
        # The host editors use in links when no HTTP request tells it (callbacks): DS's public address.
        self.public_url = public_url
        self.download_retry_delay = download_retry_delay
        self.retry_factor = retry_factor
        self.callback_timeout = callback_timeout
        self.download_timeout = download_timeout
        self.hang_timeout = hang_timeout
        self.health = True
        self.version = VERSION
        self.faults = Faults()  # server-wide faults for /cache/files downloads
        self.blobs = BlobStore()
        self.clock_offset = 0.0
        self._lock = threading.RLock()
        self._requests: list[RequestRecord] = []
        self._download_hops: list[Hop] = []
        self._callbacks: list[CallbackRecord] = []
        self._sessions: dict[str, EditorSession] = {}
        self._forgotten: dict[str, Forgotten] = {}
        self._last_shardkey: str | None = None
        self._conversions: dict[str, Any] = {}
        self._conversion_failure: tuple[int, int | None] | None = None
        self.converter_returns_input = False
        # The `thumbnail` option of each conversion request that had one, as the converter read it.
        self.thumbnail_options: list[Any] = []
        self._stopping = threading.Event()
        self._release = threading.Condition()
        self._release_generation = 0
        self._tasks: list[threading.Thread] = []
        self.task_errors: list[Exception] = []
        self._httpd: QuietServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._port = 0
        self._sender = CallbackSender(
            secret=self._outbox_secret,
            header_name=lambda: self.header,
            clock=self.now,
            retry_factor=lambda: self.retry_factor,
            timeout=lambda: self.callback_timeout,
            stopping=self._stopping,
        )

    # ---- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> FakeDocServer:
        self._stopping.clear()
        self.up()
        return self

    def stop(self) -> None:
        """Stop serving, cut retries and hangs short, and join every thread the fake started (bounded)."""
        self._stopping.set()
        self.release()
        self.down()
        deadline = time.monotonic() + 10
        for task in self._snapshot_tasks():
            task.join(max(0.0, deadline - time.monotonic()))

    def up(self) -> None:
        """Listen again (on the same port after down())."""
        if self._httpd is not None:
            return
        from .handler import Handler, QuietServer  # they need this module; a late import keeps the cycle one-way

        httpd = QuietServer(("127.0.0.1", self._port), Handler)
        httpd.fake = self  # type: ignore[attr-defined]
        self._port = httpd.server_address[1]
        self._httpd = httpd
        self._serve_thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-ds", daemon=True
        )
        self._serve_thread.start()

    def down(self) -> None:
        """Close the listening socket: clients now get "connection refused"."""
        httpd, thread = self._httpd, self._serve_thread
        self._httpd, self._serve_thread = None, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> FakeDocServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise FakeDsError("the fake Document Server is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def jwt_on(self) -> bool:
        return self.jwt_enabled and self.secret is not None

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock (link expiry, iat/exp it signs) without sleeping."""
        self.clock_offset += seconds

    # ---- observation -------------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_prefix: str) -> list[RequestRecord]:
        return [record for record in self.requests if record.path.startswith(path_prefix)]

    @property
    def download_hops(self) -> list[Hop]:
        """Every request the fake's downloads made, redirects followed included, oldest first."""
        with self._lock:
            return list(self._download_hops)

    @property
    def callbacks(self) -> list[CallbackRecord]:
        with self._lock:
            return list(self._callbacks)

    def wait_for_callbacks(self, count: int, *, timeout: float = 5.0) -> list[CallbackRecord]:
        """Poll (with a deadline) until at least `count` callbacks were sent and answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.callbacks) >= count:
                return found
            time.sleep(0.01)
        raise FakeDsError(f"expected {count} callbacks within {timeout} s, got {len(self.callbacks)}")

    def session(self, key: str) -> EditorSession | None:
        with self._lock:
            return self._sessions.get(key)

    def blob(self, url: str) -> Blob:
        """The stored file behind a cache link, for per-file fault injection."""
        blob = self.blobs.resolve(urlsplit(url).path)
        if blob is None:
            raise FakeDsError(f"no stored file behind {url}")
        return blob

    @property
    def forgotten_keys(self) -> list[str]:
        with self._lock:
            return list(self._forgotten)

    # ---- fault injection (fail_with, hang, ...: FaultInjection) ----------------------------------------------

    def clear_faults(self) -> None:
        self.faults.clear()
        for blob in self.blobs.all():
            blob.faults.clear()
        self.fail_conversion(None)

    def release(self) -> None:
        """Let every held (hang) response go on, and stop holding new ones."""
        self.faults.clear("hang")
        for blob in self.blobs.all():
            blob.faults.clear("hang")
        with self._release:
            self._release_generation += 1
            self._release.notify_all()

    def wait_released(self) -> bool:
        """Block a hanging response until release(), stop() or hang_timeout. True if released."""
        with self._release:
            generation = self._release_generation
            released = self._release.wait_for(
                lambda: self._release_generation != generation or self._stopping.is_set(), timeout=self.hang_timeout
            )
        return released and not self._stopping.is_set()

    def return_input_unchanged(self, enabled: bool = True) -> None:
        """Make later conversions answer with their source's bytes, as a broken converter would. The real server's
        stand-in converter (fake-x2t) does this, so clients must notice a result not of the type they asked for."""
        self.converter_returns_input = enabled

    def fail_conversion(self, code: int | None, *, times: int | None = None) -> None:
        """Make the next conversions (all, or `times` of them) fail with `code` (-1…-10); None clears it."""
        with self._lock:
            self._conversion_failure = None if code is None else (code, times)

    def take_conversion_failure(self) -> int | None:
        with self._lock:
            if self._conversion_failure is None:
                return None
            code, times = self._conversion_failure
            if times is not None:
                self._conversion_failure = (code, times - 1) if times > 1 else None
            return code

    # ---- editor sessions ("the browser side") -----------------------------------------------------------------

    def open(self, config: Mapping[str, Any]) -> EditorSession:
        """Open an editor with `config` as the browser would; the same key joins the same session."""
        effective = self._verified_config(config)
        document = _section(effective, "document")
        editor_config = _section(effective, "editorConfig")
        key = document.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ConfigRejected(f"document.key must be a string of 0-9 a-z A-Z - . _ =, got {key!r}")
        file_type = _file_type(document)
        if document_type(file_type) is None:
            raise ConfigRejected(f"unknown document.fileType {file_type!r}")
        declared = effective.get("documentType")
        if declared and normalize_document_type(declared) is None:
            raise ConfigRejected(f"unknown documentType {declared!r}")
        mode = editor_config.get("mode") or "edit"
        permissions = _section(document, "permissions")
        if permissions.get("edit") is False and not any(permissions.get(p) for p in ("review", "comment", "fillForms")):
            # edit:false cannot be switched into edit mode; with review, comment or fillForms it is the review-,
            # comment- or form-filling-only editor, which joins the session and whose changes are saved.
            mode = "view"
        callback_url = editor_config.get("callbackUrl")
        if mode != "view" and not isinstance(callback_url, str):
            raise ConfigRejected("editorConfig.callbackUrl is required for editing")
        user = _section(editor_config, "user")
        user_id = str(user.get("id") or f"uid-{secrets.token_hex(4)}")
        session = self._session_for(key, document, file_type)
        session.connect(user_id=user_id, name=str(user.get("name") or ""), mode=mode, callback_url=callback_url)
        return session

    def _verified_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        if not self.jwt_on:
            return dict(config)
        token = config.get("token")
        if not isinstance(token, str) or not token:
            raise TokenRejected("the editor config has no token", close_code=4006)
        try:
            claims = tokens.decode(token, self.secret or "")
        except tokens.TokenExpired as error:
            raise TokenRejected(f"the config token expired: {error}", close_code=4005) from error
        except tokens.TokenInvalid as error:
            raise TokenRejected(f"the config token is not valid: {error}", close_code=4006) from error
        signed = tokens.unwrap(claims)
        _require_signed_params(config, signed)
        # Only the token's values count (tokenRequiredParams); events never travel in the token.
        return signed

    def _session_for(self, key: str, document: Mapping[str, Any], file_type: str) -> EditorSession:
        with self._lock:
            existing = self._sessions.get(key)
            forgotten = self._forgotten.get(key)
        if existing is not None:
            return existing  # a known key: the cached copy wins and document.url is ignored
        if forgotten is not None:
            data = forgotten.data  # a lost save is offered again under its key
        else:
            url = document.get("url")
            if not isinstance(url, str) or not url:
                raise ConfigRejected("document.url is required")
            data = self.download(url)
        title = document.get("title") or f"Unnamed.{file_type}"
        with self._lock:
            return self._sessions.setdefault(
                key, EditorSession(self, key=key, file_type=file_type, title=str(title), document=data)
            )

    def download(self, url: str) -> bytes:
        """GET a URL like the server's converter: outbox JWT header, 3 attempts, size limit. Raises DownloadFailed."""
        problems = []
        for attempt in range(DOWNLOAD_ATTEMPTS):
            if attempt:
                self._stopping.wait(self.download_retry_delay)
            try:
                return self._download_once(url)
            except (requests.RequestException, DownloadFailed) as error:
                problems.append(f"{type(error).__name__}: {error}")
        raise DownloadFailed(f"download of {url} failed {DOWNLOAD_ATTEMPTS} times: {'; '.join(problems)}")

    def _download_once(self, url: str) -> bytes:
        headers = {"User-Agent": callbacks.USER_AGENT}
        if self.jwt_on:
            headers[self.header] = tokens.download_header(url, self._outbox_secret() or "", now=int(self.now()))
        # Redirects followed as the server's axios/follow-redirects does (tests/fakeds/redirects.py).
        opened = redirects.open_following(url, headers, timeout=self.download_timeout, record=self._record_hop)
        with opened as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DownloadFailed("larger than the 100 MB limit")
                chunks.append(chunk)
        return b"".join(chunks)

    def _record_hop(self, hop: Hop) -> None:
        with self._lock:
            self._download_hops.append(hop)

    # ---- callbacks -----------------------------------------------------------------------------------------------

    def deliver_callback(self, callback_url: str, fields: Mapping[str, Any], *, retry: bool) -> CallbackRecord:
        record = self._sender.deliver(callback_url, fields, retry=retry)
        with self._lock:
            self._callbacks.append(record)
        return record

    def send_callback(
        self,
        callback_url: str,
        fields: Mapping[str, Any],
        *,
        sign_body: bool = True,
        sign_header: bool = True,
        secret: str | None = None,
        alg: str = "HS256",
        header_payload_override: Mapping[str, Any] | None = None,
        body_override: bytes | str | Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """A hand-made callback (hostile-input tests). Returns (HTTP status, parsed JSON or text)."""
        return callbacks.send_raw(
            callback_url,
            fields,
            secret=secret if secret is not None else self._outbox_secret(),
            header_name=self.header,
            now=int(self.now()),
            sign_body=sign_body,
            sign_header=sign_header,
            alg=alg,
            header_payload_override=header_payload_override,
            body_override=body_override,
            extra_headers=extra_headers,
            timeout=self.callback_timeout,
        )

    def spawn(self, work: Callable[[], object]) -> None:
        """Run work after the command reply, as the server does; stop() joins it."""
        thread = threading.Thread(target=self._run_task, args=(work,), name="fake-ds-task", daemon=True)
        with self._lock:
            self._tasks = [task for task in self._tasks if task.is_alive()]
            self._tasks.append(thread)
        thread.start()

    def _run_task(self, work: Callable[[], object]) -> None:
        # A background failure must not vanish: tests can look at task_errors.
        try:
            work()
        except Exception as error:
            with self._lock:
                self.task_errors.append(error)

    def _snapshot_tasks(self) -> list[threading.Thread]:
        with self._lock:
            return list(self._tasks)

    def _outbox_secret(self) -> str | None:
        return self.secret if self.jwt_on else None

    # ---- storage used by sessions, commands and the converter ----------------------------------------------

    def random_suffix(self) -> str:
        return str(secrets.randbelow(9000) + 1000)

    def publish(
        self,
        folder: str,
        name: str,
        data: bytes,
        *,
        filename: str,
        base_url: str | None = None,
        shardkey: str | None = None,
        content_type: str = "application/octet-stream",
    ) -> str:
        blob = self.blobs.put(folder, name, data, content_type)
        return self.link(blob, filename, base_url=base_url, shardkey=shardkey)

    def link(self, blob: Blob, filename: str, *, base_url: str | None = None, shardkey: str | None = None) -> str:
        """A signed cache link. Without a shard key of its own, the link carries the last one this server signed:
        the real storage-base.js caches it per process, so links show another request's key."""
        with self._lock:
            if shardkey:
                self._last_shardkey = shardkey
            else:
                shardkey = self._last_shardkey
        base = base_url or self.public_url or self.url
        return self.blobs.link(base, blob, filename, now=int(self.now()), shardkey=shardkey)

    def remember_forgotten(self, key: str, data: bytes, file_type: str) -> None:
        with self._lock:
            self._forgotten[key] = Forgotten(data=data, file_type=file_type)
            # The session is cleaned up (the real server's task_result row too: info then answers error 1);
            # the next open of the key gets the forgotten file.
            self._sessions.pop(key, None)

    def forgotten(self, key: str) -> Forgotten | None:
        with self._lock:
            return self._forgotten.get(key)

    def forget(self, key: str) -> bool:
        with self._lock:
            return self._forgotten.pop(key, None) is not None

    def record_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def conversion(self, cache_key: str) -> Any:
        with self._lock:
            return self._conversions.get(cache_key)

    def store_conversion(self, cache_key: str, value: Any) -> None:
        with self._lock:
            if value is None:
                self._conversions.pop(cache_key, None)
            else:
                self._conversions[cache_key] = value

    def sessions_snapshot(self) -> dict[str, EditorSession]:
        with self._lock:
            return dict(self._sessions)


def _section(container: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = container.get(name)
    return dict(value) if isinstance(value, Mapping) else {}


def _file_type(document: Mapping[str, Any]) -> str:
    file_type = document.get("fileType")
    if isinstance(file_type, str) and file_type:
        return file_type.lower()
    title = str(document.get("title") or "")
    return title.rsplit(".", 1)[-1].lower() if "." in title else ""


def _require_signed_params(config: Mapping[str, Any], signed: Mapping[str, Any]) -> None:
    """tokenRequiredParams (7.1+): the token must carry what the plain config relies on."""
    document = _section(signed, "document")
    editor_config = _section(signed, "editorConfig")
    plain_document = _section(config, "document")
    plain_editor = _section(config, "editorConfig")
    missing = [name for name in ("key", "url") if name not in document]
    if "permissions" in plain_document and "permissions" not in document:
        missing.append("permissions")
    if "callbackUrl" in plain_editor and "callbackUrl" not in editor_config:
        missing.append("editorConfig.callbackUrl")
    if (plain_editor.get("mode") or "edit") != "view" and "mode" not in editor_config:
        missing.append("editorConfig.mode")
    if missing:
        raise TokenRejected(f"the config token lacks {', '.join(missing)}", close_code=4006)


def run_forcesave_command(session: EditorSession, userdata: str | None) -> None:
    """The command service's forcesave: status 6, type 0, in the name of the last editor still connected."""
    editors = session.editors
    if not editors:
        return
    editor = session.last_editor if session.last_editor in editors else editors[-1]
    session.forcesave(editor, FORCESAVE_COMMAND, userdata=userdata)
