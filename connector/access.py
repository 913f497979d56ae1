"""Who may reach a file through the connector's JSON endpoints, and how a refusal is answered.

The editor page's scripts call endpoints under ``/onlyoffice/editor/<attachment_id>/``. They all follow the
editor page's rule and answer every refusal as ``{"error": 1, "message": ...}``, since a script reads them:
not logged in → 401, not a member of the file's space → 404 (its existence is not revealed), a member
without the needed role → 403.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attachments.models import Attachment, Role, Space
from attachments.permissions import can_view, checked_for_page
from attachments.selectors import attachment_with_role, space_with_role

RoleCheck = Callable[[Role | None], bool]
Handler = Callable[..., HttpResponse]


class Refused(Exception):
    """A request the connector refuses; ``message`` is fit to show the user, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": 1, "message": message}, status=status)


def for_file(needs: RoleCheck = can_view, *, forbidden: Any = None) -> Callable[[Handler], Handler]:
    """Load the file for the user and call ``view(request, attachment, role, **kwargs)``; refusals as JSON.

    ``forbidden`` is the message for a member without the needed role (default: a generic one).
    """

    def decorate(view: Handler) -> Handler:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, attachment_id: int, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return json_error(_("Sign in again to go on."), 401)
            found = attachment_with_role(request.user, attachment_id)
            if found is None:
                return json_error(_("No such file."), 404)
            attachment, role = found
            if not needs(role):
                return json_error(str(forbidden or _DEFAULT_FORBIDDEN), 403)
            try:
                return view(request, attachment, role, **kwargs)
            except Refused as exc:
                return json_error(exc.message, exc.status)

        return wrapper

    return decorate


_DEFAULT_FORBIDDEN = gettext_lazy("You do not have permission to do this.")


def json_body(request: HttpRequest, *, max_size: int) -> dict[str, Any]:
    """The request's JSON object, or ``Refused`` (415, 413 or 400) saying what is wrong."""
    if request.content_type != "application/json":
        raise Refused(_("Send the request as JSON."), 415)
    raw = request.body
    if len(raw) > max_size:
        raise Refused(_("The request is too large."), 413)
    try:
        data = json.loads(raw or b"null")
    except ValueError as exc:
        raise Refused(_("The request is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise Refused(_("The request is not valid JSON."))
    return data


def file_for_page(
    user: Any,
    attachment_id: int,
    needs: RoleCheck = can_view,
    *,
    annotations: dict[str, Any] | None = None,
    related: tuple[str, ...] = ("space", "updated_by"),
) -> tuple[Attachment, Role]:
    """For HTML pages and forms: Http404 when the file is hidden from the user, PermissionDenied for a weak role."""
    return checked_for_page(attachment_with_role(user, attachment_id, annotations=annotations, related=related), needs)


def space_for_page(user: Any, space_id: int, needs: RoleCheck = can_view) -> tuple[Space, Role]:
    """The same rule for a space."""
    return checked_for_page(space_with_role(user, space_id), needs)
