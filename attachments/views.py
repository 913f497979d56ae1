"""The attachment store's pages. Each view checks the role, validates its input, calls one service, renders.

The permission matrix lives in attachments.permissions; ``_space_for`` and ``_attachment_for`` apply it:
not a member → 404 (a space's existence is never revealed), member without the needed role → 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypedDict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from attachments import actions, selectors, services
from attachments.downloads import version_response
from attachments.errors import AttachmentRuleError
from attachments.filenames import clean_title
from attachments.forms import MemberAddForm, MemberRoleForm, RenameForm, SpaceForm
from attachments.listing import ListRow, list_rows
from attachments.models import Attachment, Membership, Role, Space
from attachments.permissions import (
    DOWNLOAD_REFUSED,
    can_admin,
    can_download,
    can_edit,
    can_view,
    checked_for_page,
    viewers_may_download,
    visible_spaces,
)
from attachments.storage import FileTooLarge
from attachments.thumbnails import ready_thumbnail_urls, thumbnail_response
from attachments.uploads import upload_too_large, upload_too_large_message
from attachments.users import AuthenticatedHttpRequest

PAGE_SIZE = 50
# The live list asks for one page of rows at most (PAGE_SIZE), with room to spare.
MAX_LIVE_ROWS = 100
RoleCheck = Callable[[Role | None], bool]


def _space_for(request: HttpRequest, space_id: int, needs: RoleCheck = can_view) -> tuple[Space, Role]:
    return checked_for_page(selectors.space_with_role(request.user, space_id), needs)


def _attachment_for(request: HttpRequest, attachment_id: int, needs: RoleCheck = can_view) -> tuple[Attachment, Role]:
    return checked_for_page(selectors.attachment_with_role(request.user, attachment_id), needs)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _upload_failed(request: HttpRequest, message: str, status: int, back: str) -> HttpResponse:
    """JSON for the upload script; a flash message and a redirect for a plain form, which works without it."""
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect(back)


def _uploaded_files(request: HttpRequest) -> tuple[list[UploadedFile[bytes]], str | None, int]:
    """The request's files, or an error message and status. Must run before anything else reads the body."""
    if upload_too_large(request):
        return [], upload_too_large_message(), 413
    files = request.FILES.getlist("file")
    if not files:
        return [], _("Choose a file to upload."), 400
    return files, None, 200


def _actions_context(role: Role) -> dict[str, object]:
    return {
        "role": role,
        "role_label": Role(role).label,
        "can_edit": can_edit(role),
        "can_admin": can_admin(role),
        # The pages offer no download that the download view would refuse.
        "can_download": can_download(role),
        "max_upload_size": settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
    }


@login_required
@require_safe
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    my_role = Membership.objects.filter(space=OuterRef("pk"), user=request.user).values("role")[:1]
    spaces = (
        visible_spaces(request.user)
        .annotate(
            attachment_count=Count(
                "attachments",
                filter=Q(attachments__current_version__gte=1, attachments__deleted_at__isnull=True),
                distinct=True,
            ),
            my_role=Subquery(my_role),
        )
        .order_by(Lower("name"), "id")
    )  # by name whatever its case, as the files of a space are listed
    return render(request, "attachments/home.html", {"spaces": spaces, "roles": dict(Role.choices)})


@login_required
def space_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SpaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        space = services.space_create(
            name=form.cleaned_data["name"], description=form.cleaned_data["description"], created_by=request.user
        )
        messages.success(request, _("The space “%(name)s” was created.") % {"name": space.name})
        return redirect("space_detail", space_id=space.id)
    return render(request, "attachments/space_form.html", {"form": form})


