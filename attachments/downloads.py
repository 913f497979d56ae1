"""The one way a stored version goes out over HTTP: streamed, with its real type and display name."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
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
