"""Write the templates the product ships (doctemplates/builtin/<language>/): a letter, meeting notes, a budget sheet
and a slide deck, in English and German, each with a small PNG of its first page. Run it after changing the texts
below, and commit what it writes:

    .venv/bin/python scripts/make_templates.py

`./manage.py doctemplates install` then offers them to every space, with their pictures (doctemplates/builtin.py
lists them). The texts are written for this product; placeholders are in square brackets, so a reader sees at once
what to replace.
"""

# ruff: noqa: RUF001  (the texts use real en dashes and minus signs, as printed documents do)
from __future__ import annotations

import io
import re
import struct
import sys
import textwrap
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import docx
import openpyxl
import pptx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.util import Pt as PptPt

OUT = Path(__file__).resolve().parent.parent / "doctemplates" / "builtin"
# A fixed date inside every package, so that running the script again changes a file only when its text changed.
FIXED_DATE = (2026, 1, 1, 0, 0, 0)

TEXTS: dict[str, dict[str, object]] = {
    "en": {
        "letter": {
            "sender": ["[Your name]", "[Organisation]", "[Street and number]", "[Postcode and town]"],
            "recipient": ["[Recipient's name]", "[Organisation]", "[Street and number]", "[Postcode and town]"],
            "date": "[Town], [date]",
            "subject": "[Subject: what this letter is about, in one line]",
            "salutation": "Dear [name],",
            "body": [
                "[Start with why you are writing: the request, the answer or the news, in one or two sentences.]",
                "[Then give what the reader needs to act on it: dates, amounts, references. One topic per "
                "paragraph keeps the letter easy to answer.]",
                "[End with what happens next, or what you ask the reader to do, and by when.]",
            ],
            "closing": "Kind regards,",
            "signature": "[Your name]",
        },
        "meeting": {
            "title": "Meeting notes: [topic]",
            "facts": [
                ("Date and time", "[date], [start]–[end]"),
                ("Place", "[room or video link]"),
                ("Chair", "[name]"),
                ("Notes taken by", "[name]"),
                ("Present", "[names]"),
                ("Apologies", "[names]"),
            ],
            "agenda": "Agenda",
            "agenda_items": ["[First item]", "[Second item]", "[Any other business]"],
            "discussion": "Discussion",
            "discussion_text": "[For each agenda item: the main points raised, and the open questions.]",
            "decisions": "Decisions",
            "decision_items": ["[What was decided, and why, in one sentence each.]"],
            "actions": "Action items",
            "action_header": ("What", "Who", "By when"),
            "action_rows": [("[Task]", "[Name]", "[Date]"), ("", "", "")],
            "next": "Next meeting",
            "next_text": "[Date, time and place of the next meeting.]",
        },
        "budget": {
            "sheet": "Budget",
            "title": "Budget [year]: [project or team]",
            "header": ("Item", "Q1", "Q2", "Q3", "Q4", "Year"),
            "income": "Income",
            "income_rows": [("Grants and funding", 5000), ("Sales and fees", 3000), ("Other income", 500)],
            "income_total": "Total income",
            "costs": "Costs",
            "cost_rows": [
                ("Staff", 4000),
                ("Rent and utilities", 1200),
                ("Equipment and software", 600),
                ("Travel", 300),
                ("Other costs", 200),
            ],
            "cost_total": "Total costs",
            "balance": "Balance (income − costs)",
            "note": "Amounts are examples: type over them. Totals and the balance are formulas.",
        },
        "slides": {
            "title": "[Presentation title]",
            "subtitle": "[Your name] · [date]",
            "slide1": "Where we stand",
            "slide1_points": [
                "[The situation in one sentence]",
                "[What has changed since the last update]",
                "[The one number that matters most]",
            ],
            "slide2": "Next steps",
            "slide2_points": [
                "[Step one: who does what, by when]",
                "[Step two]",
                "[What we need from the audience]",
            ],
        },
    },
    "de": {
        "letter": {
            "sender": ["[Ihr Name]", "[Organisation]", "[Straße und Hausnummer]", "[PLZ und Ort]"],
            "recipient": [
                "[Name der Empfängerin / des Empfängers]",
                "[Organisation]",
                "[Straße und Hausnummer]",
                "[PLZ und Ort]",
            ],
            "date": "[Ort], [Datum]",
            "subject": "[Betreff: worum es in diesem Brief geht, in einer Zeile]",
            "salutation": "Sehr geehrte Damen und Herren,",
            "body": [
                "[Beginnen Sie mit dem Anlass: der Bitte, der Antwort oder der Nachricht, in ein bis zwei Sätzen.]",
                "[Nennen Sie dann, was die Leserin oder der Leser zum Handeln braucht: Termine, Beträge, "
                "Zeichen. Ein Thema pro Absatz macht den Brief leicht zu beantworten.]",
                "[Schließen Sie mit dem nächsten Schritt oder Ihrer Bitte, und bis wann.]",
            ],
            "closing": "Mit freundlichen Grüßen",
            "signature": "[Ihr Name]",
        },
        "meeting": {
            "title": "Besprechungsprotokoll: [Thema]",
            "facts": [
                ("Datum und Uhrzeit", "[Datum], [Beginn]–[Ende]"),
                ("Ort", "[Raum oder Videolink]"),
                ("Leitung", "[Name]"),
                ("Protokoll", "[Name]"),
                ("Anwesend", "[Namen]"),
                ("Entschuldigt", "[Namen]"),
            ],
            "agenda": "Tagesordnung",
            "agenda_items": ["[Erster Punkt]", "[Zweiter Punkt]", "[Verschiedenes]"],
            "discussion": "Besprechung",
            "discussion_text": "[Zu jedem Tagesordnungspunkt: die wichtigsten Beiträge und die offenen Fragen.]",
            "decisions": "Beschlüsse",
            "decision_items": ["[Was beschlossen wurde und warum, je ein Satz.]"],
            "actions": "Aufgaben",
            "action_header": ("Was", "Wer", "Bis wann"),
            "action_rows": [("[Aufgabe]", "[Name]", "[Datum]"), ("", "", "")],
            "next": "Nächste Besprechung",
            "next_text": "[Datum, Uhrzeit und Ort der nächsten Besprechung.]",
        },
        "budget": {
            "sheet": "Budget",
            "title": "Budget [Jahr]: [Projekt oder Team]",
            "header": ("Posten", "Q1", "Q2", "Q3", "Q4", "Jahr"),
            "income": "Einnahmen",
            "income_rows": [
                ("Zuschüsse und Förderung", 5000),
                ("Verkäufe und Gebühren", 3000),
                ("Sonstige Einnahmen", 500),
            ],
            "income_total": "Einnahmen gesamt",
            "costs": "Ausgaben",
            "cost_rows": [
                ("Personal", 4000),
                ("Miete und Nebenkosten", 1200),
                ("Ausstattung und Software", 600),
                ("Reisen", 300),
                ("Sonstige Ausgaben", 200),
            ],
            "cost_total": "Ausgaben gesamt",
            "balance": "Saldo (Einnahmen − Ausgaben)",
            "note": "Die Beträge sind Beispiele: überschreiben Sie sie. Summen und Saldo sind Formeln.",
        },
        "slides": {
            "title": "[Titel der Präsentation]",
            "subtitle": "[Ihr Name] · [Datum]",
            "slide1": "Wo wir stehen",
            "slide1_points": [
                "[Die Lage in einem Satz]",
                "[Was sich seit dem letzten Stand geändert hat]",
                "[Die eine Zahl, auf die es ankommt]",
            ],
            "slide2": "Nächste Schritte",
            "slide2_points": [
                "[Schritt eins: wer macht was bis wann]",
                "[Schritt zwei]",
                "[Was wir vom Publikum brauchen]",
            ],
        },
    },
}
# File names per kind of template, as doctemplates/builtin.py lists them.
FILES = {"letter": "letter.docx", "meeting": "meeting-notes.docx", "budget": "budget.xlsx", "slides": "slides.pptx"}


