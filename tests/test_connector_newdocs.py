"""New blank documents: the files themselves, the "New document" page and who may use it.

The blank files are opened with python-docx, openpyxl and python-pptx, and by the fake Document Server
through the real editor page, download link and JWT.
"""

from __future__ import annotations

import io
import json
import re

import docx
import openpyxl
import pptx
import pytest
from django.urls import reverse

from attachments.models import Attachment, VersionSource
from attachments.ooxml import blank
from connector import ds_settings
from tests.conftest import Personas

DS_URL = "https://docs.example.com"


@pytest.fixture
def configured(db: None) -> None:
    ds_settings.update(public_url=DS_URL, jwt_secret="a-secret-long-enough-for-hs256-0123456789")


def new_url(personas: Personas) -> str:
    return reverse("onlyoffice-new", args=[personas.space.id])


def editor_config_at(client, url: str) -> dict:
    html = client.get(url).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:2000]
    return json.loads(match.group(1))


def opened_by_library(kind: str, data: bytes) -> int:
    """How many pages/sheets/slides the library finds: proof that it parsed the file."""
    if kind == "docx":
        return len(docx.Document(io.BytesIO(data)).sections)
    if kind == "xlsx":
        return len(openpyxl.load_workbook(io.BytesIO(data)).worksheets)
    return len(pptx.Presentation(io.BytesIO(data)).slides)


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_it_makes_blank_files_the_office_libraries_open(kind: str) -> None:
    assert opened_by_library(kind, blank(kind)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("kind", "title", "document_type"),
    [
        ("docx", "New document.docx", "word"),
        ("xlsx", "New spreadsheet.xlsx", "cell"),
        ("pptx", "New presentation.pptx", "slide"),
    ],
)
def test_it_creates_a_blank_file_that_the_document_server_opens_for_editing(
    personas: Personas, live_server, fake_ds, kind: str, title: str, document_type: str
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    client = personas.client_for("editor")

    response = client.post(new_url(personas), {"kind": kind, "name": ""})

    attachment = Attachment.objects.get(space=personas.space)
    assert response.status_code == 302
    assert response["Location"] == reverse("onlyoffice-editor", args=[attachment.pk])
    assert attachment.title == title
    version = attachment.versions.get()
    assert version.source == VersionSource.UPLOAD
    assert version.created_by == personas.editor
    cfg = editor_config_at(client, response["Location"])
    assert cfg["editorConfig"]["mode"] == "edit"
    assert cfg["documentType"] == document_type
    session = fake_ds.open(cfg)
    assert session.editors == [cfg["editorConfig"]["user"]["id"]]
    assert session.file_type == kind
    assert opened_by_library(kind, session.document) == 1


def test_it_gives_each_new_document_a_name_not_yet_used_in_the_space(
    personas: Personas, configured: None, make_attachment
) -> None:
    make_attachment(personas.space, "Minutes.docx")
    client = personas.client_for("editor")

    for _ in range(2):
        client.post(new_url(personas), {"kind": "docx", "name": "Minutes"})
    client.post(new_url(personas), {"kind": "xlsx", "name": "Minutes"})

    titles = sorted(Attachment.objects.filter(space=personas.space).values_list("title", flat=True))
    assert titles == ["Minutes (2).docx", "Minutes (3).docx", "Minutes.docx", "Minutes.xlsx"]


def test_it_opens_the_editor_in_edit_mode_on_the_new_document(personas: Personas, configured: None) -> None:
    client = personas.client_for("editor")

    response = client.post(new_url(personas), {"kind": "pptx", "name": "Kick-off"}, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("onlyoffice-editor", args=[Attachment.objects.get().pk]))
    html = response.content.decode()
    cfg = json.loads(re.search(r'id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert cfg["editorConfig"]["mode"] == "edit"
    assert cfg["document"]["title"] == "Kick-off.pptx"
    assert cfg["document"]["permissions"]["edit"] is True


@pytest.mark.parametrize(
    ("kind", "name", "title"),
    [
        ("docx", "Budget.xlsx", "Budget.docx"),
        ("xlsx", "Budget.DOCX", "Budget.xlsx"),
        ("pptx", "Plan v1.2", "Plan v1.2.pptx"),
        ("docx", "", "New document.docx"),
        ("xlsx", "   ", "New spreadsheet.xlsx"),
        ("docx", "../../etc/passwd", "passwd.docx"),
        ("docx", "C:\\Users\\me\\evil.exe", "evil.exe.docx"),
        ("docx", "invoice\u202excod.exe", "invoicexcod.exe.docx"),
        ("xlsx", "tab\tand\x00nul", "tabandnul.xlsx"),
        ("docx", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>.docx"),
    ],
)
def test_it_names_the_file_with_the_extension_of_its_kind(
    personas: Personas, configured: None, kind: str, name: str, title: str
) -> None:
    response = personas.client_for("editor").post(new_url(personas), {"kind": kind, "name": name})

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.title == title
    assert attachment.file_type == kind


def test_it_shortens_a_long_name_and_keeps_the_extension(personas: Personas, configured: None) -> None:
    personas.client_for("editor").post(new_url(personas), {"kind": "xlsx", "name": "x" * 900})

    title = Attachment.objects.get().title
    assert len(title) == 255
    assert title.endswith("x.xlsx")


def test_it_escapes_a_hostile_name_on_the_pages(personas: Personas, configured: None) -> None:
    client = personas.client_for("editor")
    client.post(new_url(personas), {"kind": "docx", "name": "<img src=x onerror=alert(1)>"})

    page = client.get(reverse("space_detail", args=[personas.space.id])).content.decode()

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.docx" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "exe", "name": "Tool"}, "kind", "Choose a document, a spreadsheet or a presentation."),
        ({"name": "Tool"}, "kind", "Choose a document, a spreadsheet or a presentation."),
        ({"kind": "docx", "name": " /// . "}, "name", "Enter a name with at least one letter or digit"),
    ],
)
def test_it_refuses_bad_input_beside_the_field_and_creates_nothing(
    personas: Personas, configured: None, data: dict, field: str, message: str
) -> None:
    response = personas.client_for("editor").post(new_url(personas), data)

    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(rf'<div class="errors" id="id_{field}_error">(.*?)</div>', html, re.S)
    assert errors and message in errors.group(1)
    assert not Attachment.objects.exists()


def test_it_offers_the_three_kinds_with_their_default_names(personas: Personas, configured: None) -> None:
    html = personas.client_for("editor").get(new_url(personas)).content.decode()

    for kind in ("docx", "xlsx", "pptx"):
        assert f'value="{kind}"' in html
    assert re.search(r'<input type="radio" name="kind" value="docx"[^>]*checked', html)
    for name in ("New document.docx", "New spreadsheet.xlsx", "New presentation.pptx"):
        assert name in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", "login"), ("outsider", 404), ("viewer", 403), ("editor", 200), ("owner", 200), ("staff", 200)],
)
def test_it_lets_only_editors_of_the_space_create_documents(
    personas: Personas, configured: None, persona: str, status: int | str
) -> None:
    client = personas.client_for(persona)

    page = client.get(new_url(personas))
    created = client.post(new_url(personas), {"kind": "docx", "name": "Mine"})

    if status == "login":
        assert page.status_code == created.status_code == 302
        assert page["Location"].startswith(reverse("login"))
        assert not Attachment.objects.exists()
    elif status == 200:
        assert page.status_code == 200
        assert created.status_code == 302
        assert Attachment.objects.get().title == "Mine.docx"
    else:
        assert page.status_code == created.status_code == status
        assert not Attachment.objects.exists()


def test_it_answers_404_for_a_space_that_does_not_exist(personas: Personas, configured: None) -> None:
    response = personas.client_for("staff").get(reverse("onlyoffice-new", args=[personas.space.id + 1000]))

    assert response.status_code == 404


def test_it_shows_new_document_in_the_space_toolbar_for_editors_only(personas: Personas, configured: None) -> None:
    url = reverse("space_detail", args=[personas.space.id])
    link = f'href="{new_url(personas)}"'

    shown = {
        name: link in personas.client_for(name).get(url).content.decode() for name in ("viewer", "editor", "owner")
    }

    assert shown == {"viewer": False, "editor": True, "owner": True}


def test_it_hides_new_document_and_says_so_when_onlyoffice_is_not_set_up(personas: Personas) -> None:
    client = personas.client_for("editor")

    space_page = client.get(reverse("space_detail", args=[personas.space.id])).content.decode()
    page = client.get(new_url(personas))
    created = client.post(new_url(personas), {"kind": "docx", "name": "Mine"})

    assert new_url(personas) not in space_page
    assert page.status_code == created.status_code == 503
    assert "ONLYOFFICE is not set up yet" in page.content.decode()
    assert not Attachment.objects.exists()