@login_required
@require_safe
def space_detail(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, role = _space_for(request, space_id)
    query = request.GET.get("q", "").strip()[:200]
    attachments = selectors.attachments_in_space(space)
    if query:
        attachments = attachments.filter(title__icontains=query)
    page = Paginator(attachments, PAGE_SIZE).get_page(request.GET.get("page"))
    attachments_shown = list(page.object_list)
    context = {
        "space": space,
        "page": page,
        "rows": list_rows(attachments_shown, actions.row_extras(request, attachments_shown, role), role),
        "query": query,
        "space_actions": actions.space_actions(request, space, role),
        "space_notices": actions.space_notices(request, space, role),
        **_actions_context(role),
    }
    return render(request, "attachments/space_detail.html", context)


@login_required
@require_safe
def space_rows(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    """The current state of some rows of the space page, for its live list (static/js/live.js)."""
    space, role = _space_for(request, space_id)
    ids, error = _row_ids(request.GET.get("ids", ""))
    if error:
        return JsonResponse({"error": error}, status=400)
    # Ids of other spaces, deleted files or files still being written are left out, never an error.
    attachments_shown = list(selectors.attachments_in_space(space).filter(pk__in=ids).order_by("pk"))
    rows = list_rows(attachments_shown, actions.row_extras(request, attachments_shown, role), role)
    return JsonResponse({"rows": [_row_state(request, row) for row in rows]})


def _row_ids(raw: str) -> tuple[list[int], str]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        return [], _("Give the attachment ids as ids=1,2,3.")
    if not all(part.isascii() and part.isdigit() and len(part) <= 18 for part in parts):
        return [], _("The ids must be whole numbers separated by commas.")
    ids = list(dict.fromkeys(int(part) for part in parts))
    if len(ids) > MAX_LIVE_ROWS:
        return [], _("Ask for at most %(count)d rows at a time.") % {"count": MAX_LIVE_ROWS}
    return ids, ""


class RowState(TypedDict):
    """A row of the live list, as static/js/live.js reads it."""

    id: int
    current_version: int
    size_display: str
    updated_at: str
    updated_display: str
    updated_by: str
    statuses_html: str


def _row_state(request: HttpRequest, row: ListRow) -> RowState:
    statuses = row.extras.statuses
    return {
        "id": row.attachment.pk,
        "current_version": row.attachment.current_version,
        "size_display": row.size_display,
        "updated_at": row.updated_iso,
        "updated_display": row.updated_display,
        "updated_by": row.updated_by,
        "statuses_html": render_to_string("attachments/_row_statuses.html", {"statuses": statuses}, request=request),
    }


@login_required
@require_POST
def attachment_upload(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, _role = _space_for(request, space_id, can_edit)
    back = reverse("space_detail", args=[space.id])
    files, error, status = _uploaded_files(request)
    if error:
        return _upload_failed(request, error, status, back)
    if _wants_json(request) and len(files) > 1:
        return _upload_failed(request, _("Upload one file per request."), 400, back)
    created = []
    try:
        for uploaded in files:
            attachment = services.attachment_create(
                space=space,
                title=uploaded.name or "",
                chunks=uploaded.chunks(),
                created_by=request.user,
                max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
            )
            created.append(attachment)
    except FileTooLarge:
        return _upload_failed(request, upload_too_large_message(), 413, back)
    # A name the space already had was given a number by the service: say which, so nobody looks for it.
    renamed = [
        _("“%(title)s” was uploaded as “%(new)s”: the space already has a file of that name.")
        % {"title": clean_title(uploaded.name or ""), "new": attachment.title}
        for uploaded, attachment in zip(files, created, strict=True)
        if attachment.title != clean_title(uploaded.name or "")
    ]
    if _wants_json(request):
        first = created[0]
        answer = {"id": first.id, "title": first.title, "version": first.current_version}
        return JsonResponse({**answer, "message": renamed[0]} if renamed else answer, status=201)
    if len(created) > 1 or not renamed:
        messages.success(
            request,
            ngettext("“%(title)s” was uploaded.", "%(count)d files were uploaded.", len(created))
            % {"title": created[0].title, "count": len(created)},
        )
    for message in renamed:
        messages.success(request, message)
    return redirect(back)


@login_required
@require_safe
def attachment_detail(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, role = _attachment_for(request, attachment_id)
    extras = actions.row_extras(request, [attachment], role)[attachment.pk]
    context = {
        "attachment": attachment,
        "thumbnail_url": ready_thumbnail_urls([attachment]).get(attachment.pk, ""),
        "space": attachment.space,
        "versions": selectors.versions_of(attachment),
        "panels": actions.file_panels(request, attachment, role, extras),
        "extras": extras,
        "space_notices": actions.space_notices(request, attachment.space, role),
        "rename_form": RenameForm(initial={"title": attachment.title}),
        **_actions_context(role),
    }
    response = render(request, "attachments/attachment_detail.html", context)
    # A panel may show something once (a new share link's address): Back must not bring it from the cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def version_upload(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, _role = _attachment_for(request, attachment_id, can_edit)
    back = reverse("attachment_detail", args=[attachment.id])
    files, error, status = _uploaded_files(request)
    if error:
        return _upload_failed(request, error, status, back)
    if len(files) > 1:
        return _upload_failed(request, _("Upload one file per request."), 400, back)
    uploaded = files[0]
    try:
        version = services.version_upload(
            attachment=attachment,
            uploaded_name=uploaded.name or "",
            chunks=uploaded.chunks(),
            created_by=request.user,
            comment=request.POST.get("comment", "").strip(),
            max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
        )
    except AttachmentRuleError as exc:
        return _upload_failed(request, exc.message, 400, back)
    except FileTooLarge:
        return _upload_failed(request, upload_too_large_message(), 413, back)
    if _wants_json(request):
        return JsonResponse({"id": attachment.id, "title": attachment.title, "version": version.number}, status=201)
    messages.success(request, _("Version %(number)d was uploaded.") % {"number": version.number})
    return redirect(back)


@login_required
@require_POST
def version_restore(request: AuthenticatedHttpRequest, attachment_id: int, number: int) -> HttpResponse:
    attachment, _role = _attachment_for(request, attachment_id, can_edit)
    old = selectors.version_get(attachment, number)
    if old is None:
        raise Http404
    old.attachment = attachment
    try:
        new = services.version_restore(version=old, restored_by=request.user)
    except AttachmentRuleError as exc:
        messages.error(request, exc.message)
        return redirect("attachment_detail", attachment_id=attachment.id)
    messages.success(
        request, _("Version %(old)d was restored as version %(new)d.") % {"old": old.number, "new": new.number}
    )
    return redirect("attachment_detail", attachment_id=attachment.id)


@login_required
@require_safe
def attachment_download(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponseBase:
    attachment, role = _attachment_for(request, attachment_id)
    if not can_download(role):
        raise PermissionDenied(DOWNLOAD_REFUSED)
    raw = request.GET.get("version")
    if raw is not None and not re.fullmatch(r"[1-9][0-9]{0,8}", raw):
        raise Http404
    version = selectors.version_get(attachment, int(raw) if raw else None)
    if version is None:
        raise Http404
    return version_response(request, attachment=attachment, version=version)


@login_required
@require_safe
def attachment_thumbnail(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponseBase:
    """The current version's first-page PNG (``?version=N``: that version's), for members; 404 while there is none."""
    attachment, _role = _attachment_for(request, attachment_id)
    raw = request.GET.get("version")
    if raw is not None and not re.fullmatch(r"[1-9][0-9]{0,8}", raw):
        raise Http404
    version = selectors.version_get(attachment, int(raw) if raw else None)
    response = None if version is None else thumbnail_response(request, version=version, versioned=raw is not None)
    if response is None:
        raise Http404
    return response


@login_required
def attachment_rename(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, role = _attachment_for(request, attachment_id, can_edit)
    form = RenameForm(request.POST or None, initial={"title": attachment.title})
    if request.method == "POST" and form.is_valid():
        old_title, wanted = attachment.title, form.cleaned_data["title"]
        try:
            services.attachment_rename(attachment=attachment, title=wanted, renamed_by=request.user)
        except AttachmentRuleError as exc:
            form.add_error("title", exc.message)
        else:
            # The service numbers a name another file has; wanted and stored differ by more than case then.
            if attachment.title.lower() != wanted.lower():
                message = _("“%(old)s” was renamed to “%(new)s”: the space already has a file named “%(wanted)s”.")
            else:
                message = _("“%(old)s” was renamed to “%(new)s”.")
            messages.success(request, message % {"old": old_title, "new": attachment.title, "wanted": wanted})
            return redirect("attachment_detail", attachment_id=attachment.id)
    context = {"attachment": attachment, "space": attachment.space, "form": form, **_actions_context(role)}
    return render(request, "attachments/attachment_rename.html", context)


@login_required
def space_members(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, role = _space_for(request, space_id, can_admin)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["user"]
        new_role = Role(form.cleaned_data["role"])
        try:
            services.membership_set(space=space, user=user, role=new_role)
        except services.InactiveUser as exc:
            form.add_error("username", str(exc))
        except services.LastAdmin as exc:
            form.add_error("role", str(exc))
        else:
            messages.success(
                request,
                _("%(user)s is now a member with the role %(role)s.")
                % {"user": user.get_username(), "role": new_role.label},
            )
            return redirect("space_members", space_id=space.id)
    memberships = Membership.objects.filter(space=space).select_related("user").order_by("user__username")
    context = {
        "space": space,
        "memberships": memberships,
        "form": form,
        "roles": Role.choices,
        # What the viewer role means here depends on the download policy: the page says which.
        "viewers_download": viewers_may_download(),
        "member_search_min_length": selectors.MEMBER_SEARCH_MIN_LENGTH,
        **_actions_context(role),
    }
    return render(request, "attachments/space_members.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def space_member_role(request: AuthenticatedHttpRequest, space_id: int, user_id: int) -> HttpResponse:
    space, _role = _space_for(request, space_id, can_admin)
    membership = get_object_or_404(Membership.objects.select_related("user"), space=space, user_id=user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        new_role = Role(form.cleaned_data["role"])
        try:
            services.membership_set(space=space, user=membership.user, role=new_role)
        except services.LastAdmin as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(user)s now has the role %(role)s.")
                % {"user": membership.user.get_username(), "role": new_role.label},
            )
    return redirect("space_members", space_id=space.id)


@login_required
@require_POST
def space_member_remove(request: AuthenticatedHttpRequest, space_id: int, user_id: int) -> HttpResponse:
    space, _role = _space_for(request, space_id, can_admin)
    membership = get_object_or_404(Membership.objects.select_related("user"), space=space, user_id=user_id)
    try:
        services.membership_remove(space=space, user=membership.user)
    except services.LastAdmin as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(user)s was removed from the space.") % {"user": membership.user.get_username()})
    return redirect("space_members", space_id=space.id)
