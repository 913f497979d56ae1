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
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from attachments import filetypes
from doctemplates.builtin import BUILTINS
from doctemplates.models import DismissedBuiltin, DocumentTemplate
from doctemplates.services import builtin_templates_install, template_delete
from tests.conftest import Personas

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
    ("kind", "size"),
    [("letter", (111, 144)), ("meeting-notes", (111, 144)), ("budget", (192, 144)), ("slides", (192, 108))],
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_it_ships_a_picture_of_each_templates_first_page(kind: str, size: tuple[int, int], language: str) -> None:
    # In the page's proportions (a US Letter page, a sheet, a 16:9 slide), at twice the 96 x 72 px "New document"
    # shows; a PNG the template upload takes.
    path = next(builtin for builtin in BUILTINS if builtin.key == f"{kind}-{language}").thumbnail_path
    with path.open("rb") as handle:
        assert filetypes.matches(handle, "png")
    with Image.open(path) as picture:
        assert picture.size == size
        colours = picture.convert("RGB").getcolors()
    assert colours is not None
    # Not a blank page: the text is drawn (as bars) in more than the page's white and its edge.
    assert len(colours) >= 3


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
    # The balance row itself stands out, not the empty row above it.
    assert balance[0].font.b
    assert balance[0].fill.fgColor.rgb == "00DDEBF7"
    assert not sheet.cell(balance[0].row - 1, 1).font.b


@pytest.mark.parametrize(("language", "second"), [("en", "Where we stand"), ("de", "Wo wir stehen")])
def test_it_ships_a_deck_with_a_title_and_two_content_slides(language: str, second: str) -> None:
    deck = pptx.Presentation(str(ROOT / f"doctemplates/builtin/{language}/slides.pptx"))
    assert len(deck.slides) == 3
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[1] == second
    assert len(deck.slides[1].placeholders[1].text_frame.paragraphs) == 3
    # The layouts are widened with the slide (drawn for 4:3, the slides are 16:9): the title is in the middle.
    title = deck.slides[0].shapes.title
    assert abs((title.left + title.width / 2) - deck.slide_width / 2) < deck.slide_width / 100


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


def _stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _install() -> str:
    out = io.StringIO()
    call_command("doctemplates", "install", stdout=out)
    return out.getvalue()


def test_it_installs_each_shipped_template_with_its_picture(db: None) -> None:
    builtin_templates_install()

    for builtin in BUILTINS:
        template = DocumentTemplate.objects.get(builtin_key=builtin.key)
        assert _stored(template.thumbnail.name) == builtin.thumbnail_path.read_bytes()


def test_it_gives_pictures_to_shipped_templates_installed_without_them(db: None) -> None:
    # Installed by a release that shipped no pictures: the next install adds them, and nothing else.
    builtin_templates_install()
    DocumentTemplate.objects.filter(builtin_key="budget-en").update(thumbnail="")

    printed = _install()

    assert printed == "Shipped templates added: 0.\nPictures given to shipped templates: 1.\n"
    budget = DocumentTemplate.objects.get(builtin_key="budget-en")
    assert (
        _stored(budget.thumbnail.name) == next(b for b in BUILTINS if b.key == "budget-en").thumbnail_path.read_bytes()
    )
    assert _install() == "Shipped templates added: 0.\n"


@pytest.mark.django_db(transaction=True)
def test_a_shipped_template_staff_delete_stays_deleted_on_the_next_install(personas: Personas) -> None:
    builtin_templates_install()
    letter = DocumentTemplate.objects.get(builtin_key="letter-en")

    response = personas.client_for("staff").post(reverse("template_delete", args=[letter.pk]), follow=True)

    assert "it stays deleted" in response.content.decode()
    assert _install() == "Shipped templates added: 0.\n"
    assert not DocumentTemplate.objects.filter(builtin_key="letter-en").exists()
    assert DocumentTemplate.objects.count() == len(BUILTINS) - 1
    assert DismissedBuiltin.objects.get().dismissed_by == personas.staff
    assert not default_storage.exists(letter.file.name)


def test_deleting_a_templates_copy_of_a_shipped_file_dismisses_nothing(personas: Personas, make_template) -> None:
    # A template made from a shipped file is not the shipped template: only the installed one has its key.
    builtin_templates_install()
    template_delete(template=make_template(key="letter-en", space=personas.space), deleted_by=personas.owner)

    assert not DismissedBuiltin.objects.exists()


def test_restore_adds_a_deleted_shipped_template_again(personas: Personas) -> None:
    builtin_templates_install()
    for key in ("letter-en", "budget-de"):
        template_delete(template=DocumentTemplate.objects.get(builtin_key=key), deleted_by=personas.staff)

    out = io.StringIO()
    call_command("doctemplates", "restore", "letter-en", stdout=out)

    assert out.getvalue() == "Shipped templates added: 1.\n"
    assert DocumentTemplate.objects.filter(builtin_key="letter-en").exists()
    assert list(DismissedBuiltin.objects.values_list("key", flat=True)) == ["budget-de"]
    call_command("doctemplates", "restore", stdout=out)  # without a key: every one deleted
    assert DocumentTemplate.objects.count() == len(BUILTINS)
    assert not DismissedBuiltin.objects.exists()


def test_restore_refuses_a_key_that_names_no_shipped_template(db: None) -> None:
    with pytest.raises(CommandError, match="Not a shipped template: letter-fr"):
        call_command("doctemplates", "restore", "letter-fr", stdout=io.StringIO())
