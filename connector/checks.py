"""The connection check: does every path between browsers, this app and the Document Server work?

The steps follow the routine of the official connectors (protocol notes §7). Each one proves one link of the
chain and, when it fails, says what is wrong and what to look at. A step that needs an earlier one (no
conversion without a matching secret, say) is reported skipped rather than failing with a confusing reason.
A step with nothing to judge by (the mixed-content step without this app's address) is reported skipped too,
but does not count as a failure. Used by the settings page ("Save and check", "Check only") and
``manage.py onlyoffice check``.

Messages are shown to admins: they name URLs but never the secret, a token or a signed link.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments import ooxml
from connector import docserver, ds_settings, links
from connector.ds_settings import DocServerConfig, url_origin

logger = logging.getLogger(__name__)

LINK_PURPOSE = "check"
# Long enough for the DS's 3 download attempts and a slow conversion queue, short enough to be useless later.
CHECK_FILE_TTL = 10 * 60
# The converted check file is a blank docx of a few kB; anything much larger is not our file.
MAX_RESULT_SIZE = 10 * 1024 * 1024

STEPS = ("mixed_content", "healthcheck", "secret", "reach_connector", "reach_docserver", "api_js")
# Which earlier step each one needs; the mixed-content step is about browsers, so nothing server-side waits on it.
_NEEDS = {"secret": "healthcheck", "reach_connector": "secret", "reach_docserver": "reach_connector"}


@dataclass(frozen=True)
class CheckResult:
    step: str  # stable id, one of STEPS
    title: str  # short human title, translated
    ok: bool
    message: str  # on failure: what is wrong and what to check; on success: what was proven
    # Not run: because a step it needs failed (then ok is False), or because there was nothing to judge it by
    # (then ok is True: nothing is known to be wrong).
    skipped: bool = False


class NotChecked(Exception):
    """Raised by a step that has nothing to judge by; its message says what would let it run."""


def passed(results: Sequence[CheckResult]) -> bool:
    """Whether the settings checked may be stored without the admin saying "save anyway": no step failed."""
    return all(result.ok for result in results)


def titles() -> dict[str, str]:
    """The translated title of each step, in order (a function: the language is the caller's)."""
    return {
        "mixed_content": _("Browsers can embed the editor (no mixed content)"),
        "healthcheck": _("Document Server is healthy"),
        "secret": _("The secret key matches the Document Server's"),
        "reach_connector": _("Document Server can reach this application"),
        "reach_docserver": _("This application can reach the Document Server"),
        "api_js": _("The editor script loads from the public URL"),
    }


def short_secret_warning(cfg: DocServerConfig) -> str | None:
    """The warning about a secret short enough to guess, or None when there is none or it is long enough.

    The words are the settings page's (templates/connector/settings.html), so there is one text to translate.
    PyJWT would repeat a warning of its own on every token (connector/jwt_codec.py silences it); this one is
    said once: by ``onlyoffice check`` and by each worker when it starts.
    """
    if not cfg.jwt_enabled or len(cfg.jwt_secret) >= ds_settings.MIN_SECRET_LENGTH:
        return None
    return _("The JWT secret is short: use a long random secret (32 characters or more) on both sides.")


def short_secret_log(**_kwargs: object) -> None:
    """``worker_ready`` receiver (connector/apps.py): log the short-secret warning once, when a worker starts."""
    try:
        warning = short_secret_warning(ds_settings.current())
    except Exception:
        # A worker that cannot read its settings yet (database still starting) must start all the same.
        logger.exception("could not read the ONLYOFFICE settings to check the JWT secret")
        return
    if warning:
        logger.warning("%s", warning)


def check_file_bytes() -> bytes:
    """The file the DS downloads and converts in the conversion step: a blank, valid docx."""
    return ooxml.blank("docx")


def check_file_url(base: str, cfg: DocServerConfig | None = None) -> str:
    """A signed link to the check file on ``base`` (this app as the DS reaches it).

    The DS's JWT on its download is verified with ``cfg``'s secret and header (see ``check_file_config``).
    """
    nonce = secrets.token_hex(8)
    if cfg is not None:
        _remember_checked_auth(nonce, cfg)
    token = links.make_token(LINK_PURPOSE, n=nonce)
    return f"{base.rstrip('/')}{reverse('onlyoffice-check-file')}?{urlencode({'token': token})}"


def _checked_auth_key(nonce: str) -> str:
    return f"connector:check-file-auth:{nonce}"


def _remember_checked_auth(nonce: str, cfg: DocServerConfig) -> None:
    # The settings under check may not be stored ("Check only"), yet the DS signs its download of the check file
    # with the secret being checked: keep that secret and header, in the cache every process shares (which
    # holds the stored settings row too), for as long as the link lives.
    try:
        cache.set(_checked_auth_key(nonce), {"secret": cfg.jwt_secret, "header": cfg.jwt_header}, CHECK_FILE_TTL)
    except Exception:
        logger.warning("connection check: cannot cache the secret under check; the stored one applies", exc_info=True)


def check_file_config(claims: dict[str, object], stored: DocServerConfig) -> DocServerConfig:
    """The settings the check file's download is verified with: those under check, else the ``stored`` ones."""
    nonce = claims.get("n")
    try:
        auth = cache.get(_checked_auth_key(nonce)) if isinstance(nonce, str) else None
    except Exception:
        logger.warning("connection check: cannot read the secret under check; the stored one applies", exc_info=True)
        auth = None
    if not isinstance(auth, dict):
        return stored
    return dataclasses.replace(stored, jwt_secret=auth["secret"], jwt_header=auth["header"])


def run_checks(cfg: DocServerConfig, *, app_url: str | None) -> list[CheckResult]:
    """Run every step against ``cfg``; ``app_url`` is this app's address as browsers see it (None if unknown).

    Makes real requests to the DS, and the DS makes one back to this app, so it takes a few seconds and must
    run where this app can answer concurrently (any threaded or multi-worker server).
    """
    if not cfg.configured:
        return _not_configured()
    run = _Run(cfg=cfg, app_url=app_url)
    step_functions: dict[str, Callable[[], tuple[bool, str]]] = {
        "mixed_content": run.mixed_content,
        "healthcheck": run.healthcheck,
        "secret": run.secret,
        "reach_connector": run.reach_connector,
        "reach_docserver": run.reach_docserver,
        "api_js": run.api_js,
    }
    names = titles()
    results: dict[str, CheckResult] = {}
    for step in STEPS:
        needed = _NEEDS.get(step)
        if needed is not None and not results[needed].ok:
            results[step] = CheckResult(
                step, names[step], ok=False, skipped=True, message=_skipped_message(names[needed])
            )
            continue
        try:
            ok, message = step_functions[step]()
        except NotChecked as exc:
            results[step] = CheckResult(step, names[step], ok=True, skipped=True, message=str(exc))
            continue
        results[step] = CheckResult(step, names[step], ok=ok, message=message)
    return [results[step] for step in STEPS]


def _not_configured() -> list[CheckResult]:
    names = titles()
    first = CheckResult(
        "mixed_content",
        names["mixed_content"],
        ok=False,
        message=_("The Document Server URL is not set: set its public URL (ONLYOFFICE_URL), then check again."),
    )
    rest = [
        CheckResult(
            step, names[step], ok=False, skipped=True, message=_("Not run: the Document Server URL is not set.")
        )
        for step in STEPS[1:]
    ]
    return [first, *rest]


def _skipped_message(failed_title: str) -> str:
    return _("Not run: it needs the step “%(step)s”, which failed.") % {"step": failed_title}


class _Run:
    """One run of the steps; the conversion step leaves its result link for the download step."""

    def __init__(self, *, cfg: DocServerConfig, app_url: str | None) -> None:
        self.cfg = cfg
        self.app_url = app_url or ""
        self.result_url = ""

    def mixed_content(self) -> tuple[bool, str]:
        cfg = self.cfg
        # The connector URL is only a hint of the browser-facing scheme: a proxy may serve https in front of it.
        seen_from = self.app_url or cfg.connector_url
        if not seen_from:
            raise NotChecked(
                _(
                    "The address users open this application at is unknown, so it cannot be compared with the "
                    "Document Server's public URL: give it with --app-url, or set the connector URL."
                )
            )
        app_scheme = urlsplit(seen_from).scheme.lower()
        ds_scheme = urlsplit(cfg.public_url).scheme.lower()
        addresses = {"app": url_origin(seen_from), "ds": url_origin(cfg.public_url)}
        if app_scheme == "https" and ds_scheme == "http":
            return False, _(
                "Browsers will refuse to open the editor: this application's pages are served over HTTPS "
                "(%(app)s) but the Document Server's public URL is plain HTTP (%(ds)s), and an HTTPS page may not "
                "embed HTTP content (mixed content). Serve the Document Server over HTTPS and enter its https:// "
                "address as the public URL."
            ) % addresses
        if self.app_url:
            return True, _(
                "Browsers may show the editor from %(ds)s in this application's pages (%(app)s): they refuse only "
                "plain HTTP content inside HTTPS pages."
            ) % addresses
        return True, _(
            "Judged from the connector URL (%(app)s), as the address users open is unknown: browsers may show the "
            "editor from %(ds)s. If users open this application over HTTPS, check again with --app-url https://…, "
            "since an HTTP public URL would then be refused."
        ) % addresses

    def healthcheck(self) -> tuple[bool, str]:
        url = f"{self.cfg.internal_url}/healthcheck"
        try:
            healthy = docserver.health(self.cfg)
        except docserver.DocServerError as exc:
            return False, _("GET %(url)s failed: %(reason)s") % {"url": url, "reason": exc.message}
        if not healthy:
            return False, _(
                "The Document Server at %(url)s says it is not healthy: check its database, Redis and RabbitMQ "
                "(its logs say which one), then check again."
            ) % {"url": self.cfg.internal_url}
        return True, _("%(url)s answered “true”.") % {"url": url}

    def secret(self) -> tuple[bool, str]:
        try:
            reply = docserver.command("version", cfg=self.cfg)
        except docserver.DocServerError as exc:
            return False, self._secret_failure(exc)
        version = str(reply.get("version") or _("unknown"))
        if not self.cfg.jwt_enabled:
            return True, _(
                "The Document Server (version %(version)s) accepts requests without a token. Set a secret on both "
                "sides: without one, anyone who can reach it can use it and write to this application."
            ) % {"version": version}
        return True, _("The Document Server (version %(version)s) accepted a request signed with the secret.") % {
            "version": version
        }

    def _secret_failure(self, exc: docserver.DocServerError) -> str:
        if exc.code in (6, 7) and not self.cfg.jwt_enabled:
            return _(
                "The Document Server requires a token, but no secret key is set here: set the secret to the "
                "Document Server's JWT_SECRET."
            )
        if exc.code == 6:
            return _(
                "The secret key does not match the Document Server's: set it to the Document Server's JWT_SECRET, "
                "and check that the JWT header (%(header)s) is the one it expects (JWT_HEADER)."
            ) % {"header": self.cfg.jwt_header}
        return _("The version command failed: %(reason)s") % {"reason": exc.message}

    def reach_connector(self) -> tuple[bool, str]:
        # The DS reaches us as the editor's links say: the connector URL, else the address browsers use.
        base = self.cfg.connector_url or self.app_url.rstrip("/")
        if not base:
            return False, _(
                "Set the connector URL (ONLYOFFICE_CONNECTOR_URL) so the Document Server can reach this application."
            )
        try:
            result = docserver.convert(
                url=check_file_url(base, self.cfg),
                filetype="docx",
                outputtype="docx",
                key=f"check_{secrets.token_hex(10)}",
                title="check.docx",
                cfg=self.cfg,
            )
        except docserver.DocServerError as exc:
            return False, self._conversion_failure(exc, base)
        if not result.file_url:
            return False, _("The Document Server has not finished converting the test file; check again.")
        self.result_url = result.file_url
        return True, _("The Document Server downloaded a test file from %(base)s and converted it.") % {"base": base}

    def _conversion_failure(self, exc: docserver.DocServerError, base: str) -> str:
        if exc.code == -4:
            return _(
                "The Document Server could not download from %(base)s: check the connector URL, any firewall or "
                "proxy between them, that %(path)s is let through without a login, and that the Document Server's "
                "token is accepted (same secret and JWT header)."
            ) % {"base": base, "path": reverse("onlyoffice-check-file")}
        return _("The conversion of a test file served by %(base)s failed: %(reason)s") % {
            "base": base,
            "reason": exc.message,
        }

    def reach_docserver(self) -> tuple[bool, str]:
        # The DS builds the result link on the address it was asked on; open_file checks and rewrites it.
        try:
            with docserver.open_file(self.result_url, max_size=MAX_RESULT_SIZE, cfg=self.cfg) as chunks:
                size = sum(len(chunk) for chunk in chunks)
        except docserver.UnsafeUrl:
            return False, _(
                "The Document Server links its files on %(origin)s, which is neither its public nor its internal "
                "URL: set the internal URL to the address this server uses for it."
            ) % {"origin": url_origin(self.result_url)}
        except docserver.DocServerError as exc:
            return False, _("Downloading the converted file from %(url)s failed: %(reason)s") % {
                "url": self.cfg.internal_url,
                "reason": exc.message,
            }
        if size == 0:
            return False, _("The converted file from %(url)s is empty.") % {"url": self.cfg.internal_url}
        return True, _("Downloaded the converted file (%(size)d bytes) from %(url)s.") % {
            "size": size,
            "url": self.cfg.internal_url,
        }

    def api_js(self) -> tuple[bool, str]:
        url = docserver.api_js_url(self.cfg)
        try:
            docserver.probe_api_js(self.cfg)
        except docserver.DocServerError as exc:
            return False, _(
                "This server could not load %(url)s: %(reason)s Browsers load the editor from this address, so it "
                "must answer them; if only this server cannot reach it, check it in a browser instead."
            ) % {"url": url, "reason": exc.message}
        return True, _("%(url)s answered from this server.") % {"url": url}
