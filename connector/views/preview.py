"""The file page's preview: the document read-only in ONLYOFFICE's embedded viewer, framed by the file page.

The file page only frames this page, lazily (``display.preview_panel``), so it never waits for the Document Server:
this page loads api.js itself and shows a fallback in the frame when it does not load (static/connector/preview.js).
It is the one page another page may frame, and only our own (X-Frame-Options SAMEORIGIN, frame-ancestors 'self');
every other page denies framing (settings.X_FRAME_OPTIONS, CONTENT_SECURITY_POLICY).

Members only, as the file page: a share link's guests get no file page, so its grant does not reach here either.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import json_script
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from attachments.permissions import can_download
from attachments.users import AuthenticatedHttpRequest
from config.csp import csp_widen
from connector import access, ds_settings, editor, formats
from connector.views.editor import _editor_csp


@xframe_options_sameorigin
@login_required
@require_safe
def preview_page(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    attachment, role = access.file_for_page(
        request.user, attachment_id, annotations=editor.page_annotations(request.user), related=("space",)
    )
    cfg = ds_settings.for_request(request)
    may_download = can_download(role)
    context: dict[str, object] = {"attachment": attachment, "can_download": may_download, "can_open": False}
    # The panel is not offered then (display.preview_panel): reached anyway, the frame says so and offers the copy.
    if not cfg.configured:
        return _framed_by_our_pages(render(request, "connector/preview.html", context, status=503))
    if not formats.can_view(attachment.file_type):
        return _framed_by_our_pages(render(request, "connector/preview.html", context, status=415))
    config = editor.build_config(
        request,
        attachment=attachment,
        user=request.user,
        access="view",
        cfg=cfg,
        embedded=True,
        may_download=may_download,
    )
    response = render(
        request,
        "connector/preview.html",
        {
            **context,
            "can_open": True,
            "config_json": json_script(config, "onlyoffice-config"),
            "api_url": f"{cfg.public_url}/web-apps/apps/api/documents/api.js",
        },
    )
    csp_widen(response, _editor_csp(cfg.public_origin()))
    # The config carries a signed download link for the Document Server: never from a cache.
    response["Cache-Control"] = "no-store"
    return _framed_by_our_pages(response)


def _framed_by_our_pages(response: HttpResponse) -> HttpResponse:
    """Let the file page of this site frame the response (the CSP's side of X-Frame-Options SAMEORIGIN).

    django-csp's ``@csp_replace`` is typed for views of the request alone; this sets what it sets.
    """
    # The attribute django-csp's CSPMiddleware reads to replace a directive of the site's policy.
    response._csp_replace = {"frame-ancestors": ["'self'"]}  # type: ignore[attr-defined]
    return response