def _docx(document: docx.document.Document, language: str) -> bytes:
    document.core_properties.language = language
    document.core_properties.author = ""
    return _saved(document)


def letter(t: dict) -> docx.document.Document:
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    for line in t["sender"]:
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.space_after = Pt(0)
    document.add_paragraph()
    for line in t["recipient"]:
        document.add_paragraph(line).paragraph_format.space_after = Pt(0)
    document.add_paragraph()
    document.add_paragraph(t["date"]).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph().add_run(t["subject"]).bold = True
    document.add_paragraph(t["salutation"])
    for text in t["body"]:
        document.add_paragraph(text)
    document.add_paragraph(t["closing"])
    document.add_paragraph()
    document.add_paragraph(t["signature"])
    return document


def meeting(t: dict) -> docx.document.Document:
    document = docx.Document()
    document.add_heading(t["title"], level=1)
    facts = document.add_table(rows=0, cols=2)
    facts.style = "Light List Accent 1"
    for label, value in t["facts"]:
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.add_heading(t["agenda"], level=2)
    for item in t["agenda_items"]:
        document.add_paragraph(item, style="List Number")
    document.add_heading(t["discussion"], level=2)
    document.add_paragraph(t["discussion_text"])
    document.add_heading(t["decisions"], level=2)
    for item in t["decision_items"]:
        document.add_paragraph(item, style="List Bullet")
    document.add_heading(t["actions"], level=2)
    actions = document.add_table(rows=1, cols=3)
    actions.style = "Light Grid Accent 1"
    for cell, text in zip(actions.rows[0].cells, t["action_header"], strict=True):
        cell.text = text
    for row in t["action_rows"]:
        for cell, text in zip(actions.add_row().cells, row, strict=True):
            cell.text = text
    document.add_heading(t["next"], level=2)
    document.add_paragraph(t["next_text"])
    return document


