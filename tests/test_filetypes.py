"""attachments.filetypes: what type a file is, from its bytes, on real small files of each type."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
from PIL import Image

from attachments import filetypes, ooxml
from tests.fakeds.rendering import minimal_pdf, minimal_png

_ODF = "application/vnd.oasis.opendocument"


def sniff(data: bytes) -> str:
    return filetypes.sniff(io.BytesIO(data))


def matches(data: bytes, extension: str) -> bool:
    return filetypes.matches(io.BytesIO(data), extension)


def xlsx_from_openpyxl() -> bytes:
    # openpyxl writes [Content_Types].xml as the last member, unlike Office: a check of the zip's head would miss it.
    workbook = openpyxl.Workbook()
    workbook.active.append(["Revenue", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_member(package: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The package with one member's bytes changed."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == name else data)
    return buffer.getvalue()


def with_main_type(package: bytes, content_type: str) -> bytes:
    """The package with its main part declared as `content_type` (how docm, dotx, xltx, ppsx, … differ)."""
    main_override = re.compile(rb'(PartName="/(?:word/document|xl/workbook|ppt/presentation)\.xml" ContentType=")[^"]+')
    return with_member(
        package, "[Content_Types].xml", lambda data: main_override.sub(rb"\g<1>" + content_type.encode(), data)
    )


def package(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            # ODF wants its mimetype member stored, not compressed.
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else None)
    return buffer.getvalue()


def odf(mimetype: str) -> bytes:
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        b'<manifest:file-entry manifest:full-path="/" manifest:media-type="' + mimetype.encode() + b'"/>'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        b"</manifest:manifest>"
    )
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        b' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2">'
        b"<office:body/></office:document-content>"
    )
    return package([("mimetype", mimetype.encode()), ("META-INF/manifest.xml", manifest), ("content.xml", content)])


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, format=kind)
    return buffer.getvalue()


W = "application/vnd.openxmlformats-officedocument.wordprocessingml"
S = "application/vnd.openxmlformats-officedocument.spreadsheetml"
P = "application/vnd.openxmlformats-officedocument.presentationml"


@pytest.mark.parametrize(
    ("extension", "data"),
    [
        ("pdf", minimal_pdf(["Hello"])),
        ("docx", ooxml.docx_bytes(["Hello"])),
        ("xlsx", ooxml.xlsx_bytes([["Hello"]])),
        ("xlsx", xlsx_from_openpyxl()),
        ("pptx", ooxml.pptx_bytes([("Title", "Body")])),
        ("docm", with_main_type(ooxml.docx_bytes([]), "application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("dotx", with_main_type(ooxml.docx_bytes([]), f"{W}.template.main+xml")),
        (
            "dotm",
            with_main_type(ooxml.docx_bytes([]), "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"),
        ),
        ("xlsm", with_main_type(ooxml.xlsx_bytes([]), "application/vnd.ms-excel.sheet.macroEnabled.main+xml")),
        ("xltx", with_main_type(ooxml.xlsx_bytes([]), f"{S}.template.main+xml")),
        ("xltm", with_main_type(ooxml.xlsx_bytes([]), "application/vnd.ms-excel.template.macroEnabled.main+xml")),
        (
            "pptm",
            with_main_type(ooxml.pptx_bytes([]), "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
        ),
        ("ppsx", with_main_type(ooxml.pptx_bytes([]), f"{P}.slideshow.main+xml")),
        ("ppsm", with_main_type(ooxml.pptx_bytes([]), "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml")),
        ("potx", with_main_type(ooxml.pptx_bytes([]), f"{P}.template.main+xml")),
        ("potm", with_main_type(ooxml.pptx_bytes([]), "application/vnd.ms-powerpoint.template.macroEnabled.main+xml")),
        ("odt", odf(f"{_ODF}.text")),
        ("ott", odf(f"{_ODF}.text-template")),
        ("ods", odf(f"{_ODF}.spreadsheet")),
        ("ots", odf(f"{_ODF}.spreadsheet-template")),
        ("odp", odf(f"{_ODF}.presentation")),
        ("otp", odf(f"{_ODF}.presentation-template")),
        ("epub", odf("application/epub+zip")),
        ("png", minimal_png()),
        ("png", image("PNG")),
        ("jpg", image("JPEG")),
        ("gif", image("GIF")),
        ("bmp", image("BMP")),
        ("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Calibri;}} Hello\\par}"),
    ],
)
def test_it_recognises_each_type_by_its_content(extension: str, data: bytes) -> None:
    assert sniff(data) == extension
    assert matches(data, extension)
    assert matches(data, extension.upper()), "extensions compare caselessly"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "empty"),
        (b"Revenue went up\nSecond line\n", "text"),
        ("Umsatz gestiegen: Größe €\n".encode(), "text"),
        ("\ufeffWith a byte order mark".encode("utf-16"), "text"),
        (b"BMW quarterly report\n", "text"),
        (b"\xef\xbb\xbf <!DOCTYPE html><html><body>Hi</body></html>", "html"),
        (b"<?xml version='1.0'?><FictionBook/>", "xml"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "ole"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_it_names_what_is_not_a_document_format(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (package([("readme.txt", b"hi")]), "a plain zip"),
        (ooxml.docx_bytes(["Hello"])[:400], "a docx cut short"),
        (b"PK\x03\x04 an odt the converter does not read", "not a zip at all after its magic"),
        (package([("content.xml", b"<x/>"), ("mimetype", f"{_ODF}.text".encode())]), "ODF's mimetype not first"),
        (
            with_member(
                ooxml.docx_bytes([]), "[Content_Types].xml", lambda data: b'<!DOCTYPE t [<!ENTITY a "b">]>' + data
            ),
            "a DTD in the content types",
        ),
        (with_member(ooxml.docx_bytes([]), "_rels/.rels", lambda data: b"<Relationships/>"), "no main part"),
    ],
)
def test_it_calls_an_unrecognised_or_damaged_package_a_zip(data: bytes, reason: str) -> None:
    assert sniff(data) == "zip", reason


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (ooxml.docx_bytes(["Hello"]), "pdf"),
        (minimal_pdf(["Hello"]), "docx"),
        (xlsx_from_openpyxl(), "docx"),
        (ooxml.docx_bytes([]), "docm"),
        (with_main_type(ooxml.docx_bytes([]), "application/vnd.ms-word.document.macroEnabled.main+xml"), "docx"),
        (odf(f"{_ODF}.text"), "ods"),
        (odf(f"{_ODF}.text"), "docx"),
        (ooxml.docx_bytes([]), "odt"),
        (ooxml.docx_bytes(["Hello"]), "txt"),
        (minimal_pdf(["Hello"]), "csv"),
        (minimal_png(), "html"),
        (image("JPEG"), "png"),
        (b"BMW quarterly report\n", "bmp"),
        (b"Plain words", "rtf"),
        (b"", "pdf"),
        (b"<html><body>502 Bad Gateway</body></html>", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "docx"),
        (ooxml.docx_bytes([]), "doc"),
    ],
)
def test_it_refuses_content_of_another_type(data: bytes, extension: str) -> None:
    assert not matches(data, extension)


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (b"name,score\r\nAnn,3\r\n", "csv"),
        (b"a\tb\n", "tsv"),
        (b"# Title\n", "md"),
        (b"", "txt"),
        ("\ufeffUTF-16 text".encode("utf-16"), "txt"),
        (b"<!DOCTYPE html><html></html>", "html"),
        (b"<!DOCTYPE html><html></html>", "htm"),
        (b"<?xml version='1.0'?><FictionBook/>", "fb2"),
        (minimal_pdf([]), "pdfa"),
        (image("JPEG"), "jpeg"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "xls"),
        (b"anything at all", "djvu"),
    ],
)
def test_it_accepts_text_for_text_formats_and_anything_for_formats_it_cannot_check(data: bytes, extension: str) -> None:
    assert matches(data, extension)


def test_it_leaves_the_file_rewound() -> None:
    handle = io.BytesIO(xlsx_from_openpyxl())
    handle.seek(100)

    assert filetypes.sniff(handle) == "xlsx"

    assert handle.tell() == 0
