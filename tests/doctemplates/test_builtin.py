"""The shipped templates: written by scripts/make_templates.py, opened here by the Office libraries, installed by
`manage.py doctemplates install`."""

from __future__ import annotations

import ast
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from django.core.management import call_command

from doctemplates.builtin import BUILTINS
from doctemplates.models import DocumentTemplate
from doctemplates.services import builtin_templates_install

ROOT = Path(__file__).resolve().parents[2]


def _text(document: docx.document.Document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def test_it_ships_four_templates_in_english_and_german() -> None:
    assert sorted(builtin.key for builtin in BUILTINS) == sorted(
        f"{kind}-{language}" for kind in ("letter", "meeting-notes", "budget", "slides") for language in ("en", "de")
    )
    assert all(builtin.path.is_file() for builtin in BUILTINS)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", ["[Your name]", "Dear [name],", "Kind regards,"]), ("de", ["[Ihr Name]", "Mit freundlichen Grüßen"])],
)
def test_it_ships_a_letter(language: str, expected: list[str]) -> None:
    document = docx.Document(str(ROOT / f"doctemplates/builtin/{language}/letter.docx"))
    text = _text(document)
    assert all(part in text for part in expected)
    assert document.core_properties.language == language


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("en", ["Agenda", "Decisions", "Action items", "Next meeting"]),
        ("de", ["Tagesordnung", "Beschlüsse", "Aufgaben", "Nächste Besprechung"]),
    ],
)
def test_it_ships_meeting_notes_with_an_action_table(language: str, headings: list[str]) -> None:
    document = docx.Document(str(ROOT / f"doctemplates/builtin/{language}/meeting-notes.docx"))
    found = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert all(heading in found for heading in headings)
    assert len(document.tables) == 2
    assert len(document.tables[1].columns) == 3


@pytest.mark.parametrize(("language", "total"), [("en", "Total costs"), ("de", "Ausgaben gesamt")])
def test_it_ships_a_budget_whose_totals_are_formulas(language: str, total: str) -> None:
    sheet = openpyxl.load_workbook(ROOT / f"doctemplates/builtin/{language}/budget.xlsx").active
    assert sheet is not None
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    totals = rows[total]
    assert [cell.value for cell in totals[1:]] == [
        "=SUM(B11:B15)",
        "=SUM(C11:C15)",
        "=SUM(D11:D15)",
        "=SUM(E11:E15)",
        "=SUM(B16:E16)",
    ]
    # Every item row sums its quarters; the balance subtracts the costs from the income.
    assert sheet["F5"].value == "=SUM(B5:E5)"
    balance = next(row for label, row in rows.items() if str(label).startswith(("Balance", "Saldo")))
    assert balance[1].value == "=B8-B16"


@pytest.mark.parametrize(("language", "second"), [("en", "Where we stand"), ("de", "Wo wir stehen")])
def test_it_ships_a_deck_with_a_title_and_two_content_slides(language: str, second: str) -> None:
    deck = pptx.Presentation(str(ROOT / f"doctemplates/builtin/{language}/slides.pptx"))
    assert len(deck.slides) == 3
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[1] == second
    assert len(deck.slides[1].placeholders[1].text_frame.paragraphs) == 3


def test_the_script_writes_the_committed_files_again(tmp_path: Path) -> None:
    # The files are the script's output, byte for byte (dates inside are fixed): editing one by hand is caught.
    code = (
        "import sys; sys.path.insert(0, 'scripts'); import make_templates as m; "
        "import hashlib; print({k: hashlib.sha256(v).hexdigest() for k, v in m.build('de').items()})"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    built = ast.literal_eval(result.stdout)
    folder = ROOT / "doctemplates/builtin/de"
    committed = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir()}
    assert built == committed


def test_it_installs_the_shipped_templates_once(db: None) -> None:
    assert builtin_templates_install() == len(BUILTINS)
    call_command("doctemplates", "install", stdout=io.StringIO())

    templates = DocumentTemplate.objects.all()
    assert templates.count() == len(BUILTINS)
    assert {(t.builtin_key, t.language, t.space_id) for t in templates} == {(b.key, b.language, None) for b in BUILTINS}
    letter = templates.get(builtin_key="letter-de")
    assert (letter.name, letter.file_type, letter.builtin) == ("Brief", "docx", True)
