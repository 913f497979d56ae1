"""Space administration: rename a space and delete it, on its pages (settings, delete) and through the API.

One rule for both paths: services.space_rename and services.space_delete. Deleting is final (no trash), needs the
space's exact name typed, takes every file with every version (those in the trash too) and frees their storage
after the commit, and is refused while a file of the space is being edited (attachments.editing, which the
connector fills from the Document Server's callbacks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from attachments import services, trash
from attachments.models import Attachment, Membership, Space, Version
from connector.keys import editor_uid
from connector.models import DocumentKey, EditedVersion, SaveRequest
from tests.conftest import Personas
from tests.support.storage_run import stored_names

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "staff"]


def stored_files() -> list[str]:
    return sorted(stored_names())


def settings_url(space: Space) -> str:
    return reverse("space_settings", args=[space.pk])


def delete_url(space: Space) -> str:
    return reverse("space_delete", args=[space.pk])


def editing_now(attachment: Attachment, *users) -> DocumentKey:
    """Test data: the live key of a session the Document Server reported these users in (a status 1 callback);
    without users, someone this app cannot name (an editor id it never issued)."""
    uids = [editor_uid(user) for user in users] or ["uid-of-nobody-known"]
    return DocumentKey.objects.create(attachment=attachment, key=f"k{attachment.pk}", base_version=1, editors=uids)


@pytest.fixture
def filled(personas: Personas, make_attachment) -> dict[str, Attachment]:
    """Two files, one with two versions, and a third in the space's trash."""
    report = make_attachment(personas.space, "Report.docx", b"12345", user=personas.owner)
    services.version_create(attachment=report, chunks=[b"1234567"], source="upload", created_by=personas.owner)
    budget = make_attachment(personas.space, "Budget.xlsx", b"123", user=personas.editor)
    old = make_attachment(personas.space, "Old.txt", b"12", user=personas.owner)
    trash.attachment_trash(attachment=old, deleted_by=personas.owner)
    return {"report": report, "budget": budget, "old": old}


