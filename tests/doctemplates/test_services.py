"""Adding templates (content checked like conversions), and new documents as copies: independent of each other,
each with its own document key, and never writing the template."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from attachments.models import Attachment, VersionSource
from attachments.services import version_create
from connector.keys import live_key_string
from doctemplates import services
from doctemplates.models import DocumentTemplate
from tests.conftest import Personas
from tests.doctemplates.conftest import builtin_bytes


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_it_stores_a_template_with_its_type_and_hash(make_template) -> None:
    template = make_template(key="budget-en")
    data = builtin_bytes("budget-en")
    assert (template.file_type, template.size, template.sha256) == ("xlsx", len(data), hashlib.sha256(data).hexdigest())
    assert stored_bytes(template.file.name) == data
    assert template.file.name.startswith("templates/all/")


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("macro.docm", builtin_bytes("letter-en")),  # not one of the four types
        ("letter.docx", b"MZ\x90\x00 an executable"),  # a name is not content
        ("budget.xlsx", builtin_bytes("letter-en")),  # a docx called xlsx
        ("form.pdf", b"<html>not a pdf</html>"),
    ],
)
def test_it_refuses_files_that_are_not_what_a_template_must_be(db: None, filename: str, content: bytes) -> None:
    before = set(default_storage.listdir("templates/all")[1]) if default_storage.exists("templates/all") else set()
    with pytest.raises(services.TemplateRefused):
        services.template_create(name="X", filename=filename, chunks=[content], space=None, created_by=None)
    after = set(default_storage.listdir("templates/all")[1]) if default_storage.exists("templates/all") else set()
    assert DocumentTemplate.objects.count() == 0
    assert after == before


def test_it_takes_a_pdf_form(db: None) -> None:
    template = services.template_create(
        name="Leave request", filename="leave.pdf", chunks=[b"%PDF-1.7\n%fake form\n"], space=None, created_by=None
    )
    assert template.file_type == "pdf"


def test_it_refuses_a_thumbnail_that_is_no_image(db: None) -> None:
    with pytest.raises(services.TemplateRefused):
        services.template_create(
            name="L",
            filename="l.docx",
            chunks=[builtin_bytes("letter-en")],
            space=None,
            created_by=None,
            thumbnail_name="t.png",
            thumbnail_chunks=[b"<svg onload=alert(1)>"],
        )
    assert DocumentTemplate.objects.count() == 0


def test_two_documents_from_one_template_are_independent_copies(personas: Personas, make_template) -> None:
    template = make_template(key="meeting-notes-en")
    original = builtin_bytes("meeting-notes-en")

    first = services.attachment_from_template(
        template=template, space=personas.space, title="", created_by=personas.editor
    )
    second = services.attachment_from_template(
        template=template, space=personas.space, title="Standup", created_by=personas.editor
    )

    assert (first.title, second.title) == ("Meeting notes.docx", "Standup.docx")
    v1, v2 = first.versions.get(), second.versions.get()
    assert v1.file.name != v2.file.name != template.file.name
    assert stored_bytes(v1.file.name) == stored_bytes(v2.file.name) == original
    assert (v1.source, v1.created_by) == (VersionSource.UPLOAD, personas.editor)
    # Each copy is its own co-editing session: a key of its own.
    assert live_key_string(first) != live_key_string(second)

    # An edit saved into one copy changes neither the other nor the template.
    key_before = live_key_string(first)
    version_create(attachment=first, chunks=[b"edited"], source=VersionSource.EDITOR, created_by=personas.editor)
    first.refresh_from_db()
    assert live_key_string(first) != key_before
    assert stored_bytes(first.versions.get(number=2).file.name) == b"edited"
    assert stored_bytes(v2.file.name) == original
    assert stored_bytes(template.file.name) == original
    template.refresh_from_db()
    assert template.sha256 == hashlib.sha256(original).hexdigest()


@pytest.mark.parametrize(
    ("typed", "title"),
    [("", "Budget.xlsx"), ("Q3 plan", "Q3 plan.xlsx"), ("Q3 plan.xlsx", "Q3 plan.xlsx"), ("v1.2", "v1.2.xlsx")],
)
def test_it_names_the_copy_with_the_templates_extension(personas: Personas, make_template, typed, title) -> None:
    template = make_template(key="budget-en")
    made = services.attachment_from_template(template=template, space=personas.space, title=typed, created_by=None)
    assert made.title == title


def test_a_name_taken_gets_a_number(personas: Personas, make_template) -> None:
    template = make_template(key="slides-en")
    services.attachment_from_template(template=template, space=personas.space, title="Pitch", created_by=None)
    again = services.attachment_from_template(template=template, space=personas.space, title="pitch", created_by=None)
    assert again.title == "pitch (2).pptx"


@pytest.mark.django_db(transaction=True)
def test_deleting_a_template_frees_its_file_and_keeps_the_copies(personas: Personas, make_template) -> None:
    template = make_template(key="letter-en")
    copy = services.attachment_from_template(template=template, space=personas.space, title="", created_by=None)
    name = template.file.name

    services.template_delete(template=template)

    assert not default_storage.exists(name)
    assert Attachment.objects.filter(pk=copy.pk).exists()
    assert stored_bytes(copy.versions.get().file.name) == builtin_bytes("letter-en")
