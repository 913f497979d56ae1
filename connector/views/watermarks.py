"""A space's "Watermark" settings: a section of the space's settings page (attachments.actions'
``register_space_settings``) whose form posts here. Space admins and staff only, as the page itself.

Saved: back to the settings page with a message. Refused: this section alone, with its errors (400).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from attachments import selectors
from attachments.actions import Panel
from attachments.models import Role, Space
from attachments.permissions import can_admin, checked_for_page
from attachments.users import AuthenticatedHttpRequest
from connector import watermarks


class WatermarkForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Show a watermark in the editor"), required=False)
    audience = forms.ChoiceField(
        label=gettext_lazy("Who sees it"),
        choices=[
            ("below_editor", gettext_lazy("Everyone who cannot edit: viewers, commenters, reviewers")),
            ("everyone", gettext_lazy("Everyone, editors and admins too")),
        ],
        widget=forms.RadioSelect,
    )
    share_links = forms.BooleanField(
        label=gettext_lazy("Guests of share links too"),
        required=False,
        help_text=gettext_lazy("Every guest, whatever the link's access."),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=watermarks.TEXT_MAX_LENGTH,
        help_text=gettext_lazy(
            "{name} is the person's name, {email} their e-mail address (guests have none), {date} today's date."
        ),
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        return watermarks.clean_text(text)


def _form_for(space: Space, data: QueryDict | None = None) -> WatermarkForm:
    found = watermarks.policy(space.pk)
    initial = {
        "enabled": found.enabled,
        "audience": "everyone" if found.everyone else "below_editor",
        "share_links": found.share_links,
        "text": found.text,
    }
    return WatermarkForm(data, initial=initial)


def _section_html(request: HttpRequest, space: Space, form: WatermarkForm) -> str:
    return render_to_string("connector/space_watermark.html", {"space": space, "wm_form": form}, request=request)


def settings_section(request: HttpRequest, space: Space, role: Role) -> Panel | None:
    """The "Watermark" section of the space's settings page (whose view already checked the admin)."""
    if not can_admin(role):
        return None
    return Panel(html=_section_html(request, space, _form_for(space)))


@login_required
@require_http_methods(["GET", "POST"])
def space_watermark(request: AuthenticatedHttpRequest, space_id: int) -> HttpResponse:
    # Not a member: 404, so a space's existence is never revealed; a member who is not its admin: 403.
    space, _role = checked_for_page(selectors.space_with_role(request.user, space_id), can_admin)
    if request.method == "GET":
        return redirect(reverse("space_settings", args=[space.pk]) + "#watermark")
    form = _form_for(space, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            watermarks.space_watermark_update(
                space=space,
                enabled=data["enabled"],
                everyone=data["audience"] == "everyone",
                share_links=data["share_links"],
                text=data["text"],
            )
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            messages.success(request, _("The watermark settings of “%(name)s” were saved.") % {"name": space.name})
            return redirect(reverse("space_settings", args=[space.pk]) + "#watermark")
    context = {"space": space, "section": _section_html(request, space, form)}
    return render(request, "connector/space_watermark_page.html", context, status=400)