# --- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("page", "method", "ok"),
    [("settings", "get", 200), ("settings", "post", 302), ("delete", "get", 200), ("delete", "post", 302)],
)
def test_it_lets_only_space_admins_and_staff_rename_and_delete(
    personas: Personas, persona: str, page: str, method: str, ok: int
) -> None:
    url = settings_url(personas.space) if page == "settings" else delete_url(personas.space)
    data = {"name": "Renamed", "description": ""} if page == "settings" else {"confirm": "Engineering"}

    response = getattr(personas.client_for(persona), method)(url, data)

    expected = {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": ok, "staff": ok}[persona]
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    survived = Space.objects.filter(pk=personas.space.pk).first()
    if method == "post" and expected != ok:
        assert survived is not None and survived.name == "Engineering"


def test_it_answers_404_for_a_space_that_does_not_exist(personas: Personas) -> None:
    client = personas.client_for("staff")
    missing = Space(pk=personas.space.pk + 1000)

    assert client.get(settings_url(missing)).status_code == 404
    assert client.get(delete_url(missing)).status_code == 404
    assert client.post(delete_url(missing), {"confirm": "Engineering"}).status_code == 404


def test_it_links_the_settings_from_the_space_page_for_admins_only(personas: Personas) -> None:
    space_page = reverse("space_detail", args=[personas.space.pk])

    admin = personas.client_for("owner").get(space_page).content.decode()
    editor = personas.client_for("editor").get(space_page).content.decode()

    assert f'href="{settings_url(personas.space)}"' in admin
    assert settings_url(personas.space) not in editor


# --- rename ----------------------------------------------------------------------------------------------------


def test_it_renames_a_space_and_changes_its_description_on_the_settings_page(personas: Personas) -> None:
    client = personas.client_for("owner")

    form = client.get(settings_url(personas.space)).content.decode()
    response = client.post(settings_url(personas.space), {"name": "  Platform  ", "description": "Our services"})

    assert 'value="Engineering"' in form
    assert delete_url(personas.space) in form
    assert response["Location"] == reverse("space_detail", args=[personas.space.pk])
    personas.space.refresh_from_db()
    assert (personas.space.name, personas.space.description) == ("Platform", "Our services")
    page = client.get(response["Location"]).content.decode()
    assert "The space “Engineering” is now called “Platform”." in page


def test_it_refuses_an_empty_name_and_keeps_the_old_one(personas: Personas) -> None:
    response = personas.client_for("owner").post(settings_url(personas.space), {"name": "   ", "description": "x"})

    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    personas.space.refresh_from_db()
    assert (personas.space.name, personas.space.description) == ("Engineering", "")


def test_it_renames_a_space_through_the_api_keeping_what_is_not_sent(personas: Personas) -> None:
    personas.space.description = "Kept"
    personas.space.save()
    client = personas.client_for("owner")

    response = client.patch(f"/api/spaces/{personas.space.pk}/", {"name": "Platform"}, content_type="application/json")

    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {
        "id": personas.space.pk,
        "name": "Platform",
        "description": "Kept",
        "created_at": None,
        "role": "admin",
    }
    assert client.get(f"/api/spaces/{personas.space.pk}/").json()["name"] == "Platform"


def test_it_refuses_a_blank_name_through_the_api(personas: Personas) -> None:
    response = personas.client_for("owner").patch(
        f"/api/spaces/{personas.space.pk}/", {"name": " "}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "name" in response.json()
    assert Space.objects.get(pk=personas.space.pk).name == "Engineering"


# --- delete: what goes with it -----------------------------------------------------------------------------------


def test_it_shows_what_goes_with_the_space_and_that_it_is_final(personas: Personas, filled) -> None:
    page = personas.client_for("owner").get(delete_url(personas.space)).content.decode()

    facts = dict(re.findall(r'<dd data-fact="(\w+)">(.*?)</dd>', page, re.S))
    assert facts["files"].startswith("3 ") and "1 of them in the trash" in facts["files"]
    assert facts["versions"] == "4"
    assert facts["size"] == "17 B"
    assert facts["members"] == "3"
    assert "Deleting a space is final." in page
    assert "whatever is in its trash is deleted too" in page
    assert 'name="confirm"' in page
    assert "Type “Engineering” exactly as it is written." in page


def test_it_refuses_a_mistyped_name_and_deletes_nothing(personas: Personas, filled, django_capture_on_commit_callbacks):
    client = personas.client_for("owner")

    with django_capture_on_commit_callbacks(execute=True):
        wrong_case = client.post(delete_url(personas.space), {"confirm": "engineering"})
        empty = client.post(delete_url(personas.space), {"confirm": ""})

    assert wrong_case.status_code == empty.status_code == 400
    assert "Type the space&#39;s name exactly as it is shown to delete it." in wrong_case.content.decode()
    assert Space.objects.filter(pk=personas.space.pk).exists()
    assert Attachment.objects.filter(space=personas.space).count() == 3
    assert Version.objects.count() == 4
    assert len(stored_files()) == 4


def test_it_deletes_the_space_with_its_files_versions_trash_and_stored_files(
    personas: Personas, filled, make_attachment, django_capture_on_commit_callbacks
) -> None:
    other = services.space_create(name="Other", created_by=personas.owner)
    kept = make_attachment(other, "Kept.docx", b"kept", user=personas.owner)
    assert len(stored_files()) == 5

    client = personas.client_for("owner")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(personas.space), {"confirm": " Engineering "})

    assert response["Location"] == reverse("home")
    assert not Space.objects.filter(pk=personas.space.pk).exists()
    assert not Membership.objects.filter(space_id=personas.space.pk).exists()
    assert list(Attachment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [Path(name).name for name in stored_files()] == [Path(kept.versions.get().file.name).name]
    home = client.get(reverse("home")).content.decode()
    assert "The space “Engineering” was deleted with its 3 files." in home


def test_it_deletes_a_space_whose_files_were_edited_and_saved_before(personas: Personas, filled) -> None:
    # Document keys and save requests of ended sessions go with their files (a save request protects its key).
    key = DocumentKey.objects.create(attachment=filled["report"], key="ended", base_version=1)
    SaveRequest.objects.create(attachment=filled["report"], document_key=key, callback_status=2, dedupe_key="s1")

    response = personas.client_for("staff").post(delete_url(personas.space), {"confirm": "Engineering"})

    assert response.status_code == 302
    assert not DocumentKey.objects.exists() and not SaveRequest.objects.exists()


@pytest.mark.parametrize("delete", ["space", "attachment"])
def test_it_frees_the_files_other_apps_attached_to_the_deleted_rows(
    personas: Personas, filled, delete: str, django_capture_on_commit_callbacks
) -> None:
    # The changes archive the editor left with a saved version (connector.models.EditedVersion): the store knows
    # nothing of it, yet it goes with the version.
    version = filled["report"].versions.get(number=2)
    archive = default_storage.save(f"spaces/{personas.space.pk}/changes.zip", ContentFile(b"zip"))
    EditedVersion.objects.create(version=version, document_key="k", changes_file=archive)
    assert len(stored_files()) == 5

    with django_capture_on_commit_callbacks(execute=True):
        if delete == "space":
            services.space_delete(space=personas.space, confirmation="Engineering")
        else:
            services.attachment_delete(attachment=filled["report"])

    assert not default_storage.exists(archive)
    assert len(stored_files()) == (0 if delete == "space" else 2)


# --- delete: a file being edited ---------------------------------------------------------------------------------


def test_it_names_the_file_being_edited_and_refuses_to_delete_the_space(
    personas: Personas, filled, django_capture_on_commit_callbacks
) -> None:
    editing_now(filled["budget"], personas.editor)
    client = personas.client_for("owner")

    page = client.get(delete_url(personas.space)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(delete_url(personas.space), {"confirm": "Engineering"})

    warning = re.search(r"<div[^>]*data-being-edited.*?</div>\s*</div>", page, re.S)
    assert warning and "Budget.xlsx" in warning.group(0) and "Eddie Editor" in warning.group(0)
    assert re.search(r'<button type="submit" class="btn btn-danger" disabled>', page)
    assert refused.status_code == 409
    assert "A file is being edited: “Budget.xlsx” (by Eddie Editor)." in refused.content.decode()
    assert Space.objects.filter(pk=personas.space.pk).exists()
    assert Attachment.objects.filter(space=personas.space).count() == 3
    assert len(stored_files()) == 4


def test_it_deletes_once_the_editing_session_has_ended(personas: Personas, filled) -> None:
    key = editing_now(filled["budget"], personas.editor)
    client = personas.client_for("owner")
    assert client.post(delete_url(personas.space), {"confirm": "Engineering"}).status_code == 409

    # A status 4 callback (everyone left) clears the editors.
    DocumentKey.objects.filter(pk=key.pk).update(editors=[])

    assert client.post(delete_url(personas.space), {"confirm": "Engineering"}).status_code == 302
    assert not Space.objects.filter(pk=personas.space.pk).exists()


# --- delete through the API --------------------------------------------------------------------------------------


def test_it_deletes_a_space_through_the_api_and_frees_its_storage(
    personas: Personas, filled, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = personas.client_for("owner").delete(f"/api/spaces/{personas.space.pk}/?confirm=Engineering")

    assert response.status_code == 204
    assert not Space.objects.exists() and not Attachment.objects.exists() and not Version.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("query", ["", "?confirm=", "?confirm=engineering", "?confirm=Engineering%202"])
def test_it_refuses_an_api_delete_without_the_exact_name(personas: Personas, filled, query: str) -> None:
    response = personas.client_for("owner").delete(f"/api/spaces/{personas.space.pk}/{query}")

    assert response.status_code == 400
    assert response.json() == {"confirm": ["Type the space's name exactly as it is shown to delete it."]}
    assert Attachment.objects.filter(space=personas.space).count() == 3
    assert len(stored_files()) == 4


def test_it_answers_409_naming_the_files_being_edited_through_the_api(personas: Personas, filled) -> None:
    editing_now(filled["report"], personas.owner, personas.editor)
    editing_now(filled["budget"])

    response = personas.client_for("owner").delete(f"/api/spaces/{personas.space.pk}/?confirm=Engineering")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "2 files are being edited: “Budget.xlsx”; “Report.docx” (by Olivia Owner, Eddie Editor). "
        "The space can be deleted once their editing sessions have ended.",
        "being_edited": ["Budget.xlsx", "Report.docx"],
    }
    assert Space.objects.filter(pk=personas.space.pk).exists()


def test_it_documents_the_required_confirmation_in_the_schema(db: None) -> None:
    schema = Client().get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/spaces/{id}/"]["delete"]
    confirm = next(parameter for parameter in operation["parameters"] if parameter["name"] == "confirm")
    assert confirm["in"] == "query" and confirm["required"] is True
    assert {"204", "400", "409"} <= set(operation["responses"])
    assert "patch" in schema["paths"]["/api/spaces/{id}/"]
