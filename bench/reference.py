"""Reference endpoints, served only by benchmark stacks (bench/settings.py), never by the application.

They measure what Django itself costs on this machine, in the same run as the floor and the measurement:

- ``reference/roundtrip/``: one database round trip (``SELECT 1``) and nothing else: no session, no user, no
  ORM. No page that reads the database can be faster; every page and callback of the application must read it.
- ``reference/insert/<id>/``: one row inserted and committed, by hand-written SQL: the least a durable
  acknowledgement can do (no token, no check, no lock). The callback does all of that and more.
- ``reference/page/<id>/``: the least a logged-in page can do: the session, the user, one row by primary key, a
  plain-text answer (no template, no permission check). The editor page and the list do all of that and more; it is
  the reference of their targets (issue 23).
- ``reference/frame/<id>/``: the same, rendered in the site's frame (``templates/base.html``: the head, the account
  menu, the language forms) with an empty content block: the least an HTML page of this site renders. Its ratio
  to ``reference/page/`` tells what the frame alone takes of a target stated against that reference.

The first two skip Django's per-request connection health check (``CONN_HEALTH_CHECKS``, one more ``SELECT 1``),
so that each makes exactly one round trip. Issue 23 states the editor's and the list's targets against
``reference/page/`` and the callback's against ``reference/insert/``; the scripts print the others, and every
ratio to ``/healthz``, as information (docs/performance.md).
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.template.backends.jinja2 import Template
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from attachments.models import Attachment
from connector.models import CallbackEvent


def _one_round_trip(sql: str, params: list[object]) -> None:
    connection.ensure_connection()
    # Django pings a reused connection before its first query of each request; the least is one round trip.
    connection.health_check_done = True
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def roundtrip(request: HttpRequest) -> HttpResponse:
    _one_round_trip("SELECT 1", [])
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def insert(request: HttpRequest, attachment_id: int) -> JsonResponse:
    table = CallbackEvent._meta.db_table
    columns = '"attachment_id", "key", "status", "payload", "received_at"'
    values = "%s, 'reference', 2, '{}', CURRENT_TIMESTAMP"
    _one_round_trip(f'INSERT INTO "{table}" ({columns}) VALUES ({values})', [attachment_id])  # noqa: S608
    return JsonResponse({"error": 0})


@login_required
def page(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = Attachment.objects.get(pk=attachment_id)
    return HttpResponse(attachment.title, content_type="text/plain")


# An HTML page of the site with nothing in it: the frame every page extends, and the attachment's title.
_FRAME = '{% extends "base.html" %}{% block title %}{{ title }}{% endblock %}'


@functools.cache
def _frame_template() -> Template:
    # Compiled once per process, as the loader keeps the site's own templates (from_string compiles every call).
    return engines["jinja2"].from_string(_FRAME)


@login_required
def frame(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = Attachment.objects.get(pk=attachment_id)
    return HttpResponse(_frame_template().render({"title": attachment.title}, request))


urlpatterns = [
    path("reference/roundtrip/", roundtrip),
    path("reference/insert/<int:attachment_id>/", insert),
    path("reference/page/<int:attachment_id>/", page),
    path("reference/frame/<int:attachment_id>/", frame),
    path("", include("config.urls")),
]
