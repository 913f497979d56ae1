"""Every HTTP request to the Document Server goes through this module.

It owns the timeouts, the JWT on every request, the rewrite of public DS links to the internal address,
the check that a URL handed to us really points at the DS, and one error type, ``DocServerError``, whose
``transient`` flag tells a task whether retrying can help and whose message an admin can act on.

Sessions: each call opens its own ``requests.Session`` and closes it. Celery's prefork workers fork after
importing this module, and a module-level session would hand the same pooled sockets to several children;
a session per call is always safe, and one extra TCP/TLS handshake is nothing next to a document save.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connector import ds_settings, jwt_codec
from connector.ds_settings import DocServerConfig

logger = logging.getLogger(__name__)

USER_AGENT = "onlyoffice-attachments-connector/1.0"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
# A synchronous conversion holds the request open until the file is converted.
CONVERT_READ_TIMEOUT = 120
CHUNK_SIZE = 1024 * 1024

COMMAND_ERRORS = {
    1: gettext_lazy("The document key is missing, or no document with that key is open in the Document Server."),
    2: gettext_lazy("The Document Server says the callback URL is not correct."),
    3: gettext_lazy("The Document Server had an internal error; try again later."),
    4: gettext_lazy("No changes since the last save: there was nothing to save."),
    5: gettext_lazy("The Document Server does not know this command, or a required field was missing."),
    6: gettext_lazy("The secret key does not match the Document Server's: the token was rejected."),
    7: gettext_lazy("The token expired: check that the clocks of this server and the Document Server agree."),
}
CONVERSION_ERRORS = {
    -1: gettext_lazy("The conversion failed for an unknown reason."),
    -2: gettext_lazy("The conversion timed out; try again, or try a smaller file."),
    -3: gettext_lazy("The conversion failed: the file may be damaged or not in the format its name says."),
    -4: gettext_lazy("The Document Server could not download the file: check that it can reach the connector URL."),
    -5: gettext_lazy("The file is protected by a password or DRM and cannot be converted."),
    -6: gettext_lazy("The Document Server's conversion database or queue failed; try again later."),
    -7: gettext_lazy("The conversion request was refused as invalid (document key, file type or output type)."),
    -8: gettext_lazy("The Document Server rejected the token: the secret key does not match, or the clocks disagree."),
    -9: gettext_lazy("The Document Server could not tell which format to convert to; name it explicitly."),
    -10: gettext_lazy("The file is larger than the Document Server's conversion limit."),
}
# DS errors that describe a passing condition: asking again later may succeed.
_TRANSIENT_CODES = {3, -2, -6}


class DocServerError(Exception):
    """A request to the Document Server failed. ``message`` is safe to show an admin (no secret, no token)."""

    def __init__(
        self, message: str, *, code: int | None = None, transient: bool = False, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.transient = transient
        # The HTTP status the DS answered, when that was the failure (403/404/410: an expired or gone link).
        self.http_status = http_status


class UnsafeUrl(DocServerError):
    """A URL that does not point at the configured Document Server; it is never fetched."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


class TooLarge(DocServerError):
    """The file is larger than the caller's limit; retrying cannot help."""


@dataclass(frozen=True)
class ConversionResult:
    file_url: str | None
    file_type: str | None
    percent: int
    end: bool


# --- URLs ------------------------------------------------------------------------------------------------


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL with the default port filled in; None for anything else."""
    if not url or "\\" in url or any(char.isspace() or ord(char) < 32 for char in url):
        # urlsplit silently drops some of these and requests parses others differently: refuse them all.
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def is_docserver_url(url: str, cfg: DocServerConfig) -> bool:
    """True when ``url`` is http(s) on exactly the public or internal DS origin, with no user info.

    Hosts are compared as strings: an IP written another way (2130706433, 0x7f.1) simply does not match.
    """
    target = _origin_key(url)
    if target is None:
        return False
    allowed = {_origin_key(base) for base in (cfg.public_url, cfg.internal_url) if base}
    return target in allowed


def to_internal(url: str, cfg: DocServerConfig) -> str:
    """The same link on the DS's internal address: the public base (origin and path prefix) is swapped."""
    public = urlsplit(cfg.public_url)
    parts = urlsplit(url)
    if not cfg.public_url or not cfg.internal_url or _origin_key(url) != _origin_key(cfg.public_url):
        return url
    prefix = public.path.rstrip("/")
    if prefix and not (parts.path == prefix or parts.path.startswith(prefix + "/")):
        return url
    rest = parts.path[len(prefix) :]
    query = f"?{parts.query}" if parts.query else ""
    return f"{cfg.internal_url}{rest}{query}"


