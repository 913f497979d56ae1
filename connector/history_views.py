"""JSON endpoints the editor page calls for version history (static/connector/history.js).

Permissions follow the editor page: anonymous → 401, not a member → 404, viewers may read the history,
only editors may restore (403). Every answer is JSON, errors included, because a script reads them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments.models import Attachment, Role
from attachments.permissions import can_edit, can_view
from attachments.selectors import attachment_with_role, version_get
from attachments.services import version_restore
from connector import config, history
from connector.history import HistoryError

RoleCheck = Callable[[Role | None], bool]
MAX_BODY = 1024


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": 1, "message": message}, status=status)


def _attachment_for(request: HttpRequest, attachment_id: int, needs: RoleCheck) -> Attachment:
    if not request.user.is_authenticated:
        raise HistoryError(_("Sign in to see the history of this file."), 401)
    found = attachment_with_role(request.user, attachment_id)
    if found is None:
        raise HistoryError(_("No such file."), 404)
    attachment, role = found
    if not needs(role):
        raise HistoryError(_("Restoring a version needs the editor role in the space."), 403)
    if not config.current().configured:
        raise HistoryError(_("ONLYOFFICE is not set up."), 503)
    return attachment


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, attachment_id: int) -> HttpResponse:
        try:
            return view(request, attachment_id)
        except HistoryError as exc:
            return _error(exc.message, exc.status)

    return wrapper


def _number(value: object) -> int:
    # bool is an int in Python; "true" is not a version number.
    if isinstance(value, bool):
        raise HistoryError(_("Give the version as a whole number."))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 1:
        raise HistoryError(_("Give the version as a whole number."))
    return value


@require_GET
@_json_errors
def history_list(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """``refreshHistory``'s argument: every version of the file, oldest first."""
    attachment = _attachment_for(request, attachment_id, can_view)
    return JsonResponse(history.history_payload(attachment))


@require_GET
@_json_errors
def history_data(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """``setHistoryData``'s argument for ``?version=N``: signed links to it, its changes and the one before."""
    attachment = _attachment_for(request, attachment_id, can_view)
    number = _number(request.GET.get("version"))
    data = history.history_data(attachment, number, request.user, request, cfg=config.current())
    return JsonResponse(data)


@require_POST
@_json_errors
def restore(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Store ``{"version": N}`` again as the newest version and answer the new history."""
    attachment = _attachment_for(request, attachment_id, can_edit)
    number = _number(_body(request).get("version"))
    version = version_get(attachment, number)
    if version is None:
        raise HistoryError(_("This file has no version %(number)s.") % {"number": number}, 404)
    if number == attachment.current_version:
        raise HistoryError(_("Version %(number)s is already the current version.") % {"number": number})
    if history.version_file_type(version, attachment) != attachment.file_type:
        # Its bytes would be stored under the file's present type and could not be opened.
        raise HistoryError(_("Version %(number)s has another file type and cannot be restored.") % {"number": number})
    version_restore(version=version, restored_by=request.user)
    attachment.refresh_from_db()
    return JsonResponse(history.history_payload(attachment))


def _body(request: HttpRequest) -> dict[str, object]:
    if request.content_type != "application/json":
        raise HistoryError(_("Send the version as JSON."), 415)
    raw = request.body
    if len(raw) > MAX_BODY:
        raise HistoryError(_("The request is too large."), 413)
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise HistoryError(_("Send the version as JSON.")) from exc
    if not isinstance(body, dict):
        raise HistoryError(_("Send the version as JSON."))
    return body
