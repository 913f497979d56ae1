"""The pages that manage share links: make one (from the file page's section, sharing.display), revoke one, and a
space's live links for its admins.

Who may: a file's links are made and listed by the space's editors and admins; a link is revoked by its creator or
a space admin; not a member → 404, a member whose role may not → 403 (attachments.permissions, as the API). A link's
secret is never in a URL or a log: it reaches the file page through the session (sharing.display).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from attachments import selectors as store
from attachments.permissions import can_admin, can_edit, can_view, checked_for_page, role_in_space
from attachments.users import AuthenticatedHttpRequest
from sharing import display, selectors, services
from sharing.forms import ShareLinkForm

PAGE_SIZE = 50


@sensitive_variables("secret")
@sensitive_post_parameters("password")
@login_required
def share_link_create(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    """GET: the form on a page of its own; POST: make the link, then show it once on the file's page (or the form
    again, with why it was refused)."""
    attachment, _role = checked_for_page(store.attachment_with_role(request.user, attachment_id), can_edit)
    may_share = selectors.may_share(request.user, attachment)
    form = ShareLinkForm(request.POST or None, attachment=attachment)
    if request.method == "POST":
        if not may_share:
            raise PermissionDenied
        if form.is_valid():
            try:
                link, secret = services.link_create(
                    attachment=attachment,
                    access=form.cleaned_data["access"],
                    expires_at=form.expires_at(),
                    password=form.cleaned_data["password"],
                    created_by=request.user,
                )
            except services.ShareRefused as exc:
                form.add_error(None, exc.message)
            else:
                display.new_link_remember(request, link=link, secret=secret)
                return redirect(reverse("attachment_detail", args=[attachment.pk]) + "#share-links")
    context = {"attachment": attachment, "space": attachment.space, "form": form, "may_share": may_share}
    return render(request, "sharing/manage_create.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def share_link_revoke(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    """Revoke a link (its creator, or a space admin), then back to the page it was revoked from."""
    link = selectors.link_with_space(link_id)
    role = role_in_space(request.user, link.attachment.space) if link is not None else None
    if link is None or not can_view(role):
        raise Http404
    if not selectors.may_revoke(request.user, link, role):
        raise PermissionDenied
    # Twice (a double click, a second tab) is no error: the link is revoked either way.
    services.link_revoke(link=link, revoked_by=request.user)
    messages.success(
        request, _("The link was revoked: it no longer opens “%(title)s”.") % {"title": link.attachment.title}
    )
    return redirect(_back(request, reverse("attachment_detail", args=[link.attachment_id]) + "#share-links"))


@login_required
@require_safe
def space_share_links(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    """Every live link of the space, newest first (space admins)."""
    space, _role = checked_for_page(store.space_with_role(request.user, space_id), can_admin)
    page = Paginator(selectors.space_live_links(space), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"space": space, "page": page, "back": request.get_full_path()}
    return render(request, "sharing/manage_space_links.html", context)


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next", "")
    safe = wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else default
