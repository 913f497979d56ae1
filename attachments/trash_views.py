"""The trash's pages: a file's "Move to trash", the space's trash, and a trashed file's Restore and Delete for good.

The rules are attachments.trash's and attachments.permissions' (the API applies the same ones): not a member → 404,
a member whose role may not → 403. An editor sees and restores only what they moved there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from attachments import selectors, trash
from attachments.errors import BeingEdited, NotInTrash
from attachments.models import Attachment, Role
from attachments.permissions import (
    can_edit,
    can_purge,
    can_restore,
    can_see_trash,
    checked_for_page,
    sees_whole_trash,
)
from attachments.users import AuthenticatedHttpRequest

PAGE_SIZE = 50


def _trashed_for(
    request: HttpRequest, attachment_id: int, needs: Callable[[Role | None], bool] = can_see_trash
) -> tuple[Attachment, Role]:
    found = selectors.attachment_with_role(request.user, attachment_id, related=("space", "deleted_by"), in_trash=True)
    return checked_for_page(found, needs)


@login_required
def attachment_trash(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    """GET: what moving the file to the trash means (or who is editing it); POST: move it there."""
    attachment, _role = checked_for_page(selectors.attachment_with_role(request.user, attachment_id), can_edit)
    if request.method == "POST":
        try:
            trash.attachment_trash(attachment=attachment, deleted_by=request.user)
        except BeingEdited as exc:
            refusal = exc.message
        else:
            messages.success(request, _("“%(title)s” was moved to the trash.") % {"title": attachment.title})
            return redirect("space_detail", space_id=attachment.space_id)
    else:
        # Said before anyone clicks: the button would be refused for the same reason.
        refusal = trash.being_edited_message(attachment)
    context = {
        "attachment": attachment,
        "space": attachment.space,
        "refusal": refusal,
        "trash_days": settings.ATTACHMENTS_TRASH_DAYS,
    }
    return render(
        request,
        "attachments/attachment_delete.html",
        context,
        status=409 if refusal and request.method == "POST" else 200,
    )


@dataclass(frozen=True)
class TrashRow:
    attachment: Attachment
    purge_at: datetime
    may_restore: bool


@login_required
@require_safe
def space_trash(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, role = checked_for_page(selectors.space_with_role(request.user, space_id), can_see_trash)
    page = Paginator(trash.trash_of(space, user=request.user, role=role), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        TrashRow(
            attachment=item,
            purge_at=trash.purge_due(item),
            may_restore=can_restore(role, user=request.user, deleted_by_id=item.deleted_by_id),
        )
        for item in page.object_list
    ]
    context = {
        "space": space,
        "page": page,
        "rows": rows,
        "sees_all": sees_whole_trash(role),
        "can_purge": can_purge(role),
        "trash_days": settings.ATTACHMENTS_TRASH_DAYS,
    }
    return render(request, "attachments/trash.html", context)


@login_required
@require_POST
def trash_restore(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, role = _trashed_for(request, attachment_id)
    if not can_restore(role, user=request.user, deleted_by_id=attachment.deleted_by_id):
        raise PermissionDenied(_("Only the space's admins can restore files that others deleted."))
    wanted = attachment.title
    try:
        trash.attachment_restore(attachment=attachment)
    except NotInTrash as exc:
        messages.error(request, exc.message)
    else:
        if attachment.title != wanted:
            message = _("“%(title)s” was restored as “%(new)s”: the space already has a file of that name.")
        else:
            message = _("“%(title)s” was restored.")
        messages.success(request, message % {"title": wanted, "new": attachment.title})
    return redirect("space_trash", space_id=attachment.space_id)


@login_required
def trash_purge(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    """GET: confirm; POST: delete the trashed file for good (space admins)."""
    attachment, _role = _trashed_for(request, attachment_id, can_purge)
    if request.method == "POST":
        try:
            trash.attachment_purge(attachment=attachment)
        except NotInTrash as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(title)s” was deleted for good.") % {"title": attachment.title})
        return redirect("space_trash", space_id=attachment.space_id)
    return render(request, "attachments/trash_purge.html", {"attachment": attachment, "space": attachment.space})
