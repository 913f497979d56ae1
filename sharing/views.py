"""A share link's guest side: ``/s/<secret>/`` asks for what it still needs, then opens the file in the editor.

The steps, all on the link's one URL: the link must work (404 revoked or gone, 410 expired); a member of the file's
space goes to their own editor page, unless the link gives more than their role (then, after the link's password,
the editor opens here with the link's access, under their own name); a password link asks for its password
(throttled per address); a newcomer gives a display name, once per browser; then the editor opens with the link's
access, as this browser's guest account on the link (sharing/guests.py keeps the cookies).

The URL is the credential, so every answer keeps it to itself: no Referer to anyone, not cached, not indexed, and
the log filter (config/logging.py) cuts it out of every log line. A guest never gets a session: everywhere else in
the app they are anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from attachments.display import user_name
from attachments.models import Attachment, Role
from attachments.permissions import role_in_space
from attachments.users import User
from connector import ds_settings, editor, events
from connector.views.editor import editor_response, page_context, unavailable, unavailable_response
from sharing import guests, services
from sharing.models import ShareLink


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class NameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=services.NAME_LENGTH,
        help_text=gettext_lazy("The others in the document see it, marked as a guest, and so does its history."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )

    def clean_name(self) -> str:
        name = guests.clean_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Enter the name to show the others."))
        return name


def _private(view: Callable[[HttpRequest, str], HttpResponse]) -> Callable[[HttpRequest, str], HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, secret: str) -> HttpResponse:
        response = view(request, secret)
        # Pages with a form say "strict-origin" (below); every other page sends no Referer at all.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


@_private
@require_http_methods(["GET", "POST"])
def share_open(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        link = services.link_open(secret)
    except services.LinkGone:
        return render(request, "sharing/guest_gone.html", {"guest": True}, status=404)
    except services.LinkExpired:
        return render(request, "sharing/guest_expired.html", {"guest": True}, status=410)
    role = role_in_space(request.user, link.attachment.space)
    if role is not None and isinstance(request.user, User):
        return _member(request, link, request.user, role)
    if link.has_password and not guests.is_unlocked(request, link):
        return _password_step(request, link)
    guest = guests.remembered_guest(request, link)
    if guest is not None:
        return _editor(request, link, guest)
    return _name_step(request, link)


def _member(request: HttpRequest, link: ShareLink, member: User, role: Role) -> HttpResponse:
    """A member of the file's space: the stronger of their role's access and the link's, under their own name."""
    access = services.member_access(link=link, role=role)
    if access is None:
        # Their role gives as much: their own page, with everything a member has there.
        return redirect("onlyoffice-editor", link.attachment_id)
    if link.has_password and not guests.is_unlocked(request, link):
        # What the link adds to their role is the link's to give: its password guards it for members too.
        return _password_step(request, link)
    return _member_editor(request, link, member, role, access)


def _form_page(request: HttpRequest, template: str, context: dict[str, object], status: int) -> HttpResponse:
    response = render(request, template, {**context, "guest": True}, status=status)
    # Not "no-referrer": with it, browsers send "Origin: null" with the form, which Django's CSRF check refuses.
    # "strict-origin" still keeps the path, and the secret in it, out of every Referer.
    response["Referrer-Policy"] = "strict-origin"
    return response


def _posted(request: HttpRequest, step: str) -> bool:
    return request.method == "POST" and request.POST.get("step") == step


