"""Streaming files into Django's storage while measuring them, in constant memory."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from django.core.files import File
from django.core.files.storage import Storage, default_storage, storages

from attachments.filenames import file_type

CHUNK_SIZE = 1024 * 1024
# The class STORAGE_BACKEND=s3 configures (config/settings.py); named, so that disk storage never imports boto3.
S3_BACKEND = "storages.backends.s3.S3Storage"

# Office types are missing from the mime tables of slim images; the content type decides how browsers
# and the Document Server treat a download, so never leave them to chance.
_EXTRA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".csv": "text/csv",
    ".md": "text/markdown",
}
for _ext, _type in _EXTRA_TYPES.items():
    mimetypes.add_type(_type, _ext)


class FileTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    sha256: str


class _MeasuredStream(io.BufferedIOBase):
    """A read-only, non-seekable file over an iterable of chunks that hashes and counts what passes through.

    A well-behaved file object, because storages ask it what files answer: django-storages' S3 backend and
    boto3 check ``closed``, ``readable()`` and ``seekable()``. Not seekable, so nothing rewinds it or asks its
    size before reading; boto3 then uploads it as a stream. Buffered semantics on purpose: ``read(n)`` returns
    ``n`` bytes until the end, because boto3 takes a first read shorter than 8 MB for the whole file (and
    reads the rest into memory at once) and sends each later read as one part of a multipart upload, which
    S3 refuses below 5 MB.
    """

    def __init__(self, chunks: Iterable[bytes], max_size: int | None) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = memoryview(b"")
        self._max_size = max_size
        self.bytes_read = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read1(CHUNK_SIZE), b""))
        parts: list[bytes] = []
        missing = size
        while missing > 0:
            part = self.read1(missing)
            if not part:
                break
            parts.append(part)
            missing -= len(part)
        return b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        """At most ``size`` bytes of the current chunk, fetching the next one only when it is used up."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = memoryview(chunk)
        taken = bytes(self._pending if size < 0 else self._pending[:size])
        self._pending = self._pending[len(taken) :]
        self.bytes_read += len(taken)
        if self._max_size is not None and self.bytes_read > self._max_size:
            raise FileTooLarge(self._max_size)
        self.digest.update(taken)
        return taken

    def close(self) -> None:
        self._pending = memoryview(b"")  # let go of the last chunk now, not when the stream is collected
        super().close()


def content_type_for(title: str) -> str:
    guessed, _encoding = mimetypes.guess_type(title, strict=False)
    return guessed or "application/octet-stream"


def storage_name_for(*, space_id: int, title: str) -> str:
    """A fresh storage name that owes nothing to the uploaded filename except a short, tame extension."""
    ext = file_type(title)
    suffix = f".{ext}" if ext.isascii() and ext.isalnum() and len(ext) <= 10 else ""
    return f"spaces/{space_id}/{uuid.uuid4().hex}{suffix}"


def store_chunks(chunks: Iterable[bytes], *, name: str, max_size: int | None = None) -> StoredFile:
    """Write the chunks to default storage under ``name``; on any error nothing is left behind."""
    stream = _MeasuredStream(chunks, max_size)
    saved_name: str | None = None
    try:
        # File() is typed to take a typing.IO, which typeshed does not declare io's classes to be; it only reads.
        saved_name = default_storage.save(name, File(cast(BinaryIO, stream), name=name))
    except BaseException:
        # A partial write may exist under the name we asked for (or an alternative the storage chose).
        if default_storage.exists(name):
            default_storage.delete(name)
        raise
    return StoredFile(name=saved_name, size=stream.bytes_read, sha256=stream.digest.hexdigest())


def open_chunks(name: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    with open_stream(name) as handle:
        yield from iter(lambda: handle.read(chunk_size), b"")


def open_stream(name: str) -> BinaryIO:
    """The stored file for reading front to back, its first bytes at once, in constant memory.

    django-storages' S3 file fetches the whole object before the first read returns: a 50 MB download (to a
    person, to the Document Server) sent nothing until all 50 MB had come from the bucket. From a bucket this is
    the object's own body, read as it arrives; from disk, the file.
    """
    bucket = s3_storage()
    if bucket is None:
        return cast(BinaryIO, default_storage.open(name, "rb"))
    from storages.utils import clean_name  # boto3 and django-storages are imported only where S3 is used

    # The storage's own name → key rule: its location prefix, its refusal of names that climb out of it.
    key = bucket._normalize_name(clean_name(name))  # type: ignore[attr-defined]  # S3Storage's, not Storage's
    return cast(BinaryIO, bucket.bucket.Object(key).get()["Body"])  # type: ignore[attr-defined]  # S3Storage's


def s3_storage() -> Storage | None:
    """The default storage when it is the bucket ``STORAGE_BACKEND=s3`` configures (config/settings.py)."""
    storage = storages["default"]
    kind = type(storage)
    return storage if f"{kind.__module__}.{kind.__qualname__}" == S3_BACKEND else None


def delete_quietly(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)
