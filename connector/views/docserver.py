"""What the Document Server calls: the file download, the callback, the connection check's file, a version's changes.

None carries a session: the gate (``access.from_docserver``) checks the signed link token and, when a secret is set,
the Document Server's JWT, and answers every refusal as JSON. These paths must stay reachable around an SSO proxy.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from attachments.downloads import never_rendered, version_redirect, version_response
from attachments.models import Attachment, Version
from attachments.permissions import can_view, role_on_file
from attachments.selectors import version_get
from attachments.users import User
from connector import callbacks, checks, history, services
from connector.access import DocServerLink, from_docserver, json_error

logger = logging.getLogger(__name__)


@from_docserver("download", what="download of attachment {attachment_id}", max_age=lambda cfg: cfg.download_token_ttl)
def download(request: HttpRequest, link: DocServerLink, attachment_id: int) -> HttpResponseBase:
    """The DS fetches ``document.url`` here (and the versions of the history, and conversions' sources)."""
    # A file in the trash opens in no editor (its last session's save still reaches it through the callback).
    attachment = Attachment.objects.select_related("space").filter(pk=attachment_id, deleted_at__isnull=True).first()
    user = _link_user(link.claims.get("u"))
    if attachment is None or user is None or not can_view(role_on_file(user, attachment)):
        return json_error("no such file", 404)
    number = link.claims.get("v")  # the link's version; none: the current one
    version = version_get(attachment, number if isinstance(number, int) else None)
    if version is None:
        return json_error("no such version", 404)
    if settings.ONLYOFFICE_DOWNLOAD_REDIRECT == "presigned":
        # The DS follows it and drops its Authorization header on the way to another host (docs/deploy.md).
        expires_in = settings.ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS
        return version_redirect(request, attachment=attachment, version=version, expires_in=expires_in)
    return version_response(request, attachment=attachment, version=version)


@from_docserver(
    "callback",
    what="callback for attachment {attachment_id}",
    max_age=lambda cfg: cfg.callback_token_ttl,
    posts_json=True,
)
def callback(request: HttpRequest, link: DocServerLink, attachment_id: int) -> HttpResponse:
    """The DS reports editing state and saves here. Always answers JSON; ``{"error":0}`` means recorded."""
    cfg = link.cfg
    try:
        body = callbacks.parse_body(_read_limited(request))
        fields = callbacks.verified_fields(body, request.headers.get(cfg.jwt_header), cfg.jwt_secret)
        parsed = callbacks.callback_from_fields(fields)
        # Rejects a missing file (404) or a key it never issued (403) with the same read that locks the file.
        services.callback_record(attachment_id=attachment_id, callback=parsed)
    except callbacks.CallbackRejected as exc:
        logger.warning("callback for attachment %s rejected: %s", attachment_id, exc.message)
        return json_error(exc.message, exc.http_status)
    except services.EnqueueFailed:
        # Recorded, but not yet queued: a non-zero answer makes the DS resend, and the resend enqueues it.
        return json_error("the save was recorded but could not be queued; try again", 503)
    return JsonResponse({"error": 0})


@from_docserver(
    checks.LINK_PURPOSE,
    what="download of the check file",
    max_age=lambda cfg: checks.CHECK_FILE_TTL,
    # The secret under check, which "Check only" has not stored.
    link_settings=checks.check_file_config,
)
def check_file(request: HttpRequest, link: DocServerLink) -> HttpResponse:
    """The blank docx the DS downloads during the connection check (connector/checks.py)."""
    response = HttpResponse(
        checks.check_file_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Cache-Control"] = "no-store"
    return never_rendered(response, filename="check.docx")


@from_docserver(
    history.CHANGES_PURPOSE,
    what="changes download of version {version_id}",
    max_age=lambda cfg: cfg.download_token_ttl,
)
def changes(request: HttpRequest, link: DocServerLink, version_id: int) -> HttpResponseBase:
    """The changes zip the editor left with a version (``setHistoryData.changesUrl``)."""
    version = (
        Version.objects.select_related("attachment__space", "edit_info")
        .filter(pk=version_id, attachment__deleted_at__isnull=True)
        .first()
    )
    user = _link_user(link.claims.get("u"))
    if version is None or user is None or not can_view(role_on_file(user, version.attachment)):
        return json_error("no such file", 404)
    info = getattr(version, "edit_info", None)
    if info is None or not info.changes_file:
        return json_error("this version has no changes file", 404)
    response = FileResponse(default_storage.open(info.changes_file.name, "rb"), content_type="application/zip")
    response["Cache-Control"] = "private, no-cache"
    return never_rendered(response, filename="changes.zip")


def _link_user(user_id: object) -> User | None:
    if not isinstance(user_id, int):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def _read_limited(request: HttpRequest) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > callbacks.MAX_BODY:
        raise callbacks.CallbackRejected("the callback body is larger than 1 MB", 413)
    return request.read(callbacks.MAX_BODY + 1)
