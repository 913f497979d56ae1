"""Write the templates the product ships (doctemplates/builtin/<language>/): a letter, meeting notes, a budget sheet
and a slide deck, in English and German. Run it after changing the texts below, and commit what it writes:

    .venv/bin/python scripts/make_templates.py

`./manage.py doctemplates install` then offers them to every space (doctemplates/builtin.py lists them). The texts
are written for this product; placeholders are in square brackets, so a reader sees at once what to replace.
"""

# ruff: noqa: RUF001  (the texts use real en dashes and minus signs, as printed documents do)
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pptx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl.styles import Font, PatternFill
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
    balance = sheet.max_row + 1
    sheet.append([t["balance"], *(f"={c}{income}-{c}{costs}" for c in "BCDEF")])
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
    return _saved(book)


def slides(t: dict) -> bytes:
    deck = pptx.Presentation()
    # 16:9, as screens and the editor show slides today.
    deck.slide_width, deck.slide_height = pptx.util.Inches(13.333), pptx.util.Inches(7.5)
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
    return _saved(deck)


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
    import re

    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2026-01-01T00:00:00Z\g<3>", xml)


def build(language: str) -> dict[str, bytes]:
    t = TEXTS[language]
    return {
        FILES["letter"]: _docx(letter(t["letter"]), language),
        FILES["meeting"]: _docx(meeting(t["meeting"]), language),
        FILES["budget"]: budget(t["budget"]),
        FILES["slides"]: slides(t["slides"]),
    }


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