# --- files -----------------------------------------------------------------------------------------------


@contextmanager
def open_file(url: str, *, max_size: int, cfg: DocServerConfig | None = None) -> Iterator[Iterable[bytes]]:
    """Stream a file the DS handed us (callback ``url``/``changesurl``), in chunks of at most 1 MiB.

    Refuses URLs off the DS (``UnsafeUrl``, nothing fetched) and never follows a redirect. Raises
    ``DocServerError`` for HTTP errors (transient for 5xx/429, connection problems and a body cut short)
    and when the file is larger than ``max_size`` bytes.
    """
    cfg = cfg or ds_settings.current()
    if not is_docserver_url(url, cfg):
        raise UnsafeUrl(_("Refused to download a file that is not on the configured Document Server."))
    with _get(to_internal(url, cfg), cfg=cfg) as response:
        _raise_for_status(response, what=_("downloading a file"))
        expected = _content_length(response)
        if expected is not None and expected > max_size:
            raise TooLarge(too_large_message(max_size))
        yield _chunks(response, max_size=max_size, expected=expected)


def _content_length(response: requests.Response) -> int | None:
    # With a Content-Encoding the length is of the encoded body, not of the bytes we count.
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _chunks(response: requests.Response, *, max_size: int, expected: int | None) -> Iterator[bytes]:
    received = 0
    try:
        for chunk in response.iter_content(CHUNK_SIZE):
            received += len(chunk)
            if received > max_size:
                raise TooLarge(too_large_message(max_size))
            yield chunk
    except requests.RequestException as exc:
        # urllib3 raises here when the body ends before its Content-Length, or the connection drops.
        raise DocServerError(
            _("The download from the Document Server was cut short; it will be retried."), transient=True
        ) from exc
    if expected is not None and received < expected:
        raise DocServerError(
            _("The download from the Document Server was cut short; it will be retried."), transient=True
        )


def too_large_message(max_size: int) -> str:
    """Why a file over the size limit was refused (also said of a converted file stored past it)."""
    return _("The file is larger than the limit of %(size)d bytes.") % {"size": max_size}


# --- services --------------------------------------------------------------------------------------------


def healthcheck(cfg: DocServerConfig | None = None) -> bool:
    """True when ``GET {internal}/healthcheck`` answers 200 with the body ``true``; False otherwise."""
    try:
        return health(cfg)
    except DocServerError as exc:
        logger.info("Document Server healthcheck failed: %s", exc.message)
        return False


def health(cfg: DocServerConfig | None = None) -> bool:
    """What ``GET {internal}/healthcheck`` says: True for ``true``, False for ``false``.

    Raises ``DocServerError`` when the DS cannot be asked (connection, TLS, timeout, HTTP error) or answers
    something else, which usually means the URL points at another server: the connection check says which.
    """
    cfg = cfg or ds_settings.current()
    if not cfg.internal_url:
        raise DocServerError(_("The Document Server URL is not configured."))
    with _get(f"{cfg.internal_url}/healthcheck", cfg=cfg) as response:
        _raise_for_status(response, what=_("checking its health"), url_name=_("internal URL"))
        # The real answer is 4 or 5 bytes; reading no more keeps a wrong URL from streaming us a whole page.
        body = _read_at_most(response, 64)
    if body == b"true":
        return True
    if body == b"false":
        return False
    raise DocServerError(_("The answer to /healthcheck is neither “true” nor “false”; is the URL right?"))


def api_js_url(cfg: DocServerConfig) -> str:
    """The editor's script on the public URL: what browsers load before they can open any document."""
    return f"{cfg.public_url}/web-apps/apps/api/documents/api.js"