def budget(t: dict) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = t["sheet"]
    bold = Font(bold=True)
    band = PatternFill("solid", fgColor="DDEBF7")
    money = "#,##0.00"
    sheet["A1"] = t["title"]
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(list(t["header"]))
    for cell in sheet[3]:
        cell.font, cell.fill = bold, band

    def block(heading: str, rows: list[tuple[str, int]], total_label: str) -> int:
        sheet.append([heading])
        sheet.cell(sheet.max_row, 1).font = bold
        first = sheet.max_row + 1
        for label, amount in rows:
            row = sheet.max_row + 1
            sheet.append([label, amount, amount, amount, amount, f"=SUM(B{row}:E{row})"])
        last = sheet.max_row
        total = last + 1
        sheet.append([total_label, *(f"=SUM({c}{first}:{c}{last})" for c in "BCDE"), f"=SUM(B{total}:E{total})"])
        for cell in sheet[total]:
            cell.font = bold
        return total

    income = block(t["income"], t["income_rows"], t["income_total"])
    sheet.append([])
    costs = block(t["costs"], t["cost_rows"], t["cost_total"])
    sheet.append([])
    sheet.append([t["balance"], *(f"={c}{income}-{c}{costs}" for c in "BCDEF")])
    # Read after the append: max_row does not count the empty row above, so max_row + 1 would style that one.
    balance = sheet.max_row
    for cell in sheet[balance]:
        cell.font, cell.fill = bold, band
    sheet.append([])
    sheet.append([t["note"]])
    sheet.cell(sheet.max_row, 1).font = Font(italic=True, color="666666")
    for row in sheet.iter_rows(min_row=4, min_col=2, max_col=6):
        for cell in row:
            cell.number_format = money
    sheet.column_dimensions["A"].width = 34
    for column in "BCDEF":
        sheet.column_dimensions[column].width = 14
    sheet.freeze_panes = "B4"
    return book