def _password_step(request: HttpRequest, link: ShareLink) -> HttpResponse:
    form = PasswordForm(request.POST if _posted(request, "password") else None)
    if not form.is_bound:
        return _form_page(request, "sharing/guest_password.html", {"form": form}, 200)
    if not form.is_valid():
        return _form_page(request, "sharing/guest_password.html", {"form": form}, 400)
    try:
        right = services.password_check(link=link, password=form.cleaned_data["password"], client=_client(request))
    except services.TooManyAttempts:
        minutes = services.PASSWORD_WINDOW // 60
        message = ngettext(
            "Too many wrong passwords. Wait %(minutes)d minute, then try again.",
            "Too many wrong passwords. Wait %(minutes)d minutes, then try again.",
            minutes,
        ) % {"minutes": minutes}
        return _form_page(request, "sharing/guest_password.html", {"form": PasswordForm(), "refused": message}, 429)
    if not right:
        form.add_error("password", _("This is not the link's password."))
        return _form_page(request, "sharing/guest_password.html", {"form": form}, 403)
    response = redirect(request.path)
    guests.remember_unlock(response, request, link)
    return response


def _client(request: HttpRequest) -> str:
    # The address the login lockout counts by (config/lockout.py): behind the reverse proxy, the one it saw.
    if settings.AXES_CLIENT_IP_CALLABLE:
        return str(import_string(settings.AXES_CLIENT_IP_CALLABLE)(request) or "")
    return str(request.META.get("REMOTE_ADDR", ""))


def _name_step(request: HttpRequest, link: ShareLink) -> HttpResponse:
    if _posted(request, "name"):
        form = NameForm(request.POST)
        if not form.is_valid():
            context = {"form": form, "attachment": link.attachment}
            return _form_page(request, "sharing/guest_name.html", context, 400)
        guest = services.guest_create(link=link, name=form.cleaned_data["name"])
        named = redirect(request.path)
        guests.remember_name(named, request, form.cleaned_data["name"])
        guests.remember_guest(named, request, link, guest)
        return named
    name = guests.remembered_name(request)
    if name:
        # Asked once per browser: a second link opens straight away under the same name.
        guest = services.guest_create(link=link, name=name)
        response = _editor(request, link, guest)
        guests.remember_guest(response, request, link, guest)
        return response
    initial = user_name(request.user) if isinstance(request.user, User) else ""
    form = NameForm(initial={"name": initial})
    return _form_page(request, "sharing/guest_name.html", {"form": form, "attachment": link.attachment}, 200)


def _file_for_editor(link: ShareLink, user: User) -> Attachment:
    # The user's editor id, the live key and a save in flight, read with the file (editor.page_annotations).
    return (
        Attachment.objects.select_related("space").annotate(**editor.page_annotations(user)).get(pk=link.attachment_id)
    )


def _editor(request: HttpRequest, link: ShareLink, guest: User) -> HttpResponse:
    cfg = ds_settings.current()
    attachment = _file_for_editor(link, guest)
    # Nothing of the space, and no way into it: no back link, no download (the file is theirs to open only here).
    context: dict[str, object] = {"attachment": attachment, "can_download": False, "guest": True}
    cannot_open = unavailable(attachment, cfg)
    if cannot_open is not None:
        reason, status = cannot_open
        return render(request, "sharing/guest_unavailable.html", {**context, "reason": reason}, status=status)
    access = editor.parse_access(link.access)
    decision = editor.decide_mode(
        attachment=attachment, role=editor.role_of_access(access), cfg=cfg, wants_view=False, access=access
    )
    return editor_response(
        request, attachment=attachment, user=guest, decision=decision, cfg=cfg, context=context, guest=True
    )


def _member_editor(
    request: HttpRequest, link: ShareLink, member: User, role: Role, access: editor.Access
) -> HttpResponse:
    """A member's editor page with the link's access: as their own page (connector.views.editor), with the space."""
    cfg = ds_settings.current()
    attachment = _file_for_editor(link, member)
    context = page_context(attachment, role)
    cannot_open = unavailable(attachment, cfg)
    if cannot_open is not None:
        return unavailable_response(request, context, *cannot_open)
    decision = editor.decide_mode(
        attachment=attachment, role=editor.role_of_access(access), cfg=cfg, wants_view=False, access=access
    )
    return editor_response(
        request,
        attachment=attachment,
        user=member,
        decision=decision,
        cfg=cfg,
        context=context,
        save_as=events.can_save_copy(member, role),
    )
