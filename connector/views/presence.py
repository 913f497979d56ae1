"""Who else is editing, for the editor page's presence bar (static/connector/presence.js)."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from attachments.models import Attachment, Role
from attachments.permissions import can_view
from attachments.users import AuthenticatedHttpRequest
from connector import access, selectors
from connector.models import EditorIdentity, SaveRequest


@require_safe
@access.for_file(can_view)
def presence(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    """``{editors: [names], saving, version}`` for anyone who may view the file; never the user themself."""
    own_uid = EditorIdentity.objects.filter(user=request.user).values_list("uid", flat=True).first()
    # Excluded by uid, not name: two people may share a name, and the user may have other tabs open.
    uids = [uid for uid in selectors.editor_uids([attachment.pk]).get(attachment.pk, []) if uid != own_uid]
    names = selectors.editor_names({attachment.pk: uids}).get(attachment.pk, [])
    saving = SaveRequest.objects.filter(
        attachment=attachment, state__in=[SaveRequest.State.PENDING, SaveRequest.State.SAVING]
    ).exists()
    response = JsonResponse({"editors": names, "saving": saving, "version": attachment.current_version})
    response["Cache-Control"] = "no-store"
    return response