def slides(t: dict) -> pptx.presentation.Presentation:
    deck = pptx.Presentation()
    # 16:9, as screens and the editor show slides today. The default layouts are drawn for 4:3: widened with the
    # slide, or every title would sit in its left three quarters (also on the slides people add from them).
    ratio = pptx.util.Inches(13.333) / deck.slide_width
    deck.slide_width, deck.slide_height = pptx.util.Inches(13.333), pptx.util.Inches(7.5)
    _widen_layouts(deck, ratio)
    title_slide = deck.slides.add_slide(deck.slide_layouts[0])
    title_slide.shapes.title.text = t["title"]
    title_slide.placeholders[1].text = t["subtitle"]
    for heading, points in ((t["slide1"], t["slide1_points"]), (t["slide2"], t["slide2_points"])):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        body = slide.placeholders[1].text_frame
        body.text = points[0]
        for point in points[1:]:
            body.add_paragraph().text = point
        for paragraph in body.paragraphs:
            for run in paragraph.runs:
                run.font.size = PptPt(28)
    deck.core_properties.author = ""
    return deck


def _widen_layouts(deck: pptx.presentation.Presentation, ratio: float) -> None:
    """Every shape the master and the layouts place themselves, moved and widened by ``ratio``; those that inherit
    their place (no position of their own) follow their master's."""
    masters = list(deck.slide_masters)
    for shape in [shape for master in masters for shape in master.shapes] + [
        shape for master in masters for layout in master.slide_layouts for shape in layout.shapes
    ]:
        if shape._element.spPr.xfrm is None:  # inherits its place: moves with the shape it inherits from
            continue
        shape.left, shape.width = round(shape.left * ratio), round(shape.width * ratio)


