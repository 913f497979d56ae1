"""The Retry of a failed save (``services.save_request_retry``), posted from the file's menu.

Members without the editor role get 403, everyone else outside the space 404, as on the attachment pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attachments.permissions import can_edit
from attachments.users import AuthenticatedHttpRequest
from connector import access, services
from connector.models import SaveRequest
from connector.views.sessions import back_to_page


@login_required
@require_POST
def save_retry(request: AuthenticatedHttpRequest, save_request_id: int) -> HttpResponse:
    save_request = get_object_or_404(SaveRequest, pk=save_request_id)
    attachment, _role = access.file_for_page(request.user, save_request.attachment_id, can_edit)
    try:
        services.save_request_retry(save_request=save_request)
    except services.RetryImpossible:
        messages.error(
            request,
            _("These edits cannot be stored again: the Document Server discarded them before they could be fetched."),
        )
        return redirect(back_to_page(request, attachment))
    except services.RetryRefused:
        messages.info(request, _("This save is already being stored, or was stored; nothing to retry."))
        return redirect(back_to_page(request, attachment))
    try:
        services.save_request_enqueue(save_request.pk)
    except services.EnqueueFailed:
        services.save_request_retry_undo(save_request=save_request, error=_("The task queue did not take the retry."))
        messages.error(request, _("The retry could not be queued; try again in a moment."))
    else:
        messages.success(
            request,
            _("Storing the edits to “%(title)s” again; the new version appears in the history once it is saved.")
            % {"title": attachment.title},
        )
    return redirect(back_to_page(request, attachment))
