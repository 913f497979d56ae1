"""The one way a stored version goes out over HTTP: streamed, with its real type and display name."""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import content_disposition_header

from attachments.models import Attachment, Version


def version_response(
    request: HttpRequest, *, attachment: Attachment, version: Version, as_attachment: bool = True
) -> HttpResponse:
    """Stream the version's file in constant memory; HEAD and If-None-Match work.

    The Content-Disposition carries the attachment's display title, non-ASCII included (RFC 6266 filename*).
    """
    etag = f'"{version.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = _proxy_response(version, as_attachment=as_attachment, filename=attachment.title)
    if response is not None:
        response["ETag"] = etag
        return response
    handle = default_storage.open(version.file.name, "rb")
    _cork_until_closed(request, handle)
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=attachment.title,
        content_type=version.content_type or "application/octet-stream",
    )
    response["Content-Length"] = str(version.size)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cork_until_closed(request: HttpRequest, handle: File) -> None:
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


def _proxy_response(version: Version, *, as_attachment: bool, filename: str) -> HttpResponse | None:
    """An empty answer telling nginx (X-Accel-Redirect) or Apache (X-Sendfile) to send the file itself.

    None when the setting is off or the storage has no local files (S3): then the file is streamed from here.
    The proxy adds Content-Length from the file; the other headers are ours.
    """
    mode = getattr(settings, "ATTACHMENTS_SENDFILE", "off")
    if mode == "off":
        return None
    try:
        local_path = default_storage.path(version.file.name)
    except NotImplementedError:
        return None
    response = HttpResponse(content_type=version.content_type or "application/octet-stream")
    if mode == "x-accel-redirect":
        prefix = getattr(settings, "ATTACHMENTS_SENDFILE_PREFIX", "/protected-media/").rstrip("/")
        response["X-Accel-Redirect"] = f"{prefix}/{quote(version.file.name)}"
    else:
        response["X-Sendfile"] = local_path
    disposition = content_disposition_header(as_attachment, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response
