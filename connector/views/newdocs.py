"""A space's "New document" page: a blank document, spreadsheet or presentation, or a copy of one of the space's
templates (doctemplates), then the editor (connector/newdocs.py).

Permissions follow the attachment pages: not a member → 404, a member without the editor role → 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from attachments.permissions import can_edit
from attachments.users import AuthenticatedHttpRequest
from connector import access, ds_settings, newdocs
from doctemplates.selectors import offered


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_document(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    space, _role = access.space_for_page(request.user, space_id, can_edit)
    context: dict[str, object] = {"space": space, "configured": ds_settings.current().configured}
    if not context["configured"]:
        return render(request, "connector/new_document.html", context, status=503)
    templates = list(offered(space, translation.get_language() or ""))
    form = newdocs.NewDocumentForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        template = form.chosen_template()
        if template is not None:
            attachment = newdocs.template_document_create(
                space=space, template=template, name=form.cleaned_data["name"], created_by=request.user
            )
        else:
            attachment = newdocs.blank_document_create(
                space=space, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"], created_by=request.user
            )
        return redirect("onlyoffice-editor", attachment_id=attachment.pk)
    defaults = {kind: newdocs.default_name(kind) for kind, _label in newdocs.KIND_CHOICES}
    defaults.update({value: f"{t.name}.{t.file_type}" for value, t in form.templates.items()})
    context.update(form=form, defaults=defaults, templates=form.templates)
    return render(request, "connector/new_document.html", context, status=400 if form.errors else 200)
