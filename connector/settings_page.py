"""The ONLYOFFICE settings page, ``/onlyoffice/settings/``: staff edit ``connector.config`` and check the connection.

"Save" stores and redirects. "Save and check" stores, then runs ``connector.checks.run_checks`` and shows each
step; the browser step (api.js loads from the public URL) runs in the page itself, static/connector/settings.js.
A failed check never undoes the save: the admin needs the stored values to see what to fix.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from config.csp import CSPSources, csp_widen
from connector import checks, config, docserver
from connector.forms import SettingsForm

ACTION_CHECK = "check"


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    # Not 403: a non-staff user is not told that the page exists.
    if not request.user.is_staff:
        raise Http404
    if request.method == "POST":
        return _save(request)
    return _page(request, _form())


def _form(data: Any = None) -> SettingsForm:
    return SettingsForm(data, cfg=config.current(), sources=config.sources())


def _save(request: HttpRequest) -> HttpResponse:
    form = _form(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    if form.changes:
        try:
            config.update(**form.changes)
        except ValidationError as exc:
            form.add_config_errors(exc)
            return _page(request, form, status=400)
    messages.success(request, _("The ONLYOFFICE settings were saved."))
    if request.POST.get("action") != ACTION_CHECK:
        return redirect("onlyoffice-settings")
    results = checks.run_checks(config.current(), app_url=request.build_absolute_uri("/"))
    return _page(request, _form(), results=results)


def _page(
    request: HttpRequest, form: SettingsForm, *, results: list[checks.CheckResult] | None = None, status: int = 200
) -> HttpResponse:
    cfg = config.current()
    context = {
        "form": form,
        "cfg": cfg,
        "checks": results,
        "secret_short": checks.short_secret_warning(cfg),
        "api_url": docserver.api_js_url(cfg) if cfg.configured else "",
    }
    response = render(request, "connector/settings.html", context, status=status)
    csp_widen(response, settings_csp(cfg.public_origin()))
    # The page describes the security setup; no shared cache or back-button copy should keep it.
    response["Cache-Control"] = "no-store"
    return response


def settings_csp(ds_origin: str) -> CSPSources:
    """What the page adds to the site's policy: scripts from the Document Server, for the api.js check."""
    return {"script-src": ["'self'", ds_origin]} if ds_origin else {}
