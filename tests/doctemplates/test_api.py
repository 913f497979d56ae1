"""``GET /api/templates/`` and ``POST /api/attachments/`` with a template: shapes and the permission matrix."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from attachments.models import Attachment
from tests.conftest import Personas
from tests.doctemplates.conftest import builtin_bytes

LIST = "/api/templates/"
CREATE = "/api/attachments/"


def api_for(personas: Personas, name: str) -> APIClient:
    client = APIClient()
    if name != "anonymous":
        client.force_authenticate(getattr(personas, name))
    return client


def test_it_lists_the_templates_a_space_offers(personas: Personas, make_template, other_space) -> None:
    shared = make_template(key="letter-en", language="en")
    own = make_template(key="budget-de", space=personas.space, language="de")
    make_template(key="slides-en", space=other_space)

    response = api_for(personas, "viewer").get(LIST, {"space": personas.space.pk}, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    body = response.json()
    # German first for a German reader.
    assert [row["id"] for row in body["results"]] == [own.pk, shared.pk]
    english = api_for(personas, "viewer").get(LIST, {"space": personas.space.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert [row["id"] for row in english.json()["results"]] == [shared.pk, own.pk]
    assert body["results"][0] == {
        "id": own.pk,
        "name": "Budget",
        "file_type": "xlsx",
        "language": "de",
        "space": personas.space.pk,
        "builtin": False,
        "thumbnail_url": None,
    }


def test_without_a_space_it_lists_those_for_every_space(personas: Personas, make_template) -> None:
    shared = make_template(key="letter-en")
    make_template(key="budget-en", space=personas.space)
    response = api_for(personas, "outsider").get(LIST)
    assert [row["id"] for row in response.json()["results"]] == [shared.pk]


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("outsider", 404)])
def test_it_hides_a_spaces_templates(personas: Personas, persona: str, status: int) -> None:
    assert api_for(personas, persona).get(LIST, {"space": personas.space.pk}).status_code == status


def test_it_makes_a_file_from_a_template(personas: Personas, make_template) -> None:
    template = make_template(key="meeting-notes-en")

    response = api_for(personas, "editor").post(
        CREATE, {"space": personas.space.pk, "template": template.pk, "title": "Kick-off"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Kick-off.docx"
    attachment = Attachment.objects.get(pk=body["id"])
    with default_storage.open(attachment.versions.get().file.name, "rb") as handle:
        assert handle.read() == builtin_bytes("meeting-notes-en")


def test_it_takes_the_template_in_a_form_body_too(personas: Personas, make_template) -> None:
    template = make_template(key="budget-en", space=personas.space)
    response = api_for(personas, "owner").post(CREATE, {"space": personas.space.pk, "template": template.pk})
    assert response.status_code == 201
    assert response.json()["title"] == "Budget.xlsx"


def test_it_refuses_a_template_of_another_space(personas: Personas, make_template, other_space) -> None:
    foreign = make_template(key="letter-en", space=other_space)
    for template_id in (foreign.pk, 999_999):
        response = api_for(personas, "editor").post(
            CREATE, {"space": personas.space.pk, "template": template_id}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()) == ["template"]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("outsider", 404), ("viewer", 403)])
def test_only_editors_make_files_from_templates(personas: Personas, make_template, persona: str, status: int) -> None:
    template = make_template(key="letter-en")
    response = api_for(personas, persona).post(
        CREATE, {"space": personas.space.pk, "template": template.pk}, format="json"
    )
    assert response.status_code == status
    assert not Attachment.objects.exists()


def test_a_json_body_without_a_template_is_no_upload(personas: Personas) -> None:
    response = api_for(personas, "editor").post(CREATE, {"space": personas.space.pk}, format="json")
    assert response.status_code == 400
    assert "file" in response.json()


def test_a_json_list_is_refused(personas: Personas) -> None:
    response = api_for(personas, "editor").post(CREATE, [1, 2], format="json")
    assert response.status_code == 400
