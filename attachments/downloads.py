"""How a stored version goes out over HTTP: streamed, with its real type and display name; for the Document Server
on S3, optionally a redirect to a presigned URL of the bucket (``version_redirect``)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from typing import BinaryIO, Protocol, TypeVar, cast
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.utils.http import content_disposition_header

from attachments.models import Attachment, Version
from attachments.storage import open_stream, s3_storage

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


class _PresigningStorage(Protocol):
    """django-storages' ``S3Storage.url``: a presigned GET URL, with extra ``get_object`` parameters."""

    def url(self, name: str, parameters: Mapping[str, str] | None = None, expire: int | None = None) -> str: ...


def version_response(request: HttpRequest, *, attachment: Attachment, version: Version) -> HttpResponseBase:
    """Stream the version's file in constant memory, as a download (``never_rendered``); HEAD and If-None-Match work.

    The same answer for people (file page, API) and for the Document Server (its document and history links).
    The Content-Disposition carries the attachment's display title, non-ASCII included (RFC 6266 filename*).
    """
    etag = f'"{version.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    proxied = _proxy_response(version)
    if proxied is not None:
        proxied["ETag"] = etag
        return never_rendered(proxied, filename=attachment.title)
    handle = open_stream(version.stored_name)
    _cork_until_closed(request, handle)
    response = FileResponse(handle, content_type=version.content_type or "application/octet-stream")
    response["Content-Length"] = str(version.size)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return never_rendered(response, filename=attachment.title)


def version_redirect(
    request: HttpRequest, *, attachment: Attachment, version: Version, expires_in: int
) -> HttpResponseBase:
    """A 302 to a presigned GET URL of the version's object in the bucket, valid ``expires_in`` seconds.

    For the Document Server only, once its link token and JWT have passed (connector/views/docserver.py): the
    bucket then sends the bytes instead of this process. The URL asks S3 for our display name and type
    (response-content-disposition and -type), but S3 cannot add ``never_rendered``'s nosniff and sandbox, and a
    presigned URL works for whoever it is passed on to until it expires: so people's downloads keep streaming.
    Streams here too (``version_response``) for HEAD, since the signature covers the method and S3 would refuse
    it, and when the storage cannot presign (files on disk, which the settings refuse with this option).
    """
    bucket = s3_storage()
    if request.method != "GET" or bucket is None:
        return version_response(request, attachment=attachment, version=version)
    storage = cast(_PresigningStorage, bucket)
    parameters = {
        "ResponseContentDisposition": content_disposition_header(True, attachment.title) or "attachment",
        "ResponseContentType": version.content_type or "application/octet-stream",
    }
    response = HttpResponseRedirect(storage.url(version.stored_name, parameters=parameters, expire=expires_in))
    # A redirect kept by a cache would outlive the URL's signature.
    response["Cache-Control"] = "no-store"
    return response


def never_rendered(response: ResponseT, *, filename: str) -> ResponseT:
    """Make a file response a download that no browser renders as a page of this site, whoever opens the link.

    Files are whatever users uploaded: a report.html or an SVG with a script, shown inline on our origin, runs with
    the session of whoever opens it. The Document Server's links carry no session and, without a JWT secret,
    nothing but their token, so anyone who saw one in an editor config could send it to a victim. Hence: always
    an attachment, never sniffed into HTML, and sandboxed (an opaque origin, no scripts) should a browser render
    it after all. Used for every version (pages, API, the DS's links), and for the changes zip and check file the
    Document Server fetches (connector/views/docserver.py).
    """
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    # Set here, django-csp's middleware leaves it in place of the pages' policy.
    response["Content-Security-Policy"] = "sandbox"
    return response


def _cork_until_closed(request: HttpRequest, handle: BinaryIO) -> None:
    """Under gunicorn, send the file in full TCP segments, as nginx does with ``tcp_nopush``.

    gunicorn writes the headers, then hands the whole file to one sendfile(2). On loopback, a 200 MB file took
    0.13 s that way against 0.10 s with the socket corked, and 0.11 s from nginx (docs/performance.md).
    Django closes the file when gunicorn closes the response, right after the last byte: uncorking there sends
    the tail at once instead of after the kernel's 200 ms limit. Anything else (another server, a Unix
    socket, a system without TCP_CORK) sends as before.
    """
    sock = request.META.get("gunicorn.socket")
    cork = getattr(socket, "TCP_CORK", None)
    if cork is None or not isinstance(sock, socket.socket) or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
    except OSError:
        return
    close = handle.close

    def uncork_then_close() -> None:
        with contextlib.suppress(OSError):  # the client may have gone; the file must be closed all the same
            sock.setsockopt(socket.IPPROTO_TCP, cork, 0)
        close()

    # Before FileResponse takes handle.close as the closer it calls when the response is closed.
    handle.close = uncork_then_close  # type: ignore[method-assign]


def _proxy_response(version: Version) -> HttpResponse | None:
    """An empty answer telling nginx (X-Accel-Redirect) or Apache (X-Sendfile) to send the file itself.

    None when the setting is off or the storage has no local files (S3): then the file is streamed from here.
    The proxy adds Content-Length from the file; the other headers are ours. nginx passes only some of them on
    (Content-Disposition, not nosniff or the CSP): its internal location adds those (docs/deploy.md).
    """
    mode = getattr(settings, "ATTACHMENTS_SENDFILE", "off")
    if mode == "off":
        return None
    try:
        local_path = default_storage.path(version.stored_name)
    except NotImplementedError:
        return None
    response = HttpResponse(content_type=version.content_type or "application/octet-stream")
    if mode == "x-accel-redirect":
        prefix = getattr(settings, "ATTACHMENTS_SENDFILE_PREFIX", "/protected-media/").rstrip("/")
        response["X-Accel-Redirect"] = f"{prefix}/{quote(version.stored_name)}"
    else:
        response["X-Sendfile"] = local_path
    response["Cache-Control"] = "private, no-cache"
    return response
