"""A file's "Save a version now" and "End editing session" (connector/sessions.py), posted from its menu.

Permissions follow the attachment pages: not a member → 404, a member without the role → 403. Each goes back to
the page the menu was on.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attachments.models import Attachment
from attachments.permissions import can_admin, can_edit
from attachments.users import AuthenticatedHttpRequest, User
from connector import access, sessions


def back_to_page(request: HttpRequest, attachment: Attachment) -> str:
    """``next`` when it is a path on this site (the page the menu was on), else the attachment page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("attachment_detail", args=[attachment.pk])


class SessionCommand(Protocol):
    """``sessions.forcesave_request`` or ``sessions.session_drop``."""

    def __call__(self, *, attachment: Attachment, user: User) -> None: ...


def _session_command(
    request: AuthenticatedHttpRequest,
    attachment_id: int,
    *,
    needs: access.RoleCheck,
    command: SessionCommand,
    done: str,
) -> HttpResponse:
    """Send one command for the file's editing session, say how it went, and go back to the page."""
    attachment, _role = access.file_for_page(request.user, attachment_id, needs)
    try:
        command(attachment=attachment, user=request.user)
    except sessions.SessionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"title": attachment.title})
    return redirect(back_to_page(request, attachment))


@login_required
@require_POST
def forcesave(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    return _session_command(
        request,
        attachment_id,
        needs=can_edit,
        command=sessions.forcesave_request,
        done=_("The Document Server is storing “%(title)s” now; the new version appears in the history in a moment."),
    )


@login_required
@require_POST
def drop(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    return _session_command(
        request,
        attachment_id,
        needs=can_admin,
        command=sessions.session_drop,
        done=_("The editing session of “%(title)s” was ended; changes made so far are stored as a new version."),
    )
