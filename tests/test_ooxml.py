"""The generated Office files read back with the libraries other programs' authors trust: python-docx,
openpyxl and python-pptx; and every package is internally consistent (parts parse, relationships resolve)."""

from __future__ import annotations

import io
import posixpath
import zipfile
from xml.etree import ElementTree

import docx
import openpyxl
import pptx
import pytest

from attachments import ooxml

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _package_problems(data: bytes) -> list[str]:
    """Whatever would make Office call the package corrupt: unparsable parts, untyped parts, dangling links."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if names[0] != "[Content_Types].xml":
            problems.append(f"first entry is {names[0]}")
        parsed = {}
        for name in names:
            try:
                parsed[name] = ElementTree.fromstring(archive.read(name))  # noqa: S314 - our own output
            except ElementTree.ParseError as exc:
                problems.append(f"{name}: {exc}")
        types = parsed["[Content_Types].xml"]
        defaults = {item.get("Extension") for item in types.iter(f"{_CT_NS}Default")}
        overrides = {item.get("PartName") for item in types.iter(f"{_CT_NS}Override")}
        for name in names:
            if (
                name != "[Content_Types].xml"
                and f"/{name}" not in overrides
                and name.rpartition(".")[2] not in defaults
            ):
                problems.append(f"{name} has no content type")
        for override in overrides:
            if override.lstrip("/") not in names:
                problems.append(f"content type for missing part {override}")
        for name in names:
            if not name.endswith(".rels"):
                continue
            source_dir = posixpath.dirname(posixpath.dirname(name))
            for rel in parsed[name].iter(f"{_REL_NS}Relationship"):
                target = posixpath.normpath(posixpath.join(source_dir, rel.get("Target")))
                if target not in names:
                    problems.append(f"{name}: {rel.get('Id')} points at missing {target}")
    return problems


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(ooxml.docx_bytes(["One", "Two"]), id="docx"),
        pytest.param(ooxml.xlsx_bytes([["a", 1], ["b", 2.5]]), id="xlsx"),
        pytest.param(ooxml.pptx_bytes([("A", "b\nc"), ("D", "")]), id="pptx"),
        *[pytest.param(ooxml.blank(ext), id=f"blank-{ext}") for ext in ooxml.BLANK_EXTENSIONS],
    ],
)
def test_it_writes_consistent_packages(data: bytes) -> None:
    assert _package_problems(data) == []


def test_it_writes_paragraphs_word_reads_back() -> None:
    paragraphs = ["Welcome", "", "Fish & chips <tonight>", "Ünïcødé ✓"]

    document = docx.Document(io.BytesIO(ooxml.docx_bytes(paragraphs)))

    assert [p.text for p in document.paragraphs] == paragraphs


def test_it_drops_characters_xml_cannot_carry() -> None:
    document = docx.Document(io.BytesIO(ooxml.docx_bytes(["bell\x07 and nul\x00"])))

    assert [p.text for p in document.paragraphs] == ["bell and nul"]


def test_it_writes_a_blank_document_with_one_empty_paragraph() -> None:
    document = docx.Document(io.BytesIO(ooxml.blank("docx")))

    assert [p.text for p in document.paragraphs] == [""]


def test_it_writes_cells_a_spreadsheet_reads_back_with_their_types() -> None:
    rows = [["Item", "Cost"], ["Laptops", 12000], ["Travel", 3450.5], ["Repeated", "Item"]]

    sheet = openpyxl.load_workbook(io.BytesIO(ooxml.xlsx_bytes(rows, sheet_name="Budget"))).active

    assert sheet.title == "Budget"
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == rows
    assert isinstance(sheet["B2"].value, int)


def test_it_places_cells_beyond_column_z() -> None:
    row: list[str | int | float] = [f"c{n}" for n in range(30)]

    sheet = openpyxl.load_workbook(io.BytesIO(ooxml.xlsx_bytes([row]))).active

    assert sheet["AD1"].value == "c29"


def test_it_refuses_numbers_a_spreadsheet_cannot_store() -> None:
    with pytest.raises(ValueError, match="A1"):
        ooxml.xlsx_bytes([[float("nan")]])


def test_it_writes_a_blank_sheet() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(ooxml.blank("xlsx"))).active

    assert sheet.max_row == 1
    assert sheet["A1"].value is None


def test_it_writes_slides_a_presentation_reads_back() -> None:
    slides = [("Roadmap", "Q1: plan\nQ2: build"), ("Questions?", "")]

    presentation = pptx.Presentation(io.BytesIO(ooxml.pptx_bytes(slides)))

    assert [slide.shapes.title.text for slide in presentation.slides] == ["Roadmap", "Questions?"]
    first_body = presentation.slides[0].placeholders[1].text_frame
    assert [p.text for p in first_body.paragraphs] == ["Q1: plan", "Q2: build"]
    assert presentation.slides[0].slide_layout.name == "Title and Content"


def test_it_writes_a_blank_presentation_with_one_empty_slide() -> None:
    presentation = pptx.Presentation(io.BytesIO(ooxml.blank("pptx")))

    assert len(presentation.slides) == 1
    assert presentation.slides[0].shapes.title.text == ""


def test_it_writes_files_the_libraries_can_save_again() -> None:
    # Saving walks every part and relationship, so a structural mistake the readers forgive shows up here.
    for data, module in (
        (ooxml.pptx_bytes([("A", "b")]), pptx.Presentation),
        (ooxml.docx_bytes(["a"]), docx.Document),
    ):
        out = io.BytesIO()
        module(io.BytesIO(data)).save(out)
        assert out.getvalue()[:2] == b"PK"


def test_it_refuses_unknown_blank_types() -> None:
    with pytest.raises(ValueError, match="odt"):
        ooxml.blank("odt")


def test_it_names_columns_like_spreadsheets_do() -> None:
    assert [ooxml.column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
