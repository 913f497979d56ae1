"""HTTP endpoints of the connector: the editor page (browsers), the download and callback (the DS).

The download and callback endpoints carry no session: they authenticate by the signed link token and,
when a secret is set, the Document Server's JWT. They must stay reachable around an SSO proxy.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import json_script
from django.views.decorators.csrf import csrf_exempt

from attachments.downloads import never_rendered, version_response
from attachments.models import Attachment, Version
from attachments.permissions import can_download, can_view, role_in_space
from attachments.selectors import version_get
from config.csp import CSPSources, csp_widen
from connector import access, callbacks, checks, config, editor, events, formats, history, jwt_codec, links, services
from connector.tasks import EnqueueFailed, enqueue_save

logger = logging.getLogger(__name__)

# Scripts that answer editor events, loaded after editor.js (static/connector/editor.js explains the contract).
EDITOR_SCRIPTS: list[str] = ["connector/presence.js", "connector/history.js", "connector/events.js"]


def _json_error(message: str, status: int, *, error: int = 1) -> JsonResponse:
    return JsonResponse({"error": error, "message": message}, status=status)


def _always_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The DS parses every answer as JSON: never let an HTML error page reach it."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DatabaseError:
            logger.exception("%s: database error", view.__name__)
            # A 5xx makes the DS retry statuses 2 and 3 (1 s, 2 s, 4 s).
            return _json_error("the request could not be completed; try again", 503)
        except Exception:
            logger.exception("%s failed unexpectedly", view.__name__)
            return _json_error("internal error", 500)

    return wrapper


@login_required
def editor_page(request: HttpRequest, attachment_id: int) -> HttpResponse:
    # One query reads the file, its space, the role, a save in flight, the live key and the user's editor id.
    attachment, role = access.file_for_page(
        request.user, attachment_id, annotations=editor.page_annotations(request.user), related=("space",)
    )
    cfg = config.current()
    # What the error states offer besides the reason: the way back to the file, and its download when allowed.
    context: dict[str, Any] = {
        "attachment": attachment,
        "space": attachment.space,
        "can_download": can_download(role),
        "purpose": "edit",
    }
    if not cfg.configured:
        return render(request, "connector/unavailable.html", {**context, "reason": "not_configured"}, status=503)
    if not formats.can_view(attachment.file_type):
        return render(request, "connector/unavailable.html", {**context, "reason": "format"}, status=415)
    if attachment.final_save_in_flight:
        return render(request, "connector/saving.html", context, status=202)
    best = editor.decide_mode(attachment=attachment, role=role, cfg=cfg, wants_view=False)
    decision = editor.decide_mode(
        attachment=attachment, role=role, cfg=cfg, wants_view=request.GET.get("mode") == "view"
    )
    doc_config = editor.build_config(
        request,
        attachment=attachment,
        user=request.user,
        role=role,
        mode=decision.mode,
        cfg=cfg,
        action_link=events.action_link_from_query(request.GET.get("action")),
    )
    response = render(
        request,
        "connector/editor.html",
        {
            **context,
            "config_json": json_script(doc_config, "onlyoffice-config"),
            "api_url": f"{cfg.public_url}/web-apps/apps/api/documents/api.js",
            "ds_url": cfg.public_url,
            "decision": decision,
            "editor_scripts": EDITOR_SCRIPTS,
            "save_as": events.can_save_copy(request.user, role),
            # Offered in view mode when this user could edit: the editor then shows an "Edit" button.
            "edit_url": request.path if decision.mode == "view" and best.mode == "edit" else "",
        },
    )
    csp_widen(response, _editor_csp(cfg.public_origin()))
    response["Cache-Control"] = "no-store"
    return response


def _editor_csp(ds_origin: str) -> CSPSources:
    """What the editor page adds to the site's policy (settings.CONTENT_SECURITY_POLICY): the DS's public origin."""
    return {
        "script-src": ["'self'", ds_origin],
        # api.js 9.3 sets an empty onmousewheel attribute on the editor's iframe: allow exactly the empty
        # inline handler (the sha256 of ""), so any handler with code in it is still blocked and reported.
        "script-src-attr": ["'unsafe-hashes'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
        "frame-src": [ds_origin],
        "connect-src": ["'self'", ds_origin],
        "img-src": ["'self'", "data:", "blob:", ds_origin],
    }


@csrf_exempt
@_always_json
def download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """The DS fetches ``document.url`` here: a signed link, plus its own JWT when a secret is set."""
    if request.method not in {"GET", "HEAD"}:
        return _json_error("method not allowed", 405)
    cfg = config.current()
    try:
        claims = links.read_token(request.GET.get("token"), "download", max_age=cfg.download_token_ttl)
        if claims.get("a") != attachment_id:
            raise links.BadLink("the link is for another file")
        if cfg.jwt_enabled and not _ds_token_matches(request, cfg):
            raise links.BadLink(_NOT_SIGNED_FOR_THIS_LINK)
    except links.BadLink as exc:
        return _ds_fetch_refused(f"download of attachment {attachment_id}", str(exc))
    # A file in the trash opens in no editor (its last session's save still reaches it through the callback).
    attachment = Attachment.objects.select_related("space").filter(pk=attachment_id, deleted_at__isnull=True).first()
    user = _link_user(claims.get("u"))
    if attachment is None or user is None or not can_view(role_in_space(user, attachment.space)):
        return _json_error("no such file", 404)
    version = version_get(attachment, claims.get("v"))
    if version is None:
        return _json_error("no such version", 404)
    return version_response(request, attachment=attachment, version=version)


# The DS's JWT signs the link itself, so a missing or foreign one is refused like a bad link.
_NOT_SIGNED_FOR_THIS_LINK = "the Document Server token is missing or does not match this link"


def _ds_fetch_refused(what: str, reason: str) -> JsonResponse:
    """Refuse a DS fetch (403) and say why in the log: Django's own line names only the path.

    ``reason`` is one of our fixed sentences (``links.BadLink``); no token, JWT or secret ever goes into it.
    """
    logger.warning("DS %s refused: %s", what, reason)
    return _json_error(reason, 403)


def _link_user(user_id: object) -> AbstractBaseUser | None:
    if not isinstance(user_id, int):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def _ds_token_matches(request: HttpRequest, cfg: config.DocServerConfig) -> bool:
    """The DS signs ``{"payload": {"url": <the exact url>}}``; it must be this very link.

    Path and token are compared, not the host: the DS may reach us under an internal name.
    """
    token = jwt_codec.bearer(request.headers.get(cfg.jwt_header))
    if token is None:
        return False
    try:
        claims = jwt_codec.decode(token, cfg.jwt_secret)
    except jwt_codec.InvalidToken:
        return False
    # Only the DS's own shape, {"payload": {...}}: the tokens we hand the browser (setHistoryData's is a JWT over
    # {"url": ...}) must not double as the DS's, or a viewer could download what the editor only shows them.
    payload = claims.get("payload")
    signed_url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(signed_url, str):
        return False
    parts = urlsplit(signed_url)
    return parts.path == request.path and parse_qs(parts.query).get("token") == [request.GET.get("token")]


@csrf_exempt
@_always_json
def callback(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """The DS reports editing state and saves here. Always answers JSON; ``{"error":0}`` means recorded."""
    if request.method != "POST":
        return _json_error("only POST is accepted", 405)
    if request.content_type != "application/json":
        return _json_error("the callback must be application/json", 415)
    cfg = config.current()
    try:
        claims = links.read_token(request.GET.get("token"), "callback", max_age=cfg.callback_token_ttl)
        if claims.get("a") != attachment_id:
            raise callbacks.CallbackRejected("the link is for another file", 403)
        body = callbacks.parse_body(_read_limited(request))
        fields = callbacks.verified_fields(body, request.headers.get(cfg.jwt_header), cfg.jwt_secret)
        parsed = callbacks.callback_from_fields(fields)
        # Rejects a missing file (404) or a key it never issued (403) with the same read that locks the file.
        services.callback_record(attachment_id=attachment_id, callback=parsed, enqueue=enqueue_save)
    except links.BadLink as exc:
        return _json_error(str(exc), 403)
    except callbacks.CallbackRejected as exc:
        logger.warning("callback for attachment %s rejected: %s", attachment_id, exc.message)
        return _json_error(exc.message, exc.http_status)
    except EnqueueFailed:
        # Recorded, but not yet queued: a non-zero answer makes the DS resend, and the resend enqueues it.
        return _json_error("the save was recorded but could not be queued; try again", 503)
    return JsonResponse({"error": 0})


def _read_limited(request: HttpRequest) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > callbacks.MAX_BODY:
        raise callbacks.CallbackRejected("the callback body is larger than 1 MB", 413)
    return request.read(callbacks.MAX_BODY + 1)


@csrf_exempt
@_always_json
def check_file(request: HttpRequest) -> HttpResponse:
    """The blank docx the DS downloads during the connection check (connector/checks.py), like ``download``."""
    if request.method not in {"GET", "HEAD"}:
        return _json_error("method not allowed", 405)
    try:
        claims = links.read_token(request.GET.get("token"), checks.LINK_PURPOSE, max_age=checks.CHECK_FILE_TTL)
        # The secret under check, which "Check only" has not stored.
        cfg = checks.check_file_config(claims)
        if cfg.jwt_enabled and not _ds_token_matches(request, cfg):
            raise links.BadLink(_NOT_SIGNED_FOR_THIS_LINK)
    except links.BadLink as exc:
        return _ds_fetch_refused("download of the check file", str(exc))
    response = HttpResponse(
        checks.check_file_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Cache-Control"] = "no-store"
    return never_rendered(response, filename="check.docx")


@csrf_exempt
@_always_json
def changes(request: HttpRequest, version_id: int) -> HttpResponse:
    """The changes zip the editor left with a version (``setHistoryData.changesUrl``), checked like ``download``."""
    if request.method not in {"GET", "HEAD"}:
        return _json_error("method not allowed", 405)
    cfg = config.current()
    try:
        claims = links.read_token(request.GET.get("token"), history.CHANGES_PURPOSE, max_age=cfg.download_token_ttl)
        if claims.get("n") != version_id:
            raise links.BadLink("the link is for another version")
        if cfg.jwt_enabled and not _ds_token_matches(request, cfg):
            raise links.BadLink(_NOT_SIGNED_FOR_THIS_LINK)
    except links.BadLink as exc:
        return _ds_fetch_refused(f"changes download of version {version_id}", str(exc))
    version = (
        Version.objects.select_related("attachment__space", "edit_info")
        .filter(pk=version_id, attachment__deleted_at__isnull=True)
        .first()
    )
    user = _link_user(claims.get("u"))
    if version is None or user is None or not can_view(role_in_space(user, version.attachment.space)):
        return _json_error("no such file", 404)
    info = getattr(version, "edit_info", None)
    if info is None or not info.changes_file:
        return _json_error("this version has no changes file", 404)
    response = FileResponse(default_storage.open(info.changes_file.name, "rb"), content_type="application/zip")
    response["Cache-Control"] = "private, no-cache"
    return never_rendered(response, filename="changes.zip")
