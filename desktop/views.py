"""Desktop editing's pages and endpoints: /dav/ (WebDAV, for the apps), "Open in desktop app", breaking a lock.

WsgiDAV runs inside a Django view rather than beside Django in the WSGI app (its maintainer's usual advice): the
view is a thin WSGI bridge, so that Django's request cycle applies to WebDAV too (database connections opened and
closed per request, the logging filters that keep link tokens out of logs, the security middleware's headers,
one WSGI entry point for gunicorn), and so that the same code answers in the tests' client and live server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Literal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attachments.display import user_name
from attachments.permissions import can_admin, can_download, can_edit, can_view, checked_for_page
from attachments.selectors import attachment_with_role
from attachments.users import AuthenticatedHttpRequest
from desktop import dav, emails, links, locks
from desktop.access import Refused, resolve

# What the apps may do: reading for every link, writing for edit links. Anything else (DELETE, MOVE, MKCOL, COPY)
# is not offered: files are renamed, moved and deleted on the site.
_READS = frozenset({"OPTIONS", "PROPFIND", "HEAD", "GET"})
_WRITES = frozenset({"LOCK", "UNLOCK", "PUT", "PROPPATCH"})
_ALLOW = ", ".join(sorted(_READS | _WRITES))


class _AppRedirect(HttpResponseRedirect):
    """A redirect to a desktop app's URI scheme (ms-word:, vnd.libreoffice.command:), which Django's refuses."""

    allowed_schemes = ["ms-word", "ms-excel", "ms-powerpoint", "vnd.libreoffice.command"]

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        # Django writes Location through iri_to_uri(), which turns the scheme's "|" separators into %7C: the apps
        # read those as part of the URL. The URI is ASCII already (the file name is quoted in the link's path,
        # a "|" in it too), and Django still refuses a header with a line break.
        self["Location"] = uri


@csrf_exempt
def dav_endpoint(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    """Every WebDAV request, with the link's token as the path's first segment."""
    token, _slash, _name = rest.partition("/")
    method = request.method or "GET"
    if not token:
        # Clients probe the server's WebDAV support above the file's folder; only OPTIONS is answered there.
        return _options("edit") if method == "OPTIONS" else _plain(404, _("Open the file from the site."))
    found = resolve(token)
    if isinstance(found, Refused):
        return _plain(found.status, found.message)
    if method == "OPTIONS":
        return _options(found.access)
    if method not in _READS | _WRITES:
        response = _plain(405, _("Rename, move and delete files on the site."))
        response["Allow"] = _ALLOW
        return response
    if method in _WRITES and found.access != "edit":
        return _plain(403, _("This link opens the file read-only."))
    if method == "PUT" and not request.META.get("CONTENT_LENGTH") and not request.META.get("wsgi.input_terminated"):
        # A chunked body this server cannot read to its end would arrive empty: refuse it rather than lose it.
        return _plain(411, _("Send the file with its length (Content-Length)."))
    return _call_wsgidav(request, found, rest)


def _call_wsgidav(request: HttpRequest, found: dav.DavRequest, rest: str) -> HttpResponseBase:
    environ: dav.Environ = dict(request.META)
    environ["PATH_INFO"] = "/" + rest
    # The body through Django's request, which never reads past Content-Length (WsgiDAV reads in whole blocks);
    # a chunked body (no Content-Length) from the server's own stream, which ends where the body does.
    if not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
        environ.pop("HTTP_TRANSFER_ENCODING", None)
    else:
        environ["wsgi.input"] = request
    # Word appends "?OR=ProtocolHandler…" and others add their own: no query string means anything here.
    environ["QUERY_STRING"] = ""
    environ["wsgidav.auth.user_name"] = found.principal
    environ["wsgidav.auth.realm"] = "dav"
    _own_lock_as_if_header(environ, found)
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        started.append((status, headers))

    with dav.serving(found):
        body = iter(dav.dav_app()(environ, start_response))
        # WsgiDAV's middleware are generators: the request is handled when the body is first read, so read it
        # here, with the link in place; after the first chunk only a file's bytes remain to stream.
        first = next(body, b"")
        if request.method != "GET":
            rest_of_body = b"".join(body)
            body = iter([rest_of_body])
    status, headers = started[-1]
    code, _space, reason = status.partition(" ")
    response = StreamingHttpResponse(_chain(first, body), status=int(code), reason=reason or None)
    del response["Content-Type"]
    for header, value in headers:
        response[header] = value
    return response


def _own_lock_as_if_header(environ: dav.Environ, found: dav.DavRequest) -> None:
    """Word 2016 has been seen to name its lock in a Lock-Token: header on PUT rather than in If:, and to send
    PROPPATCH (Windows file times) with neither: both are its own lock's writes, so they are read as such."""
    if "HTTP_IF" in environ:
        return
    method = environ.get("REQUEST_METHOD")
    named = environ.get("HTTP_LOCK_TOKEN")
    if method == "PUT" and isinstance(named, str) and named.strip():
        environ["HTTP_IF"] = f"({named.strip()})"
    elif method == "PROPPATCH":
        own = locks.live_through(attachment=found.attachment, user=found.user, link_digest=found.link.digest).first()
        if own is not None:
            environ["HTTP_IF"] = f"(<{own.token}>)"


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterable[bytes]:
    if first:
        yield first
    yield from rest


