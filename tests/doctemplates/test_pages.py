""" "New document" with templates, and the templates pages of a space (its admins) and of every space (staff)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from doctemplates.models import DocumentTemplate
from doctemplates.services import template_create
from tests.conftest import Personas
from tests.doctemplates.conftest import builtin_bytes

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def configured(db: None) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret="a-secret-long-enough-for-hs256-0123456789")


def new_url(personas: Personas) -> str:
    return reverse("onlyoffice-new", args=[personas.space.id])


def test_new_document_offers_blank_and_the_spaces_templates(
    personas: Personas, configured, make_template, other_space
) -> None:
    english = make_template(key="letter-en", language="en")
    german = make_template(key="letter-de", language="de")
    own = make_template(key="budget-en", space=personas.space, name="Team budget")
    foreign = make_template(key="slides-en", space=other_space, name="Their deck")

    html = personas.client_for("editor").get(new_url(personas), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    values = re.findall(r'name="kind" value="([^"]+)"', html)
    assert values[:3] == ["docx", "xlsx", "pptx"]
    # German first, then those for any language; the other space's template is not there.
    assert values[3:] == [f"template-{german.pk}", f"template-{own.pk}", f"template-{english.pk}"]
    assert f"template-{foreign.pk}" not in html


def test_it_creates_a_copy_and_opens_the_editor(personas: Personas, configured, make_template) -> None:
    template = make_template(key="budget-en")

    response = personas.client_for("editor").post(
        new_url(personas), {"kind": f"template-{template.pk}", "name": "Budget 2027"}
    )

    attachment = Attachment.objects.get(space=personas.space)
    assert response.status_code == 302
    assert response["Location"] == reverse("onlyoffice-editor", args=[attachment.pk])
    assert attachment.title == "Budget 2027.xlsx"
    with default_storage.open(attachment.versions.get().file.name, "rb") as handle:
        assert handle.read() == builtin_bytes("budget-en")


def test_it_refuses_a_template_of_another_space(personas: Personas, configured, make_template, other_space) -> None:
    foreign = make_template(key="letter-en", space=other_space)
    response = personas.client_for("editor").post(new_url(personas), {"kind": f"template-{foreign.pk}", "name": ""})
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_viewers_get_no_new_document(personas: Personas, configured, make_template) -> None:
    template = make_template(key="letter-en")
    response = personas.client_for("viewer").post(new_url(personas), {"kind": f"template-{template.pk}"})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


# --- the templates pages ---------------------------------------------------------------------------------------


def space_page(personas: Personas) -> str:
    return reverse("space_templates", args=[personas.space.pk])


@pytest.mark.parametrize(
    ("persona", "status"), [("anonymous", 302), ("outsider", 404), ("viewer", 403), ("editor", 403), ("owner", 200)]
)
def test_only_space_admins_manage_its_templates(personas: Personas, persona: str, status: int) -> None:
    assert personas.client_for(persona).get(space_page(personas)).status_code == status


def test_space_admins_find_templates_in_the_spaces_toolbar(personas: Personas) -> None:
    detail = reverse("space_detail", args=[personas.space.pk])
    assert space_page(personas) in personas.client_for("owner").get(detail).content.decode()
    assert space_page(personas) not in personas.client_for("editor").get(detail).content.decode()


def test_a_space_admin_adds_a_template_with_a_thumbnail(personas: Personas) -> None:
    client = personas.client_for("owner")
    response = client.post(
        space_page(personas),
        {
            "file": SimpleUploadedFile("Minutes.docx", builtin_bytes("meeting-notes-de")),
            "name": "",
            "language": "de",
            "thumbnail": SimpleUploadedFile("m.png", PNG),
        },
    )
    assert response.status_code == 302
    template = DocumentTemplate.objects.get()
    assert (template.name, template.space, template.language, template.file_type) == (
        "Minutes",
        personas.space,
        "de",
        "docx",
    )
    thumbnail = reverse("template_thumbnail", args=[template.pk])
    shown = personas.client_for("viewer").get(thumbnail)
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    assert b"".join(shown.streaming_content) == PNG
    assert personas.client_for("outsider").get(thumbnail).status_code == 404


def test_a_thumbnail_gone_from_storage_answers_404_not_an_error(personas: Personas) -> None:
    # Named but missing (a restore from an older copy of the files): the page then shows the type icon.
    template = template_create(
        name="Minutes",
        filename="Minutes.docx",
        chunks=[builtin_bytes("meeting-notes-en")],
        space=personas.space,
        created_by=personas.owner,
        thumbnail_name="m.png",
        thumbnail_chunks=[PNG],
    )
    default_storage.delete(template.thumbnail.name)

    response = personas.client_for("viewer").get(reverse("template_thumbnail", args=[template.pk]))

    assert response.status_code == 404


def test_it_refuses_a_file_whose_content_is_no_template(personas: Personas) -> None:
    response = personas.client_for("owner").post(
        space_page(personas), {"file": SimpleUploadedFile("Budget.xlsx", b"plain text"), "language": ""}
    )
    assert response.status_code == 400
    assert "not a .xlsx file" in response.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_it_refuses_a_file_over_the_upload_limit(personas: Personas, settings) -> None:
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 100
    response = personas.client_for("owner").post(
        space_page(personas), {"file": SimpleUploadedFile("Letter.docx", builtin_bytes("letter-en"))}
    )
    assert response.status_code == 400
    assert not DocumentTemplate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_space_admin_deletes_the_spaces_templates_only(personas: Personas, make_template) -> None:
    own = make_template(key="letter-en", space=personas.space)
    shared = make_template(key="budget-en")
    owner = personas.client_for("owner")

    assert owner.post(reverse("template_delete", args=[shared.pk])).status_code == 403
    assert personas.client_for("editor").post(reverse("template_delete", args=[own.pk])).status_code == 403
    response = owner.post(reverse("template_delete", args=[own.pk]))

    assert response.status_code == 302
    assert list(DocumentTemplate.objects.all()) == [shared]
    assert not default_storage.exists(own.file.name)


@pytest.mark.parametrize(("persona", "status"), [("owner", 403), ("staff", 200)])
def test_only_staff_manage_templates_for_every_space(personas: Personas, persona: str, status: int) -> None:
    assert personas.client_for(persona).get(reverse("templates")).status_code == status
    # Staff find the page in their account menu.
    home = personas.client_for(persona).get(reverse("home")).content.decode()
    assert (f'href="{reverse("templates")}"' in home) == (persona == "staff")


def test_staff_add_a_template_for_every_space(personas: Personas) -> None:
    response = personas.client_for("staff").post(
        reverse("templates"),
        {"file": SimpleUploadedFile("Deck.pptx", builtin_bytes("slides-en")), "name": "Quarterly review"},
    )
    assert response.status_code == 302
    template = DocumentTemplate.objects.get()
    assert (template.name, template.space, template.created_by) == ("Quarterly review", None, personas.staff)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_space_deletes_its_templates_and_their_files(personas: Personas, make_template) -> None:
    from attachments.services import space_delete

    own = make_template(key="letter-en", space=personas.space)
    space_delete(space=personas.space, confirmation=personas.space.name)
    assert not DocumentTemplate.objects.filter(pk=own.pk).exists()
    assert not default_storage.exists(own.file.name)