def probe_api_js(cfg: DocServerConfig | None = None) -> None:
    """GET ``api.js`` from the public URL, as a browser would; raises ``DocServerError`` unless it answers 200.

    Only the status is read: the body is the browser's business.
    """
    cfg = cfg or ds_settings.current()
    if not cfg.public_url:
        raise DocServerError(_("The Document Server URL is not configured."))
    with _get(api_js_url(cfg), cfg=cfg, url_name=_("public URL")) as response:
        _raise_for_status(response, what=_("loading api.js"), url_name=_("public URL"))


def command(c: str, *, cfg: DocServerConfig | None = None, **fields: object) -> dict[str, object]:
    """Send a command-service request (``info``, ``forcesave``, ``drop``, ``meta``, ``version``, ...).

    Returns the DS's JSON reply; a non-zero ``error`` raises ``DocServerError(code=error)``.
    """
    cfg = cfg or ds_settings.current()
    url = _sharded(f"{cfg.internal_url}/command", fields.get("key"))
    what = _("handling the command “%(command)s”") % {"command": c}
    reply = _post_json(url, {"c": c, **fields}, cfg=cfg, read_timeout=READ_TIMEOUT, what=what)
    code = _error_code(reply)
    if code:
        message = COMMAND_ERRORS.get(code, gettext_lazy("The Document Server refused the command."))
        raise DocServerError(f"{message} (command error {code})", code=code, transient=code in _TRANSIENT_CODES)
    return reply


def convert(
    *,
    url: str,
    filetype: str,
    outputtype: str,
    key: str,
    title: str | None = None,
    async_: bool = False,
    thumbnail: dict[str, object] | None = None,
    cfg: DocServerConfig | None = None,
) -> ConversionResult:
    """Ask the DS conversion service to convert the file at ``url`` (which the DS downloads itself).

    ``thumbnail`` (``{aspect, first, width, height}``, image outputs only) asks for a picture of the first page.
    """
    cfg = cfg or ds_settings.current()
    body: dict[str, object] = {"async": async_, "filetype": filetype, "key": key, "outputtype": outputtype, "url": url}
    if title is not None:
        body["title"] = title
    if thumbnail is not None:
        body["thumbnail"] = thumbnail
    read_timeout = READ_TIMEOUT if async_ else CONVERT_READ_TIMEOUT
    url = _sharded(f"{cfg.internal_url}/converter", key)
    reply = _post_json(url, body, cfg=cfg, read_timeout=read_timeout, what=_("handling a conversion"))
    code = _error_code(reply)
    if code:
        message = CONVERSION_ERRORS.get(code, CONVERSION_ERRORS[-1])
        raise DocServerError(f"{message} (conversion error {code})", code=code, transient=code in _TRANSIENT_CODES)
    result = ConversionResult(
        file_url=_text_or_none(reply.get("fileUrl")),
        file_type=_text_or_none(reply.get("fileType")),
        percent=_as_int(reply.get("percent")),
        end=reply.get("endConvert") is True,
    )
    if result.end and not result.file_url:
        raise DocServerError(_("The Document Server finished the conversion but gave no file."))
    return result


def convert_and_wait(
    *,
    url: str,
    filetype: str,
    outputtype: str,
    key: str,
    title: str | None = None,
    cfg: DocServerConfig | None = None,
    poll_interval: float = 1.0,
    deadline: float = 120,
) -> ConversionResult:
    """Convert asynchronously, repeating the identical request (same key) until it ends or ``deadline`` s pass.

    Polling keeps each HTTP request short, so no proxy in between times out on a long conversion.
    """
    cfg = cfg or ds_settings.current()
    give_up_at = time.monotonic() + deadline
    while True:
        result = convert(url=url, filetype=filetype, outputtype=outputtype, key=key, title=title, async_=True, cfg=cfg)
        if result.end:
            return result
        if time.monotonic() >= give_up_at:
            raise DocServerError(
                _("The conversion did not finish within %(seconds)d seconds.") % {"seconds": deadline},
                transient=True,
            )
        time.sleep(poll_interval)


# --- plumbing --------------------------------------------------------------------------------------------


def _sharded(url: str, key: object) -> str:
    """A DS cluster routes by ``?shardkey=<document key>`` (protocol §5, §6); a single server ignores it."""
    if not isinstance(key, str) or not key:
        return url
    return f"{url}?{urlencode({'shardkey': key})}"