def _options(access: links.Access) -> HttpResponse:
    """What the link may do, as Word and LibreOffice ask before anything else: WebDAV class 2 (locking), and the
    methods of the link's access. Word opens a file read-only unless it sees MS-Author-Via: DAV."""
    response = HttpResponse(status=200)
    response["DAV"] = "1, 2"
    response["MS-Author-Via"] = "DAV"
    response["Allow"] = _ALLOW if access == "edit" else ", ".join(sorted(_READS))
    return response


def _plain(status: int, message: str) -> HttpResponse:
    # No WWW-Authenticate, ever: a refused link must not make the app ask for a password it cannot use.
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@login_required
def open_in_app(
    request: AuthenticatedHttpRequest, attachment_id: int, app: Literal["office", "libreoffice"]
) -> HttpResponseBase:
    """A fresh link, handed to the app by its URI scheme: the browser asks the user to open the app."""
    attachment, role = checked_for_page(attachment_with_role(request.user, attachment_id), can_view)
    access: links.Access = "edit" if can_edit(role) else "view"
    if access == "view" and not can_download(role):
        raise Http404
    url = links.dav_url(request, user=request.user, attachment=attachment, access=access)
    uri = links.app_uri(app, file_type=attachment.file_type, url=url, access=access)
    if uri is None:
        raise Http404
    response = _AppRedirect(uri)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def lock_break(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponseBase:
    """A space admin ends the desktop locks on a file; each holder is told by e-mail that their next save from the
    app will be refused, and how to keep their edits."""
    attachment, _role = checked_for_page(attachment_with_role(request.user, attachment_id), can_admin)
    broken = locks.lock_break(attachment=attachment, broken_by=request.user)
    for lock in broken:
        # An admin who breaks their own lock has just read what it means on the page.
        if lock.user_id != request.user.pk:
            emails.lock_broken(
                holder=lock.user,
                admin=request.user,
                attachment=attachment,
                link=request.build_absolute_uri(reverse("attachment_detail", args=[attachment.pk])),
            )
    values = {"title": attachment.title, "names": ", ".join(user_name(lock.user) for lock in broken)}
    if broken:
        messages.success(
            request,
            ngettext(
                "The desktop lock on “%(title)s” was broken, so others can edit the file again. %(names)s can no "
                "longer save it from their app.",
                "The desktop locks on “%(title)s” were broken, so others can edit the file again. %(names)s can no "
                "longer save it from their apps.",
                len(broken),
            )
            % values,
        )
    else:
        # The app closed the file, or another admin was quicker, since the page was shown.
        messages.info(
            request, _("“%(title)s” is not open in a desktop app any more: there was no lock to break.") % values
        )
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("attachment_detail", args=[attachment.pk])
    return redirect(back)


def desktop_help(request: HttpRequest) -> HttpResponse:
    # Rounded up: a link that works for 90 seconds works for "2 minutes" as a person counts them, never "0".
    minutes = max(1, math.ceil(settings.DESKTOP_LINK_SECONDS / 60))
    return render(request, "desktop/help.html", {"link_minutes": minutes})
