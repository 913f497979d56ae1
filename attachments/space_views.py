"""The pages that administer a space: its settings (name and description), its deletion, and the member search
the members page asks as someone types. Space admins and staff only; the rules are the services'
(``space_rename``, ``space_delete``) and the selectors', shared with the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from attachments import actions, selectors, services
from attachments.errors import SpaceBeingEdited, SpaceNameMismatch
from attachments.forms import SpaceDeleteForm, SpaceForm
from attachments.models import Role, Space
from attachments.permissions import can_admin, can_download, can_edit, checked_for_page
from attachments.users import AuthenticatedHttpRequest


def _admin_space(request: HttpRequest, space_id: int) -> tuple[Space, Role]:
    # Not a member: 404, so a space's existence is never revealed; a member who is not its admin: 403.
    return checked_for_page(selectors.space_with_role(request.user, space_id), can_admin)


def _context(space: Space, role: Role) -> dict[str, object]:
    return {
        "space": space,
        "role": role,
        "can_edit": can_edit(role),
        "can_admin": True,
        "can_download": can_download(role),
    }


@login_required
def space_settings(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, role = _admin_space(request, space_id)
    form = SpaceForm(request.POST or None, initial={"name": space.name, "description": space.description})
    if request.method == "POST" and form.is_valid():
        old_name = space.name
        services.space_rename(space=space, name=form.cleaned_data["name"], description=form.cleaned_data["description"])
        if space.name != old_name:
            message = _("The space “%(old)s” is now called “%(new)s”.") % {"old": old_name, "new": space.name}
        else:
            message = _("The settings of “%(name)s” were saved.") % {"name": space.name}
        messages.success(request, message)
        return redirect("space_detail", space_id=space.id)
    # Other apps' sections (attachments.actions.register_space_settings), each with its own form.
    sections = actions.space_settings_sections(request, space, role)
    context = {**_context(space, role), "form": form, "sections": sections}
    return render(request, "attachments/space_settings.html", context, status=400 if form.errors else 200)


@login_required
def space_delete(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, role = _admin_space(request, space_id)
    form = SpaceDeleteForm(request.POST or None, space_name=space.name)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            files = services.space_delete(space=space, confirmation=form.cleaned_data["confirm"])
        except SpaceNameMismatch as exc:
            form.add_error("confirm", exc.message)
        except SpaceBeingEdited as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(
                request,
                ngettext(
                    "The space “%(name)s” was deleted with its file.",
                    "The space “%(name)s” was deleted with its %(count)d files.",
                    files,
                )
                % {"name": space.name, "count": files},
            )
            return redirect("home")
    if form.errors and status == 200:
        status = 400
    context = {
        **_context(space, role),
        "form": form,
        "contents": selectors.space_contents(space),
        "being_edited": selectors.files_being_edited(space),
    }
    return render(request, "attachments/space_delete.html", context, status=status)


@login_required
@require_safe
def member_search(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    """People a space admin may add, for the members page's suggestions (static/js/member-search.js).

    Each comes as name and username, never an e-mail address (selectors.member_candidates says why).
    """
    space, _role = _admin_space(request, space_id)
    query = request.GET.get("q", "").strip()[:254]
    if len(query) < selectors.MEMBER_SEARCH_MIN_LENGTH:
        message = ngettext(
            "Type at least %(count)d character.",
            "Type at least %(count)d characters.",
            selectors.MEMBER_SEARCH_MIN_LENGTH,
        ) % {"count": selectors.MEMBER_SEARCH_MIN_LENGTH}
        return JsonResponse({"error": message}, status=400)
    users = selectors.member_candidates(space, query)
    results = [{"username": user.get_username(), "name": user.get_full_name()} for user in users]
    if results:
        message = ngettext("%(count)d person found.", "%(count)d people found.", len(results)) % {"count": len(results)}
    else:
        message = _("Nobody found who is not a member yet.")
    return JsonResponse({"results": results, "message": message})
