"""The upload size limit, enforced while the body streams in, before any of it is stored.

The limit must be in place before anything reads ``request.POST``/``FILES``; the CSRF middleware does
that for every POST, so the handler is installed by a middleware that runs ahead of it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from attachments.display import filesize

_FLAG = "_upload_too_large"


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops the upload as soon as one file passes the limit, and flags the request."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            setattr(self.request, _FLAG, True)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"}:
            request.upload_handlers.insert(0, SizeLimitUploadHandler(request, settings.ATTACHMENTS_MAX_UPLOAD_SIZE))
        return self.get_response(request)


def upload_too_large(request: HttpRequest) -> bool:
    """True when a file in this request was cut off at the size limit (it is then absent from FILES)."""
    request.FILES  # noqa: B018 - parsing the body is what sets the flag
    return bool(getattr(request, _FLAG, False))


def upload_too_large_message() -> str:
    return _("The file is larger than the upload limit of %(limit)s.") % {
        "limit": filesize(settings.ATTACHMENTS_MAX_UPLOAD_SIZE)
    }
