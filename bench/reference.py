"""Reference endpoints, served only by benchmark stacks (bench/settings.py), never by the application.

They measure what Django itself costs on this machine, in the same run as the floor and the measurement:

- ``reference/page/<id>/``: the least a logged-in page can do: the session, the user, one row by primary key, a
  plain-text answer (no template, no permission check). The editor page does all of that and more.
- ``reference/ack/<id>/``: the least a durable acknowledgement can do: one row inserted and committed, a JSON
  answer (no token, no validation, no lock). The callback does all of that and more.

The scripts print their ratios to ``/healthz`` as context, not as targets: a target below a reference cannot be
met by any page or callback built on this stack (docs/performance.md).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from attachments.models import Attachment
from connector.models import CallbackEvent


@login_required
def page(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = Attachment.objects.get(pk=attachment_id)
    return HttpResponse(attachment.title, content_type="text/plain")


@csrf_exempt
def ack(request: HttpRequest, attachment_id: int) -> JsonResponse:
    CallbackEvent.objects.create(attachment_id=attachment_id, key="reference", status=2, payload={})
    return JsonResponse({"error": 0})


urlpatterns = [
    path("reference/page/<int:attachment_id>/", page),
    path("reference/ack/<int:attachment_id>/", ack),
    path("", include("config.urls")),
]
