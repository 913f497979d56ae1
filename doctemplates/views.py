"""The templates pages: a space's own (its admins), those for every space (staff), and a template's thumbnail.

Permissions follow the store's pages: not a member → 404, a member who is not the space's admin → 403; the page of
templates for every space is staff only (403).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from attachments import selectors as store_selectors
from attachments.filenames import file_type
from attachments.models import Space
from attachments.permissions import can_admin, can_view, checked_for_page, role_in_space
from attachments.uploads import upload_too_large, upload_too_large_message
from attachments.users import AuthenticatedHttpRequest
from doctemplates import selectors, services
from doctemplates.forms import TemplateForm
from doctemplates.models import DocumentTemplate

logger = logging.getLogger(__name__)

_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


def _page(request: AuthenticatedHttpRequest, space: Space | None) -> HttpResponse:
    form = TemplateForm(request.POST, request.FILES) if request.method == "POST" else TemplateForm()
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        if upload_too_large(request):
            # The file was cut off at the limit: that, not a missing file, is what to say.
            form.errors.pop("file", None)
            form.add_error("file", upload_too_large_message())
        elif valid:
            uploaded, thumbnail = form.cleaned_data["file"], form.cleaned_data["thumbnail"]
            try:
                template = services.template_create(
                    name=form.cleaned_data["name"],
                    filename=uploaded.name or "",
                    chunks=uploaded.chunks(),
                    space=space,
                    language=form.cleaned_data["language"],
                    created_by=request.user,
                    thumbnail_name=thumbnail.name if thumbnail else "",
                    thumbnail_chunks=thumbnail.chunks() if thumbnail else (),
                )
            except services.TemplateRefused as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, _("The template “%(name)s” was added.") % {"name": template.name})
                return redirect(request.path)
        status = 400
    context = {"space": space, "form": form, "templates": selectors.managed_in(space)}
    return render(request, "doctemplates/templates.html", context, status=status)


@login_required
def space_templates(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, _role = checked_for_page(store_selectors.space_with_role(request.user, space_id), can_admin)
    return _page(request, space)


@login_required
def global_templates(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied
    return _page(request, None)


@login_required
@require_POST
def template_delete(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(DocumentTemplate, pk=template_id)
    if template.space is None:
        if not request.user.is_staff:
            raise PermissionDenied
    else:
        checked_for_page(store_selectors.space_with_role(request.user, template.space.pk), can_admin)
    services.template_delete(template=template, deleted_by=request.user)
    if template.builtin:
        message = _("The template “%(name)s” was deleted. It was shipped with the product; it stays deleted.")
    else:
        message = _("The template “%(name)s” was deleted.")
    messages.success(request, message % {"name": template.name})
    return redirect("space_templates", space_id=template.space_id) if template.space_id else redirect("templates")


@login_required
@require_safe
def thumbnail(request: HttpRequest, template_id: int) -> FileResponse:
    """A template's picture, for whoever may use the template: anyone signed in for one of every space, the space's
    members for a space's own."""
    template = DocumentTemplate.objects.filter(pk=template_id).select_related("space").first()
    if template is None or not template.thumbnail:
        raise Http404
    if template.space is not None and not can_view(role_in_space(request.user, template.space)):
        raise Http404
    name = template.thumbnail.name or ""
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        # Named but gone from storage (a restore from an older copy of the files): no picture, as for none.
        logger.warning("thumbnail of template %s is missing from storage", template.pk)
        raise Http404 from exc
    response = FileResponse(handle)
    response["Content-Type"] = _IMAGE_TYPES.get(file_type(name), "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