@contextmanager
def _get(url: str, *, cfg: DocServerConfig, url_name: str | None = None) -> Iterator[requests.Response]:
    """A streamed GET, closed on leaving; connection problems become ``DocServerError``."""
    with requests.Session() as session:
        try:
            response = session.get(
                url,
                headers={"User-Agent": USER_AGENT},
                stream=True,
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                verify=cfg.verify_tls,
            )
        except requests.RequestException as exc:
            raise _connection_error(exc, url_name=url_name) from exc
        with response:
            yield response


def _read_at_most(response: requests.Response, limit: int) -> bytes:
    data = b""
    try:
        for chunk in response.iter_content(limit):
            data += chunk
            if len(data) >= limit:
                break
    except requests.RequestException as exc:
        raise _connection_error(exc) from exc
    return data[:limit]


def _post_json(
    url: str, body: dict[str, object], *, cfg: DocServerConfig, read_timeout: float, what: str
) -> dict[str, object]:
    """POST ``body`` (signed when a secret is set) and return the JSON reply; ``what`` names the request in errors."""
    if not cfg.configured:
        raise DocServerError(_("The Document Server URL is not configured."))
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if cfg.jwt_enabled:
        body, headers[cfg.jwt_header] = jwt_codec.request_token_pair(body, cfg.jwt_secret)
    try:
        with requests.Session() as session:
            response = session.post(
                url,
                json=body,
                headers=headers,
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT, read_timeout),
                verify=cfg.verify_tls,
            )
    except requests.RequestException as exc:
        raise _connection_error(exc) from exc
    _raise_for_status(response, what=what, url_name=_("internal URL"))
    try:
        reply = response.json()
    except ValueError as exc:
        raise DocServerError(_("The Document Server's reply is not JSON; is the URL right?")) from exc
    if not isinstance(reply, dict):
        raise DocServerError(_("The Document Server's reply is not a JSON object; is the URL right?"))
    return reply


def _error_code(reply: dict[str, object]) -> int:
    error = reply.get("error") or 0
    # What int() takes of parsed JSON; anything else (a list, an object) is as malformed as a word.
    if not isinstance(error, str | int | float):
        return -1
    try:
        return int(error)
    except (TypeError, ValueError):
        return -1


def _as_int(value: object) -> int:
    if not isinstance(value, str | int | float):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _text_or_none(value: object) -> str | None:
    """A non-empty string of the DS's reply, else None (a missing, empty or malformed value alike)."""
    return value if isinstance(value, str) and value else None


def _connection_error(exc: requests.RequestException, *, url_name: str | None = None) -> DocServerError:
    if isinstance(exc, requests.exceptions.SSLError):
        return DocServerError(
            _("The Document Server's TLS certificate was not accepted; check it, or turn off TLS verification."),
            transient=False,
        )
    if isinstance(exc, requests.Timeout):
        return DocServerError(_("The Document Server did not answer in time."), transient=True)
    if isinstance(exc, requests.ConnectionError):
        return DocServerError(
            _("Cannot connect to the Document Server; check its %(url_name)s and that it is running.")
            % {"url_name": url_name or _("internal URL")},
            transient=True,
        )
    return DocServerError(_("The request to the Document Server failed (%(kind)s).") % {"kind": type(exc).__name__})


def _raise_for_status(response: requests.Response, *, what: str, url_name: str = "") -> None:
    """Raise ``DocServerError`` unless the answer is 200; ``what`` is our request ("while downloading a file").

    ``url_name`` names the address of a service endpoint (healthcheck, command, converter, api.js): a 404 there
    means the address is not the Document Server's, which the message then asks about. A file's link is not
    given one: its 404 means the link is gone (connector/forgotten.py).
    """
    status = response.status_code
    if status == 200:
        return
    if 300 <= status < 400:
        raise DocServerError(
            _("The Document Server answered with a redirect (HTTP %(status)d) while %(what)s; it was not followed.")
            % {"status": status, "what": what}
        )
    transient = status >= 500 or status == 429
    message = _("The Document Server answered HTTP %(status)d while %(what)s.") % {"status": status, "what": what}
    if status == 404 and url_name:
        hint = _("Is the %(url_name)s right?") % {"url_name": url_name}
        message = f"{message} {hint}"
    raise DocServerError(
        message,
        transient=transient,
        http_status=status,
    )
