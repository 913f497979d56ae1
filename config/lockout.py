"""The login lockout's hooks into django-axes (the AXES_* settings in config/settings.py).

A username is locked out from one address after too many wrong passwords; the person sees the login page again,
saying why and for how long. An administrator unlocks it at once with ``./manage.py axes_reset_username NAME``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return ngettext(
        "Too many failed logins for this username from your address. Wait %(minutes)d minute before you try "
        "again, or ask an administrator to unlock your account.",
        "Too many failed logins for this username from your address. Wait %(minutes)d minutes before you try "
        "again, or ask an administrator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *_args: object) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page with the lockout message instead of a bare text (HTTP 429).

    axes passes the original response and the credentials, or only the credentials from an async request;
    neither is needed. The form starts empty: retyping the password is pointless until the cool-off ends.
    """
    username = request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "locked_out": lockout_message(),
        # LoginView checks `next` before redirecting to it; here it is only carried to the next attempt.
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def forwarded_client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE behind the reverse proxy (DJANGO_BEHIND_PROXY): the address the proxy saw.

    The proxy appends its peer's address to X-Forwarded-For (nginx: ``$proxy_add_x_forwarded_for``), so only the
    right-most entry is vouched for; whatever a client wrote itself stands left of it. Without a usable entry
    (a request that bypassed the proxy, such as the Document Server's), the connection's own address.
    """
    last = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return request.META.get("REMOTE_ADDR")
