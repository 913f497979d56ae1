"""What type a file is, judged by its bytes rather than by its name.

Magic numbers for PDF, RTF, images and legacy Office (OLE) files. Zip packages say themselves what they hold:
Office Open XML declares the content type of its main part (the target of the package's ``officeDocument``
relationship) in ``[Content_Types].xml``; OpenDocument and EPUB store their media type in a first member named
``mimetype``. What is none of these is "text" when it looks like text, else "binary".

Telling packages apart needs the whole file, seekable: a zip's directory is at its end, and writers such as
openpyxl put ``[Content_Types].xml`` last. So callers pass a file, never just its first bytes.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from typing import BinaryIO
from xml.etree import ElementTree

from attachments.filenames import file_type

HEAD_SIZE = 8192
# The parts read to tell a package's type are small; a bigger one is not a document we made or asked for.
PART_LIMIT = 1024 * 1024

EMPTY, TEXT, HTML, XML, ZIP, OLE, BINARY = "empty", "text", "html", "xml", "zip", "ole", "binary"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"{\\rtf", "rtf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, or an empty one
# What zipfile raises for a damaged or unusual archive (RuntimeError: an encrypted member); such a zip is a "zip".
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    ValueError,
    zlib.error,
)

_W, _S, _P = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml",
    "application/vnd.openxmlformats-officedocument.presentationml",
)
# Content types of the main part, lower-cased: MIME types compare case-insensitively, and writers differ on
# "macroEnabled" against "macroenabled".
OOXML_MAIN_TYPES: dict[str, str] = {
    f"{_W}.document.main+xml": "docx",
    f"{_W}.template.main+xml": "dotx",
    "application/vnd.ms-word.document.macroenabled.main+xml": "docm",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": "dotm",
    f"{_S}.sheet.main+xml": "xlsx",
    f"{_S}.template.main+xml": "xltx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xltm",
    "application/vnd.ms-excel.sheet.binary.macroenabled.main": "xlsb",
    f"{_P}.presentation.main+xml": "pptx",
    f"{_P}.slideshow.main+xml": "ppsx",
    f"{_P}.template.main+xml": "potx",
    "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml": "pptm",
    "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml": "ppsm",
    "application/vnd.ms-powerpoint.template.macroenabled.main+xml": "potm",
}
_ODF = "application/vnd.oasis.opendocument"
MIMETYPE_MEMBER_TYPES: dict[str, str] = {
    f"{_ODF}.text": "odt",
    f"{_ODF}.text-template": "ott",
    f"{_ODF}.spreadsheet": "ods",
    f"{_ODF}.spreadsheet-template": "ots",
    f"{_ODF}.presentation": "odp",
    f"{_ODF}.presentation-template": "otp",
    f"{_ODF}.graphics": "odg",
    "application/epub+zip": "epub",
}
# Formats with no signature of their own: any text will do (markdown, csv and plain text look alike).
TEXT_FORMATS = frozenset({"txt", "csv", "tsv", "md", "html", "htm", "xml", "fb2"})
# An empty file is a valid text file (an empty document converted to txt, say).
_TEXT_KINDS = frozenset({TEXT, HTML, XML, EMPTY})
# Legacy Office files share one container, so the content cannot tell a .doc from a .xls.
OLE_FORMATS = frozenset({"doc", "dot", "xls", "xlt", "ppt", "pot", "pps"})
_ALIASES = {"jpeg": "jpg", "pdfa": "pdf", "htm": "html"}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Every extension whose content ``matches`` checks exactly (text and OLE formats aside).
CHECKED_EXTENSIONS = frozenset(
    {kind for _magic, kind in _MAGIC if kind != OLE}
    | {"bmp"}
    | set(OOXML_MAIN_TYPES.values())
    | set(MIMETYPE_MEMBER_TYPES.values())
)
# Parts are UTF-8 or UTF-16 (OPC); a DTD is refused in either.
_DTD_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
# Sizes of the BMP info headers in use (OS/2 1.x, Windows 3.x, the v2 to v5 extensions).
_BMP_INFO_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})


def sniff(handle: BinaryIO) -> str:
    """The type of the file's content: an extension ("pdf", "docx", "odt", "png", …) when it is recognised,
    else "zip", "ole", "html", "xml", "text", "binary" or "empty". Reads from the start and rewinds after."""
    handle.seek(0)
    try:
        head = handle.read(HEAD_SIZE)
        if not head:
            return EMPTY
        if head.startswith(_ZIP_MAGIC):
            return _package_type(handle)
        return _head_type(head)
    finally:
        handle.seek(0)


def matches(handle: BinaryIO, extension: str) -> bool:
    """Whether the content is a file of this extension. Text formats accept any text; extensions this module
    has no check for accept anything."""
    expected = normalized(extension)
    found = sniff(handle)
    if expected in TEXT_FORMATS:
        return found in _TEXT_KINDS
    if expected in OLE_FORMATS:
        return found == OLE
    if expected in CHECKED_EXTENSIONS:
        return found == expected
    return True


def normalized(extension: str) -> str:
    """The extension as this module names its type ("JPEG" → "jpg", ".pdfa" → "pdf")."""
    name = extension.lower().lstrip(".")
    return _ALIASES.get(name, name)


def _head_type(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if _is_bmp(head):
        return "bmp"
    if not _looks_like_text(head):
        return BINARY
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:64].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return HTML
    if start.startswith(b"<?xml"):
        return XML
    return TEXT


def _is_bmp(head: bytes) -> bool:
    # "BM" alone starts plenty of text; the declared header size makes it a bitmap.
    return len(head) >= 18 and head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_INFO_SIZES


def _looks_like_text(head: bytes) -> bool:
    # UTF-16 text is full of NUL bytes, but then it starts with a byte order mark.
    return head.startswith(_BOMS) or b"\x00" not in head


def _package_type(handle: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(handle) as archive:
            return _ooxml_type(archive) or _mimetype_member_type(archive) or ZIP
    except _ZIP_ERRORS:
        return ZIP


def _ooxml_type(archive: zipfile.ZipFile) -> str | None:
    """The extension matching the content type of the package's main part, or None."""
    relationships = _member_xml(archive, "_rels/.rels")
    content_types = _member_xml(archive, "[Content_Types].xml")
    if relationships is None or content_types is None:
        return None
    target = next(
        (
            element.get("Target", "")
            for element in relationships
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/officeDocument")
        ),
        "",
    )
    if not target:
        return None
    part = posixpath.normpath("/" + target.lstrip("/"))
    return OOXML_MAIN_TYPES.get(_content_type(content_types, part).lower())


