"""The fake's "conversion": real, valid output files that carry the source's text when it is easy to get."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib

import docx
import openpyxl
import pptx
from pptx.util import Inches

PLACEHOLDER = "Converted by the fake ONLYOFFICE Document Server"


class CannotRender(Exception):
    """The source is corrupt for its declared type, or the target is one the fake does not produce."""


def source_lines(data: bytes, file_type: str) -> list[str]:
    """The source's text as lines; a placeholder line for binary formats the fake does not read."""
    try:
        lines = _read_lines(data, file_type.lower())
    except CannotRender:
        raise
    except Exception as error:
        # A file that does not parse as its declared type is what the server reports as -3.
        raise CannotRender(f"cannot read the {file_type} source: {error}") from error
    lines = [line for line in (line.strip() for line in lines) if line]
    return lines or [PLACEHOLDER]


def _read_lines(data: bytes, file_type: str) -> list[str]:
    if file_type in ("txt", "md", "csv", "tsv"):
        text = data.decode("utf-8", errors="replace")
        if file_type == "tsv":
            return [" ".join(row) for row in csv.reader(io.StringIO(text), delimiter="\t")]
        if file_type == "csv":
            return [" ".join(row) for row in csv.reader(io.StringIO(text))]
        return text.splitlines()
    if file_type in ("html", "htm"):
        text = re.sub(r"<[^>]+>", "\n", data.decode("utf-8", errors="replace"))
        return text.splitlines()
    if file_type in ("docx", "docm", "dotx", "dotm"):
        return [paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs]
    if file_type in ("xlsx", "xlsm", "xltx", "xltm"):
        return _spreadsheet_lines(data)
    if file_type in ("pptx", "pptm", "ppsx", "ppsm", "potx", "potm"):
        presentation = pptx.Presentation(io.BytesIO(data))
        return [
            shape.text_frame.text for slide in presentation.slides for shape in slide.shapes if shape.has_text_frame
        ]
    return []


def _spreadsheet_lines(data: bytes) -> list[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [
            " ".join(str(value) for value in row if value is not None)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


def render(lines: list[str], output_type: str, *, title: str) -> tuple[bytes, str]:
    """Bytes and MIME type of a valid `output_type` file holding the lines."""
    renderer = RENDERERS.get(output_type)
    if renderer is None:
        raise CannotRender(f"the fake does not produce {output_type}")
    return renderer(lines, title)


def _docx(lines: list[str], title: str) -> tuple[bytes, str]:
    document = docx.Document()
    document.core_properties.title = title
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _xlsx(lines: list[str], title: str) -> tuple[bytes, str]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    workbook.properties.title = title
    for line in lines:
        sheet.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _pptx(lines: list[str], title: str) -> tuple[bytes, str]:
    presentation = pptx.Presentation()
    presentation.core_properties.title = title
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])  # blank layout
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(8), Inches(5))
    box.text_frame.text = lines[0]
    for line in lines[1:]:
        box.text_frame.add_paragraph().text = line
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _pdf(lines: list[str], title: str) -> tuple[bytes, str]:
    return minimal_pdf(lines), "application/pdf"


def _txt(lines: list[str], title: str) -> tuple[bytes, str]:
    return ("\n".join(lines) + "\n").encode("utf-8"), "text/plain"


def _csv(lines: list[str], title: str) -> tuple[bytes, str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in lines:
        writer.writerow([line])
    return buffer.getvalue().encode("utf-8"), "text/csv"


def _png(lines: list[str], title: str) -> tuple[bytes, str]:
    return minimal_png(), "image/png"


RENDERERS = {"docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "pdf": _pdf, "txt": _txt, "csv": _csv, "png": _png}


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with the lines in Helvetica, with a correct xref table."""
    text_ops = ["BT", "/F1 12 Tf", "72 760 Td", "14 TL"]
    for line in lines[:50]:
        ascii_line = line.encode("ascii", errors="replace").decode("ascii")
        escaped = ascii_line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({escaped}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


# Page proportions (width, height) the fake draws each kind of document in.
_PAGE = {"word": (210, 297), "pdf": (210, 297), "cell": (297, 210), "slide": (320, 180), "diagram": (297, 210)}


def page_png(lines: list[str], kind: str | None, thumbnail: dict | None) -> tuple[bytes, str]:
    """The first page as a PNG, sized like the real server sizes a thumbnail: ``aspect`` 0 fills the width x height
    box, 1 keeps the page's proportions inside it, 2 (and no option) uses the page's own size. ``first: false``
    makes the result a zip of pages, as on the real server. Each source line is a grey bar, so pages differ."""
    page_w, page_h = _PAGE.get(kind or "word", (210, 297))
    natural = (page_w * 2, page_h * 2)
    option = thumbnail or {}
    box_w, box_h = option.get("width"), option.get("height")
    aspect = option.get("aspect")
    if not isinstance(box_w, int) or not isinstance(box_h, int) or not 0 < box_w <= 4096 or not 0 < box_h <= 4096:
        width, height = natural
    elif aspect == 0:
        width, height = box_w, box_h
    elif aspect == 1:
        scale = min(box_w / page_w, box_h / page_h)
        width, height = max(1, round(page_w * scale)), max(1, round(page_h * scale))
    else:
        width, height = natural
    data = _page_pixels(lines, width, height)
    if option.get("first") is False:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("image1.png", data)
        return buffer.getvalue(), "application/zip"
    return data, "image/png"


def _page_pixels(lines: list[str], width: int, height: int) -> bytes:
    # Coarse on purpose: a thumbnail is looked at some 30 pixels wide, where thin lines would vanish.
    margin = max(2, width // 8)
    bar = max(1, height // 16)
    gap = bar
    white, grey, dark = b"\xff\xff\xff", b"\xb8\xbf\xc9", b"\x2b\x4c\x8c"
    rows = []
    for y in range(height):
        row = white * width
        index, offset = divmod(y - margin, gap + bar)
        if y >= margin and offset < bar and index < len(lines) and y < height - margin:
            usable = width - 2 * margin
            length = max(1, min(usable, usable * min(len(lines[index]), 60) // 60))
            ink = dark if index == 0 else grey
            row = white * margin + ink * length + white * (width - margin - length)
        rows.append(b"\x00" + row)
    return _png_bytes(width, height, b"".join(rows))


def _png_bytes(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def minimal_png() -> bytes:
    """A 1 by 1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
