"""The ONLYOFFICE settings page, ``/onlyoffice/settings/``: staff edit ``connector.ds_settings`` and check them.

"Save" stores and redirects. "Save and check" checks the entered values first (``connector.checks.run_checks``
on ``ds_settings.preview``) and stores them only when every step passes: a URL that fails would otherwise turn on
"Edit in ONLYOFFICE" for everyone at once. "Check only" checks and stores nothing. After a check that did not
store, the results offer to store exactly the values checked ("Save anyway" when a step failed); they wait in
the session, because the page never renders the secret back into the form. The browser step (api.js loads from
the public URL) runs in the page itself, static/connector/settings.js, and only advises.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from attachments.users import AuthenticatedHttpRequest
from config.csp import CSPSources, csp_widen
from connector import checks, docserver, ds_settings
from connector.ds_settings import DocServerConfig
from connector.forms import SettingsForm

ACTION_SAVE = "save"
ACTION_SAVE_AND_CHECK = "check"
ACTION_CHECK_ONLY = "check_only"
ACTION_SAVE_CHECKED = "save_checked"
# The values of the last check that stored nothing, for "Save anyway": {"token": ..., "changes": {...}}.
PENDING_SESSION_KEY = "onlyoffice_settings_checked"


@login_required
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Not 403: a non-staff user is not told that the page exists.
    if not request.user.is_staff:
        raise Http404
    if request.method != "POST":
        return _page(request, _form())
    if request.POST.get("action") == ACTION_SAVE_CHECKED:
        return _save_checked(request)
    return _submit(request)


def _form(data: QueryDict | None = None) -> SettingsForm:
    return SettingsForm(data, cfg=ds_settings.current(), sources=ds_settings.sources())


def _submit(request: HttpRequest) -> HttpResponse:
    # Values checked earlier (a secret among them) wait no longer than the next submission.
    request.session.pop(PENDING_SESSION_KEY, None)
    form = _form(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    action = request.POST.get("action")
    if action not in (ACTION_SAVE_AND_CHECK, ACTION_CHECK_ONLY):
        refused = _store(request, form)
        return refused or redirect("onlyoffice-settings")
    try:
        entered = ds_settings.preview(**form.changes)
    except ValidationError as exc:
        form.add_config_errors(exc)
        return _page(request, form, status=400)
    results = checks.run_checks(entered, app_url=request.build_absolute_uri("/"))
    if action == ACTION_SAVE_AND_CHECK and checks.passed(results):
        refused = _store(request, form)
        return refused or _page(request, _form(), results=results, checked=entered, stored=True)
    # Nothing is stored: the form keeps what was entered, and the results offer to store exactly that.
    pending = _remember(request, form.changes) if form.changes else ""
    return _page(request, form, results=results, checked=entered, pending=pending)


def _store(request: HttpRequest, form: SettingsForm) -> HttpResponse | None:
    """Store the form's changes and say so; None when stored, else the page with the config's errors."""
    if form.changes:
        try:
            ds_settings.update(**form.changes)
        except ValidationError as exc:
            form.add_config_errors(exc)
            return _page(request, form, status=400)
    messages.success(request, _("The ONLYOFFICE settings were saved."))
    return None


def _remember(request: HttpRequest, changes: dict[str, object]) -> str:
    token = secrets.token_urlsafe(16)
    request.session[PENDING_SESSION_KEY] = {"token": token, "changes": changes}
    return token


def _save_checked(request: HttpRequest) -> HttpResponse:
    """Store the values of the last check exactly as checked ("Save anyway", "Save these settings")."""
    pending = request.session.get(PENDING_SESSION_KEY) or {}
    token = request.POST.get("checked", "")
    expected = str(pending.get("token", ""))
    if not token or not secrets.compare_digest(expected.encode(), token.encode()):
        messages.error(request, _("Those checked values are no longer at hand: enter them again and check."))
        return redirect("onlyoffice-settings")
    del request.session[PENDING_SESSION_KEY]
    try:
        ds_settings.update(**pending["changes"])
    except ValidationError:
        # Only when a rule changed since the check (an upgrade in between): the values are gone with the session.
        messages.error(request, _("Those checked values are no longer valid: enter them again and check."))
        return redirect("onlyoffice-settings")
    messages.success(request, _("The ONLYOFFICE settings were saved."))
    return redirect("onlyoffice-settings")


def _page(
    request: HttpRequest,
    form: SettingsForm,
    *,
    results: list[checks.CheckResult] | None = None,
    checked: DocServerConfig | None = None,
    stored: bool = False,
    pending: str = "",
    status: int = 200,
) -> HttpResponse:
    cfg = ds_settings.current()
    # The browser step loads api.js from the URL that was checked, which need not be stored yet.
    browser_cfg = checked or cfg
    context = {
        "form": form,
        "cfg": cfg,
        "checks": results,
        "checks_passed": results is not None and checks.passed(results),
        "checks_stored": stored,
        "pending": pending,
        "secret_short": checks.short_secret_warning(cfg),
        "api_url": docserver.api_js_url(browser_cfg) if browser_cfg.configured else "",
    }
    response = render(request, "connector/settings.html", context, status=status)
    csp_widen(response, settings_csp(browser_cfg.public_origin()))
    # The page describes the security setup; no shared cache or back-button copy should keep it.
    response["Cache-Control"] = "no-store"
    return response


def settings_csp(ds_origin: str) -> CSPSources:
    """What the page adds to the site's policy: scripts from the Document Server, for the api.js check."""
    return {"script-src": ["'self'", ds_origin]} if ds_origin else {}