def _content_type(content_types: ElementTree.Element, part: str) -> str:
    """The part's content type: its Override, else the Default for its extension (names compare caselessly)."""
    extension = file_type(posixpath.basename(part))
    default = ""
    for element in content_types:
        tag = _local(element.tag)
        if tag == "Override" and element.get("PartName", "").lower() == part.lower():
            return element.get("ContentType", "")
        if tag == "Default" and element.get("Extension", "").lower() == extension:
            default = element.get("ContentType", "")
    return default


def _mimetype_member_type(archive: zipfile.ZipFile) -> str | None:
    members = archive.infolist()
    if not members or members[0].filename != "mimetype":
        return None
    with archive.open(members[0]) as member:
        declared = member.read(256).decode("ascii", errors="replace").strip()
    return MIMETYPE_MEMBER_TYPES.get(declared.lower())


def _member_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    """A small XML member, parsed; None when it is missing, too big, has a DTD, or is not XML."""
    # Part names in a package are case-insensitive.
    info = next((info for info in archive.infolist() if info.filename.lower() == name.lower()), None)
    if info is None or info.file_size > PART_LIMIT:
        return None
    with archive.open(info) as member:
        data = member.read(PART_LIMIT + 1)
    # Packages may not carry DTDs, and refusing them rules out entity expansion attacks.
    if len(data) > PART_LIMIT or any(mark in data for mark in _DTD_MARKS):
        return None
    try:
        return ElementTree.fromstring(data)  # noqa: S314  (no DTD, so no entities to expand)
    except ElementTree.ParseError:
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
