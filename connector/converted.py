"""Files the Document Server converted, checked before anything stores them.

A broken converter hands back its input unchanged (the real server's own test converter does exactly that), and
a proxy may answer with an error page: either would otherwise be stored under the name the user asked for, as a
.pdf that is a .docx. The check is by content (``attachments.filetypes``), so a mismatch fails the conversion
before one byte reaches storage.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from typing import BinaryIO, cast

from django.utils.translation import gettext as _

from attachments import filetypes
from attachments.storage import CHUNK_SIZE
from connector.docserver import DocServerError

logger = logging.getLogger(__name__)

# Results up to this size are checked in memory; bigger ones go to a temporary file on the worker's disk.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


class ConvertedTypeMismatch(DocServerError):
    """The converted file is not of the type asked for. Not transient: the DS answers the same key from its cache."""

    def __init__(self, *, expected: str, found: str) -> None:
        super().__init__(
            _("The Document Server returned a file that is not in the %(format)s format.")
            % {"format": expected.upper()}
        )
        self.expected = expected
        self.found = found


def verify_converted(
    source: BinaryIO | bytes | str | PathLike[str], expected_ext: str, *, label: str = "converted file"
) -> None:
    """Raise ``ConvertedTypeMismatch`` unless the content is a file of ``expected_ext``; log what came instead.

    ``source`` is the whole file (a seekable file object, its bytes or its path): OOXML's content types may sit
    at the end of the zip. A file object is left rewound. ``label`` names the file in the log ("conversion 12").
    """
    if isinstance(source, bytes):
        _verify(io.BytesIO(source), expected_ext, label)
    elif isinstance(source, str | PathLike):
        with open(source, "rb") as handle:
            _verify(handle, expected_ext, label)
    else:
        _verify(source, expected_ext, label)


@contextmanager
def verified_chunks(
    chunks: Iterable[bytes], *, expected_ext: str, label: str = "converted file"
) -> Iterator[Iterator[bytes]]:
    """The chunks again, once all of them have been checked to make a file of ``expected_ext``.

    They are spooled first (in memory up to ``SPOOL_IN_MEMORY``, then on local disk), so memory stays bounded
    for a 100 MB result and nothing is written to storage, local or S3, unless the file passed. Raises
    ``ConvertedTypeMismatch``, and whatever reading ``chunks`` raises.
    """
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        for chunk in chunks:
            spool.write(chunk)
        handle = cast(BinaryIO, spool)
        verify_converted(handle, expected_ext, label=label)
        yield iter(lambda: handle.read(CHUNK_SIZE), b"")


def _verify(handle: BinaryIO, expected_ext: str, label: str) -> None:
    if filetypes.matches(handle, expected_ext):
        return
    found = filetypes.sniff(handle)
    head = handle.read(16)
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    logger.warning(
        "%s rejected: expected %s, the Document Server returned %s (%d bytes, starting %r)",
        label,
        filetypes.normalized(expected_ext),
        found,
        size,
        head,
    )
    raise ConvertedTypeMismatch(expected=expected_ext, found=found)
