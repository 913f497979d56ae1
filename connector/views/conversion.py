"""Pages of the conversions: choose a conversion, watch its progress, fetch the result (connector/conversion.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from attachments.downloads import never_rendered
from attachments.permissions import DOWNLOAD_REFUSED, can_download, can_edit, can_view, role_in_space
from attachments.storage import content_type_for
from attachments.users import AuthenticatedHttpRequest
from connector import access, conversion, ds_settings, editor
from connector.models import ConversionJob


class ConvertForm(forms.Form):
    """One form for both buttons: ``kind`` says which, ``output_type`` is the chosen "Download as" format."""

    kind = forms.ChoiceField(choices=ConversionJob.Kind.choices, widget=forms.HiddenInput)
    output_type = forms.ChoiceField(label=gettext_lazy("Format"), required=False)

    def __init__(self, data: QueryDict | None = None, *, choices: conversion.ConversionChoices) -> None:
        super().__init__(data)
        self.choices = choices
        output_type = self.fields["output_type"]
        assert isinstance(output_type, forms.ChoiceField)  # the field declared above
        output_type.choices = [(target, target.upper()) for target in choices.download]

    def clean(self) -> dict[str, object]:
        super().clean()
        cleaned: dict[str, object] = self.cleaned_data
        kind = cleaned.get("kind")
        if kind == ConversionJob.Kind.OOXML:
            if not self.choices.ooxml:
                raise forms.ValidationError(_("This file cannot be converted to an Office Open XML format."))
            cleaned["output_type"] = self.choices.ooxml
        elif kind == ConversionJob.Kind.DOWNLOAD and not cleaned.get("output_type"):
            self.add_error("output_type", _("Choose the format to download the file as."))
        return cleaned


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def convert_page(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, role = access.file_for_page(request.user, attachment_id)
    if not can_download(role):
        # Whoever may not download is a viewer, to whom this page offers nothing but "Download as".
        raise PermissionDenied(DOWNLOAD_REFUSED)
    cfg = ds_settings.current()
    context: dict[str, object] = {"attachment": attachment, "space": attachment.space}
    # Whoever gets this far may download (checked above), which the error states offer.
    unavailable = {**context, "can_download": True, "purpose": "convert"}
    if not cfg.configured:
        return render(request, "connector/unavailable.html", {**unavailable, "reason": "not_configured"}, status=503)
    choices = conversion.conversion_choices(attachment, role)
    if not choices.any:
        return render(request, "connector/unavailable.html", {**unavailable, "reason": "format"}, status=415)
    form = ConvertForm(request.POST or None, choices=choices)
    if request.method == "POST":
        # Converting adds a file to the space: editors only. A viewer's forged form is refused outright.
        if request.POST.get("kind") == ConversionJob.Kind.OOXML and not can_edit(role):
            raise PermissionDenied
        if form.is_valid():
            job = conversion.conversion_start(
                attachment=attachment,
                user=request.user,
                kind=form.cleaned_data["kind"],
                output_type=form.cleaned_data["output_type"],
                connector_base=editor.connector_base(request, cfg),
                enqueue=conversion.conversion_enqueue,
            )
            return redirect("onlyoffice-conversion", job.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "connector/convert.html", {**context, "form": form, "choices": choices, "role": role}, status=status
    )


def _own_job(request: AuthenticatedHttpRequest, job_id: int) -> ConversionJob:
    job = conversion.conversion_for_user(request.user, job_id)
    if job is None:
        raise Http404
    return job


@login_required
@require_GET
def conversion_page(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    response = render(
        request,
        "connector/conversion.html",
        # What the page's script polls for later (message, result, finished), as it stands now.
        {"job": job, "attachment": job.attachment, **conversion.conversion_status(job)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def conversion_status(request: AuthenticatedHttpRequest, job_id: int) -> JsonResponse:
    job = _own_job(request, job_id)
    response = JsonResponse(conversion.conversion_status(job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def conversion_file(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponseBase:
    """The "Download as" result, for the user who asked, while they can still view and download the original."""
    job = _own_job(request, job_id)
    attachment = job.attachment
    if job.state != ConversionJob.State.DONE or not job.result_file or attachment is None:
        raise Http404
    role = role_in_space(request.user, attachment.space)
    if not can_view(role):
        raise Http404
    if not can_download(role):  # made before downloads were blocked for viewers
        raise PermissionDenied(DOWNLOAD_REFUSED)
    try:
        size = default_storage.size(job.result_file)
        handle = default_storage.open(job.result_file, "rb")
    except FileNotFoundError as exc:  # swept a moment ago
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type_for(job.result_name))
    response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-store"
    # A result may be HTML (Download as .html): never rendered on our origin, like every other file.
    return never_rendered(response, filename=job.result_name)
