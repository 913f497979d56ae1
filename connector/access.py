"""Who may reach the connector's endpoints: one gate for each kind of caller, and one way to answer a refusal.

- The editor page's scripts call JSON endpoints under ``/onlyoffice/editor/<attachment_id>/`` (``for_file``). They
  all follow the editor page's rule and answer every refusal as ``{"error": 1, "message": ...}``, since a script
  reads them: not logged in → 401, not a member of the file's space → 404 (its existence is not revealed), a
  member without the needed role → 403.
- Pages and forms (the editor page, conversions, sessions, Retry) use Django's 404 and 403 (``file_for_page``).
- The Document Server calls the download, callback, check-file and changes endpoints with no session
  (``from_docserver``): a signed link token of ours for that purpose and object, plus its own JWT when a secret is
  set. Every answer is JSON, refusals included, and each refusal says why in the log.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, Protocol, cast
from urllib.parse import parse_qs, urlsplit

from django.db import DatabaseError
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django_stubs_ext import StrOrPromise

from attachments.models import Attachment, Role, Space
from attachments.permissions import can_view, checked_for_page
from attachments.selectors import attachment_with_role, space_with_role
from attachments.users import AnyUser, AuthenticatedHttpRequest
from connector import ds_settings, jwt_codec, links
from connector.ds_settings import DocServerConfig

logger = logging.getLogger(__name__)

RoleCheck = Callable[[Role | None], bool]
P = ParamSpec("P")
# A view behind ``for_file``: the signed-in request, the file and the user's role, then the URL's other arguments.
FileView = Callable[Concatenate[AuthenticatedHttpRequest, Attachment, Role, P], HttpResponse]


class FileEndpoint(Protocol[P]):
    """What ``for_file`` makes of a view: the view Django calls with the URL's arguments, by name."""

    def __call__(
        self, request: HttpRequest, /, attachment_id: int, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse: ...


class Refused(Exception):
    """A request the connector refuses; ``message`` is fit to show the user, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_error(message: str, status: int) -> JsonResponse:
    """A refusal as every JSON caller reads it, scripts and the Document Server alike."""
    return JsonResponse({"error": 1, "message": message}, status=status)


def for_file(
    needs: RoleCheck = can_view, *, forbidden: StrOrPromise | None = None
) -> Callable[[FileView[P]], FileEndpoint[P]]:
    """Load the file for the user and call ``view(request, attachment, role, **kwargs)``; refusals as JSON.

    ``forbidden`` is the message for a member without the needed role (default: a generic one).
    """

    def decorate(view: FileView[P]) -> FileEndpoint[P]:
        def wrapper(request: HttpRequest, /, attachment_id: int, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return json_error(_("Sign in again to go on."), 401)
            found = attachment_with_role(request.user, attachment_id)
            if found is None:
                return json_error(_("No such file."), 404)
            attachment, role = found
            if not needs(role):
                return json_error(str(forbidden or _DEFAULT_FORBIDDEN), 403)
            # Signed in: checked above.
            signed_in = cast(AuthenticatedHttpRequest, request)
            try:
                return view(signed_in, attachment, role, *args, **kwargs)
            except Refused as exc:
                return json_error(exc.message, exc.status)

        # As functools.wraps would, but keeping the wrapper's own type, which wraps' would hide from the checker.
        functools.update_wrapper(wrapper, view)
        return wrapper

    return decorate


_DEFAULT_FORBIDDEN = gettext_lazy("You do not have permission to do this.")


def json_body(request: HttpRequest, *, max_size: int) -> dict[str, object]:
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
    user: AnyUser,
    attachment_id: int,
    needs: RoleCheck = can_view,
    *,
    annotations: Mapping[str, Combinable] | None = None,
    related: tuple[str, ...] = ("space", "updated_by"),
) -> tuple[Attachment, Role]:
    """For HTML pages and forms: Http404 when the file is hidden from the user, PermissionDenied for a weak role."""
    return checked_for_page(attachment_with_role(user, attachment_id, annotations=annotations, related=related), needs)


def space_for_page(user: AnyUser, space_id: int, needs: RoleCheck = can_view) -> tuple[Space, Role]:
    """The same rule for a space."""
    return checked_for_page(space_with_role(user, space_id), needs)


# --- the Document Server -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocServerLink:
    """A Document Server request the gate let through: the claims of its link, the settings it was checked with."""

    claims: dict[str, object]
    cfg: DocServerConfig


# A view behind ``from_docserver``: the request and the link it came with, then the URL's arguments.
DocServerView = Callable[Concatenate[HttpRequest, DocServerLink, P], HttpResponseBase]
DocServerEndpoint = Callable[Concatenate[HttpRequest, P], HttpResponseBase]

# The claim a link names its object by, for each argument of the URL, and what a link for another object is told.
_LINKED_OBJECTS = {
    "attachment_id": ("a", "the link is for another file"),
    "version_id": ("n", "the link is for another version"),
}
# The DS's JWT signs the link itself, so a missing or foreign one is refused like a bad link.
_NOT_SIGNED_FOR_THIS_LINK = "the Document Server token is missing or does not match this link"


def from_docserver(
    purpose: str,
    *,
    what: str,
    max_age: Callable[[DocServerConfig], int],
    posts_json: bool = False,
    link_settings: Callable[[dict[str, object], DocServerConfig], DocServerConfig] | None = None,
) -> Callable[[DocServerView[P]], DocServerEndpoint[P]]:
    """The gate of every endpoint the Document Server calls: calls ``view(request, link, **kwargs)`` once it passes.

    The request must use the right method (GET or HEAD to fetch; POST with a JSON body when ``posts_json``), carry a
    link token made for ``purpose`` and no older than ``max_age(settings)``, for the very object of the URL
    (``attachment_id`` or ``version_id``), and, when a secret is set, the DS's JWT over this very link (a JSON post
    carries its JWT with its body, which the view verifies). ``link_settings`` picks the settings the JWT is checked
    with from the link's claims (the connection check's are not stored yet).

    A refusal is answered 403 with its reason and logged as "DS <what> refused: <reason>" (``what`` is formatted with
    the URL's arguments): Django's own line names only the path. Every answer is JSON, errors included (a database
    error: 503, which makes the DS retry), since the DS parses it; no CSRF token, since the DS has no session.
    """

    def decorate(view: DocServerView[P]) -> DocServerEndpoint[P]:
        def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if request.method not in ({"POST"} if posts_json else {"GET", "HEAD"}):
                return json_error("only POST is accepted" if posts_json else "method not allowed", 405)
            if posts_json and request.content_type != "application/json":
                return json_error("the callback must be application/json", 415)
            cfg = ds_settings.current()
            try:
                claims = links.read_token(request.GET.get("token"), purpose, max_age=max_age(cfg))
                for argument, (claim, another) in _LINKED_OBJECTS.items():
                    if argument in kwargs and claims.get(claim) != kwargs[argument]:
                        raise links.BadLink(another)
                if link_settings is not None:
                    cfg = link_settings(claims, cfg)
                if not posts_json and cfg.jwt_enabled and not _ds_token_matches(request, cfg):
                    raise links.BadLink(_NOT_SIGNED_FOR_THIS_LINK)
            except links.BadLink as exc:
                # One of our fixed sentences (links.BadLink): no token, JWT or secret ever goes into it.
                logger.warning("DS %s refused: %s", what.format(**kwargs), exc)
                return json_error(str(exc), 403)
            return view(request, DocServerLink(claims=claims, cfg=cfg), *args, **kwargs)

        def gate(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            try:
                return checked(request, *args, **kwargs)
            except DatabaseError:
                logger.exception("%s: database error", view.__name__)
                # A 5xx makes the DS retry statuses 2 and 3 (1 s, 2 s, 4 s).
                return json_error("the request could not be completed; try again", 503)
            except Exception:
                logger.exception("%s failed unexpectedly", view.__name__)
                return json_error("internal error", 500)

        functools.update_wrapper(gate, view)
        return csrf_exempt(gate)

    return decorate


def _ds_token_matches(request: HttpRequest, cfg: DocServerConfig) -> bool:
    """The DS signs ``{"payload": {"url": <the exact url>}}``; it must be this very link.

    Path and token are compared, not the host: the DS may reach us under an internal name.
    """
    token = jwt_codec.bearer(request.headers.get(cfg.jwt_header))
    if token is None:
        return False
    try:
        claims = jwt_codec.decode(token, cfg.jwt_secret)
    except jwt_codec.InvalidToken:
        return False
    # Only the DS's own shape, {"payload": {...}}: the tokens we hand the browser (setHistoryData's is a JWT over
    # {"url": ...}) must not double as the DS's, or a viewer could download what the editor only shows them.
    payload = claims.get("payload")
    signed_url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(signed_url, str):
        return False
    parts = urlsplit(signed_url)
    return parts.path == request.path and parse_qs(parts.query).get("token") == [request.GET.get("token")]
