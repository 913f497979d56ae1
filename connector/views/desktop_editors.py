"""What ONLYOFFICE Desktop Editors reach when "Connect to cloud" adds this site (connector/desktop_editors.py):
the status the app checks before it connects, and the page it opens once connected."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from attachments.users import AuthenticatedHttpRequest
from connector import desktop_editors


@require_safe
def status(request: HttpRequest) -> JsonResponse:
    """The provider config's ``check.url``: open to anyone, since the app asks before anybody has signed in."""
    response = JsonResponse(desktop_editors.status())
    # Where the app has no native request (AscSimpleRequest), its start page checks with an XHR from its own
    # local origin. The answer is public and read without credentials, so any origin may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@login_required
def landing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The provider config's ``startPage``: after the login, the page's script (desktop-editors.js) sends
    portal:login and goes on to the home page; in a browser the page says what it is for."""
    return render(request, "connector/desktop_login.html")
