"""The editor page: the file open in ONLYOFFICE, for people signed in (the Document Server's side: docserver.py).

The page decides edit or view (``editor.decide_mode``), hands the signed DocEditor configuration to the browser
(``editor.build_config``) and widens the page's CSP to the Document Server's origin. When the file cannot open, it
says why: ONLYOFFICE not set up (503), a format it does not open (415), or the last editors' save still being
stored (202, "Saving…").
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import json_script

from attachments.models import Attachment, Role
from attachments.permissions import can_download
from attachments.users import AuthenticatedHttpRequest, User
from config.csp import CSPSources, csp_widen
from connector import access, ds_settings, editor, events, formats

# Scripts that answer editor events, loaded after editor.js (static/connector/editor.js explains the contract).
EDITOR_SCRIPTS: list[str] = ["connector/presence.js", "connector/history.js", "connector/events.js"]


@login_required
def editor_page(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    # One query reads the file, its space, the role, a save in flight, the live key and the user's editor id.
    attachment, role = access.file_for_page(
        request.user, attachment_id, annotations=editor.page_annotations(request.user), related=("space",)
    )
    cfg = ds_settings.current()
    context = page_context(attachment, role)
    cannot_open = unavailable(attachment, cfg)
    if cannot_open is not None:
        return unavailable_response(request, context, *cannot_open)
    best = editor.decide_mode(attachment=attachment, role=role, cfg=cfg, wants_view=False)
    wants_view = request.GET.get("mode") == "view"
    decision = editor.decide_mode(attachment=attachment, role=role, cfg=cfg, wants_view=True) if wants_view else best
    return editor_response(
        request,
        attachment=attachment,
        user=request.user,
        decision=decision,
        cfg=cfg,
        context=context,
        # Offered in view mode when this user could edit: the editor then shows an "Edit" button.
        edit_url=request.path if decision.mode == "view" and best.mode == "edit" else "",
        save_as=events.can_save_copy(request.user, role),
        action_link=events.action_link_from_query(request.GET.get("action")),
    )


def page_context(attachment: Attachment, role: Role) -> dict[str, object]:
    """What a member's editor page and its error states offer besides the reason: the way back to the file, and
    its download when allowed (this page, and a share link opened by a member: sharing/views.py)."""
    return {"attachment": attachment, "space": attachment.space, "can_download": can_download(role), "purpose": "edit"}


def unavailable(attachment: Attachment, cfg: ds_settings.DocServerConfig) -> tuple[str, int] | None:
    """Why the editor cannot open the file now, and the status that says so; None when it can.

    ``final_save_in_flight`` is read by the file's query (editor.page_annotations), as keys and editor ids are.
    """
    if not cfg.configured:
        return "not_configured", 503
    if not formats.can_view(attachment.file_type):
        return "format", 415
    if getattr(attachment, "final_save_in_flight", False):
        return "saving", 202
    return None


def unavailable_response(request: HttpRequest, context: dict[str, object], reason: str, status: int) -> HttpResponse:
    """A member's page for a file the editor cannot open now: "Saving…", or why not."""
    template = "connector/saving.html" if reason == "saving" else "connector/unavailable.html"
    return render(request, template, {**context, "reason": reason}, status=status)


def editor_response(
    request: HttpRequest,
    *,
    attachment: Attachment,
    user: User,
    decision: editor.EditorDecision,
    cfg: ds_settings.DocServerConfig,
    context: dict[str, object],
    edit_url: str = "",
    save_as: bool = False,
    action_link: dict[str, object] | None = None,
    guest: bool = False,
) -> HttpResponse:
    """The editor page for ``user`` with the decided access: members' (above), or a share link's guest's
    (sharing/), who gets no feature script (presence, history, mentions and "Save copy as" are members' things)
    and nothing of the space."""
    doc_config = editor.build_config(
        request,
        attachment=attachment,
        user=user,
        access=decision.access,
        cfg=cfg,
        action_link=action_link,
        guest=guest,
    )
    response = render(
        request,
        "connector/editor.html",
        {
            **context,
            "config_json": json_script(doc_config, "onlyoffice-config"),
            "api_url": f"{cfg.public_url}/web-apps/apps/api/documents/api.js",
            "ds_url": cfg.public_url,
            "decision": decision,
            "editor_scripts": [] if guest else EDITOR_SCRIPTS,
            "save_as": save_as,
            "edit_url": edit_url,
            "guest": guest,
        },
    )
    csp_widen(response, _editor_csp(cfg.public_origin()))
    response["Cache-Control"] = "no-store"
    return response


def _editor_csp(ds_origin: str) -> CSPSources:
    """What the editor page adds to the site's policy (settings.CONTENT_SECURITY_POLICY): the DS's public origin."""
    return {
        "script-src": ["'self'", ds_origin],
        # api.js 9.3 sets an empty onmousewheel attribute on the editor's iframe: allow exactly the empty
        # inline handler (the sha256 of ""), so any handler with code in it is still blocked and reported.
        "script-src-attr": ["'unsafe-hashes'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
        "frame-src": [ds_origin],
        "connect-src": ["'self'", ds_origin],
        "img-src": ["'self'", "data:", "blob:", ds_origin],
    }
