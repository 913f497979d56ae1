"""The one way a stored version goes out over HTTP: streamed, with its real type and display name."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified

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
