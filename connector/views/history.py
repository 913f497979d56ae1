"""JSON endpoints the editor page calls for version history (static/connector/history.js).

Permissions follow the editor page: anonymous → 401, not a member → 404, viewers may read the history,
only editors may restore (403). Every answer is JSON, errors included, because a script reads them.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from attachments.errors import AttachmentRuleError
from attachments.models import Attachment, Role
from attachments.permissions import can_edit, can_view
from attachments.selectors import version_get
from attachments.services import version_restore
from attachments.users import AuthenticatedHttpRequest
from connector import access, ds_settings, history
from connector.history import HistoryError

MAX_BODY = 1024
_RESTORE_FORBIDDEN = gettext_lazy("Restoring a version needs the editor role in the space.")


def _configured() -> None:
    if not ds_settings.current().configured:
        raise HistoryError(_("ONLYOFFICE is not set up."), 503)


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
@access.for_file(can_view)
def history_list(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    """``refreshHistory``'s argument: every version of the file, oldest first."""
    _configured()
    return JsonResponse(history.history_payload(attachment))


@require_GET
@access.for_file(can_view)
def history_data(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    """``setHistoryData``'s argument for ``?version=N``: signed links to it, its changes and the one before."""
    _configured()
    number = _number(request.GET.get("version"))
    data = history.history_data(attachment, number, request.user, request, cfg=ds_settings.current())
    return JsonResponse(data)


@require_POST
@access.for_file(can_edit, forbidden=_RESTORE_FORBIDDEN)
def restore(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    """Store ``{"version": N}`` again as the newest version and answer the new history."""
    _configured()
    number = _number(access.json_body(request, max_size=MAX_BODY).get("version"))
    version = version_get(attachment, number)
    if version is None:
        raise HistoryError(_("This file has no version %(number)s.") % {"number": number}, 404)
    if number == attachment.current_version:
        raise HistoryError(_("Version %(number)s is already the current version.") % {"number": number})
    if history.version_file_type(version, attachment) != attachment.file_type:
        # Its bytes would be stored under the file's present type and could not be opened.
        raise HistoryError(_("Version %(number)s has another file type and cannot be restored.") % {"number": number})
    try:
        version_restore(version=version, restored_by=request.user)
    except AttachmentRuleError as exc:  # a desktop app holds the file (attachments.editing)
        raise HistoryError(exc.message, 409) from exc
    attachment.refresh_from_db()
    return JsonResponse(history.history_payload(attachment))