def _saved(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return _with_fixed_dates(buffer.getvalue())


def _with_fixed_dates(data: bytes) -> bytes:
    """The same package with every member dated FIXED_DATE, in the same order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fixed_core_dates(content)
            member = zipfile.ZipInfo(info.filename, FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, content)
    return buffer.getvalue()


def _fixed_core_dates(xml: bytes) -> bytes:
    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2026-01-01T00:00:00Z\g<3>", xml)


def build(language: str) -> dict[str, bytes]:
    """Each template's file and its picture (the same name, .png), by file name."""
    t = TEXTS[language]
    letter_document, meeting_document = letter(t["letter"]), meeting(t["meeting"])
    book, deck = budget(t["budget"]), slides(t["slides"])
    built = {
        FILES["letter"]: (_docx(letter_document, language), document_picture(letter_document)),
        FILES["meeting"]: (_docx(meeting_document, language), document_picture(meeting_document)),
        FILES["budget"]: (_saved(book), sheet_picture(book.active)),
        FILES["slides"]: (_saved(deck), slide_picture(deck)),
    }
    files = {name: data for name, (data, _picture) in built.items()}
    pictures = {str(Path(name).with_suffix(".png")): picture for name, (_data, picture) in built.items()}
    return files | pictures


# --- the pictures: each template's first page, drawn as "New document" shows it (96 x 72 px, at twice that) -------
#
# Drawn here rather than by the Document Server, which only the running product has: text as bars as long as it is,
# in its colour, where it sits on the page; tables and cells as lines. The PNG is written here too, from the pixels
# and zlib (as the packages above are), so that the same texts give the same bytes, whatever Pillow is installed.

WHITE, BORDER, TEXT, DARK, GRID, HEADINGS = "FFFFFF", "C3C9D2", "A4ACB8", "4A5261", "D9DEE5", "EEF1F4"
# Average character width and line height, as fractions of the font size: what makes a bar as long as its text.
CHAR_WIDTH, LINE_HEIGHT, INK_HEIGHT = 0.46, 1.25, 0.62
PICTURE_BOX = (192, 144)


class Canvas:
    """Pixels of a few colours, each an index into a palette that grows in the order colours are first used."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.palette = [WHITE]
        self.pixels = bytearray(width * height)

    def fill(self, left: float, top: float, width: float, height: float, colour: str) -> None:
        """Paint the rectangle (clipped to the picture) in whole pixels: a sliver becomes one, nothing stays nothing."""
        if width <= 0 or height <= 0:
            return
        if colour not in self.palette:
            self.palette.append(colour)
        index = self.palette.index(colour)
        # Sizes rounded apart from places: bars of one height stay one height wherever they fall.
        x0, y0 = round(left), round(top)
        x1, y1 = min(self.width, x0 + max(1, round(width))), min(self.height, y0 + max(1, round(height)))
        x0, y0 = max(0, x0), max(0, y0)
        for y in range(y0, y1):
            self.pixels[y * self.width + x0 : y * self.width + x1] = bytes([index]) * max(0, x1 - x0)

    def frame(self) -> None:
        """A one-pixel edge, so that a white page stands out on a white page."""
        for left, top, width, height in (
            (0, 0, self.width, 1),
            (0, self.height - 1, self.width, 1),
            (0, 0, 1, self.height),
            (self.width - 1, 0, 1, self.height),
        ):
            self.fill(left, top, width, height, BORDER)

    def png(self) -> bytes:
        """An 8-bit palette PNG, with no chunk that would change from one run to the next (no time, no text)."""

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        rows = b"".join(b"\x00" + bytes(self.pixels[y * self.width : (y + 1) * self.width]) for y in range(self.height))
        palette = b"".join(bytes.fromhex(colour) for colour in self.palette)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"PLTE", palette)
            + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b"")
        )


def _sized(page_width: float, page_height: float) -> Canvas:
    """A canvas with the page's proportions, as large as fits the picture box."""
    scale = min(PICTURE_BOX[0] / page_width, PICTURE_BOX[1] / page_height)
    return Canvas(round(page_width * scale), round(page_height * scale))


def _colour(value: object, default: str) -> str:
    text = str(value or "")
    # openpyxl and python-docx give RGB, or ARGB with the alpha first.
    return text[-6:].upper() if re.fullmatch(r"([0-9A-Fa-f]{2})?[0-9A-Fa-f]{6}", text) else default


def _ink_and_pitch(size: float) -> tuple[int, int]:
    """A line's bar height and the distance from one line to the next, in whole pixels, for a font of ``size``
    pixels: at least a pixel between lines, or a paragraph's lines would run into one block."""
    ink = max(2, round(size * INK_HEIGHT))
    return ink, max(ink + 1, round(size * LINE_HEIGHT))


def _lines(text: str, width: int) -> list[str]:
    """The text as it wraps in ``width`` characters; an empty paragraph is one empty line."""
    return textwrap.wrap(text, max(1, width)) or [""]


# A Word document: each paragraph and table of the body, in order, until the page is full.


def document_picture(document: docx.document.Document) -> bytes:
    section = document.sections[0]
    canvas = _sized(section.page_width, section.page_height)
    per_point = canvas.width / (section.page_width / Pt(1))
    left = section.left_margin / Pt(1) * per_point
    usable = canvas.width - left - section.right_margin / Pt(1) * per_point
    bottom = canvas.height - section.bottom_margin / Pt(1) * per_point
    top = section.top_margin / Pt(1) * per_point
    normal = document.styles["Normal"].font.size
    base = normal.pt if normal is not None else 11.0
    for block in document.iter_inner_content():
        if top >= bottom:
            break
        if isinstance(block, Paragraph):
            top = _paragraph(canvas, block, left=left, top=top, usable=usable, per_point=per_point, base=base)
        else:
            top = _table(canvas, block, left=left, top=top, usable=usable, per_point=per_point, base=base)
    canvas.fill(0, bottom, canvas.width, canvas.height, WHITE)  # the page's lower margin: what runs over is cut
    canvas.frame()
    return canvas.png()


def _paragraph(
    canvas: Canvas, paragraph: Paragraph, *, left: float, top: float, usable: float, per_point: float, base: float
) -> float:
    """Draw the paragraph from ``top``; returns where the next block starts."""
    style = paragraph.style
    size = style.font.size.pt if style is not None and style.font.size is not None else base
    heading = style is not None and style.name.startswith(("Heading", "Title"))
    listed = style is not None and style.name.startswith("List")
    colour = TEXT
    if heading and style is not None and style.font.color is not None:
        colour = _colour(style.font.color.rgb, DARK)
    elif paragraph.runs and all(run.bold for run in paragraph.runs if run.text):
        colour = DARK
    before = style.paragraph_format.space_before if heading and style is not None else None
    top += before.pt * per_point if before is not None else 0
    indent = 18 * per_point if listed else 0
    char, ink, pitch = size * CHAR_WIDTH * per_point, *_ink_and_pitch(size * per_point)
    right = paragraph.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    for line in _lines(paragraph.text, int((usable - indent) / char)):
        length = len(line) * char
        if listed and line:
            canvas.fill(left + indent / 3, top, ink, ink, colour)
        x = left + usable - length if right else left + indent
        canvas.fill(x, top, length, ink, colour)
        top += pitch
    after = paragraph.paragraph_format.space_after
    return top + (after.pt * per_point if after is not None else size * 0.4 * per_point)


def _table(
    canvas: Canvas, table: Table, *, left: float, top: float, usable: float, per_point: float, base: float
) -> float:
    """Draw the table's rows (the first line of each cell) between rules; returns where the next block starts."""
    columns = len(table.columns)
    width = usable / columns
    char, (ink, pitch) = base * CHAR_WIDTH * per_point, _ink_and_pitch(base * per_point)
    pitch += 2 * ink  # a cell's padding
    grid = table.style is not None and "Grid" in table.style.name
    rule = BORDER
    for index, row in enumerate(table.rows):
        canvas.fill(left, top, usable, 1, rule)
        for column, cell in enumerate(row.cells):
            text = _lines(cell.text, int((width - 3) / char))[0]
            colour = DARK if (index == 0 and grid) or (column == 0 and not grid) else TEXT
            canvas.fill(left + column * width + 2, round(top) + ink, len(text) * char, ink, colour)
            if grid and column:
                canvas.fill(left + column * width, top, 1, pitch, rule)
        top += pitch
    canvas.fill(left, top, usable, 1, rule)
    return top + base * per_point


# A spreadsheet: the sheet as the editor opens it, with its column widths, grid lines, fills and bold text.

DEFAULT_COLUMN, COLUMN_PIXELS, ROW_PIXELS = 8.43, 7.0, 20.0


def sheet_picture(sheet: openpyxl.worksheet.worksheet.Worksheet) -> bytes:
    # One empty column past the last, as the editor shows more sheet than is filled.
    widths = [
        (sheet.column_dimensions[get_column_letter(column)].width or DEFAULT_COLUMN) * COLUMN_PIXELS
        for column in range(1, sheet.max_column + 2)
    ]
    canvas = Canvas(*PICTURE_BOX)
    per_pixel = (canvas.width - 1) / sum(widths)
    edges = [sum(widths[:column]) * per_pixel for column in range(len(widths) + 1)]
    row_height = ROW_PIXELS * per_pixel
    canvas.fill(0, 0, canvas.width, row_height, HEADINGS)  # the column headings' strip
    # Grid lines first: fills and text that runs over into empty cells hide them, as in the editor.
    for edge in edges:
        canvas.fill(edge, 0, 1, canvas.height, GRID)
    # Existing cells only: asking the sheet for one past its end would add it.
    filled = list(sheet.iter_rows(min_row=1, max_row=sheet.max_row, max_col=sheet.max_column))
    for number in range(1, int(canvas.height / row_height) + 1):
        top = number * row_height
        cells = filled[number - 1] if number <= len(filled) else ()
        for column, cell in enumerate(cells):
            if cell.fill is not None and cell.fill.fill_type == "solid":
                colour = _colour(cell.fill.fgColor.rgb, WHITE)
                canvas.fill(edges[column], top, edges[column + 1] - edges[column], row_height, colour)
        canvas.fill(0, top, canvas.width, 1, GRID)
        for column, cell in enumerate(cells):
            if cell.value is not None:
                alone = all(other.value is None for other in cells[column + 1 :])
                _cell(canvas, cell, (edges[column], edges[column + 1]), top, row_height, per_pixel, alone=alone)
    canvas.frame()
    return canvas.png()


def _cell(
    canvas: Canvas,
    cell: openpyxl.cell.cell.Cell,
    edges: tuple[float, float],
    top: float,
    height: float,
    per_pixel: float,
    *,
    alone: bool,
) -> None:
    """The cell's value as a bar: text from the left (over the empty cells to its right, as the editor shows it),
    numbers and formulas from the right, as wide as "#,##0.00" shows them."""
    font = cell.font
    char = (font.sz or 11.0) * CHAR_WIDTH * 96 / 72 * per_pixel
    number = isinstance(cell.value, int | float) or str(cell.value).startswith("=")
    shown = f"{cell.value:,.2f}" if isinstance(cell.value, int | float) else "0,000.00" if number else str(cell.value)
    left, right = edges[0] + 2, (canvas.width if alone and not number else edges[1]) - 2
    length = min(len(shown) * char, right - left)
    # Bold is darker; an italic note lighter.
    colour = DARK if font.b else BORDER if font.i else TEXT
    canvas.fill(right - length if number else left, top + height * 0.3, length, max(1.5, height * 0.4), colour)


# A presentation: its first slide, each text where its placeholder (or the layout's) puts it.

DEFAULT_SIZES = {PP_PLACEHOLDER.CENTER_TITLE: 44.0, PP_PLACEHOLDER.TITLE: 44.0, PP_PLACEHOLDER.SUBTITLE: 32.0}


def slide_picture(deck: pptx.presentation.Presentation) -> bytes:
    canvas = _sized(deck.slide_width, deck.slide_height)
    per_point = canvas.width / (deck.slide_width / PptPt(1))
    for shape in deck.slides[0].shapes:
        if not shape.has_text_frame or not shape.text_frame.text:
            continue
        kind = shape.placeholder_format.type if shape.is_placeholder else None
        centred = kind in (PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.SUBTITLE)
        colour = DARK if kind in (PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.TITLE) else TEXT
        left, width = shape.left / PptPt(1) * per_point, shape.width / PptPt(1) * per_point
        paragraphs = [
            (paragraph.text, next((run.font.size.pt for run in paragraph.runs if run.font.size is not None), None))
            for paragraph in shape.text_frame.paragraphs
        ]
        lines = list(_slide_lines(paragraphs, DEFAULT_SIZES.get(kind, 28.0), width, per_point))
        block = sum(pitch for _line, _char, pitch in lines)
        top = (shape.top / PptPt(1) + shape.height / PptPt(1) / 2) * per_point - block / 2
        for line, char, pitch in lines:
            length = len(line) * char
            x = left + (width - length) / 2 if centred else left + 2
            canvas.fill(x, top + pitch / 5, length, pitch * INK_HEIGHT / LINE_HEIGHT, colour)
            top += pitch
    canvas.frame()
    return canvas.png()


def _slide_lines(
    paragraphs: Iterable[tuple[str, float | None]], default: float, width: float, per_point: float
) -> Iterable[tuple[str, float, float]]:
    """Each line the paragraphs (text, font size) wrap into: its text, a character's width and the line's height, in
    pixels."""
    for text, size in paragraphs:
        char = (size or default) * CHAR_WIDTH * per_point
        for line in _lines(text, int(width / char)):
            yield line, char, (size or default) * LINE_HEIGHT * per_point


def main() -> int:
    for language in TEXTS:
        folder = OUT / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in build(language).items():
            (folder / name).write_bytes(data)
            print(f"{folder.relative_to(OUT.parent.parent) / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
