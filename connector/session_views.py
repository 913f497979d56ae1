"""Pages for people (not the DS): a new blank document, "Save a version now" and "End editing session".

Permissions follow the attachment pages: not a member → 404, a member without the role → 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from attachments.models import Attachment
from attachments.permissions import can_admin, can_edit
from connector import access, config, newdocs, sessions


def _back(request: HttpRequest, attachment: Attachment) -> str:
    """``next`` when it is a path on this site (the page the menu was on), else the attachment page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("attachment_detail", args=[attachment.pk])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_document(request: HttpRequest, space_id: int) -> HttpResponse:
    space, _role = access.space_for_page(request.user, space_id, can_edit)
    context: dict[str, object] = {"space": space, "configured": config.current().configured}
    if not context["configured"]:
        return render(request, "connector/new_document.html", context, status=503)
    form = newdocs.NewDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attachment = newdocs.blank_document_create(
            space=space, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"], created_by=request.user
        )
        return redirect("onlyoffice-editor", attachment_id=attachment.pk)
    defaults = {kind: newdocs.default_name(kind) for kind, _label in newdocs.KIND_CHOICES}
    context.update(form=form, defaults=defaults)
    return render(request, "connector/new_document.html", context, status=400 if form.errors else 200)


SessionCommand = Callable[..., None]


def _session_command(
    request: HttpRequest, attachment_id: int, *, needs: access.RoleCheck, command: SessionCommand, done: str
) -> HttpResponse:
    """Send one command for the file's editing session, say how it went, and go back to the page."""
    attachment, _role = access.file_for_page(request.user, attachment_id, needs)
    try:
        command(attachment=attachment, user=request.user)
    except sessions.SessionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"title": attachment.title})
    return redirect(_back(request, attachment))


@login_required
@require_POST
def forcesave(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return _session_command(
        request,
        attachment_id,
        needs=can_edit,
        command=sessions.forcesave_request,
        done=_("The Document Server is storing “%(title)s” now; the new version appears in the history in a moment."),
    )


@login_required
@require_POST
def drop(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return _session_command(
        request,
        attachment_id,
        needs=can_admin,
        command=sessions.session_drop,
        done=_("The editing session of “%(title)s” was ended; changes made so far are stored as a new version."),
    )
