"""The trash through the REST API: DELETE moves a file to the trash, which the API lists, restores from and purges,
with the pages' rules (the permission matrix per persona is in tests/test_api.py)."""

from __future__ import annotations

import pytest
from rest_framework.fields import DateTimeField

from attachments import trash
from attachments.models import Attachment
from tests.conftest import Personas
from tests.support.storage_run import stored_names


def stored_files() -> list[str]:
    return sorted(stored_names())


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)


def test_it_hides_a_deleted_file_from_every_attachment_endpoint_and_keeps_its_file(
    personas: Personas, plan: Attachment
) -> None:
    client = personas.client_for("editor")

    assert client.delete(f"/api/attachments/{plan.pk}/").status_code == 204

    assert client.get(f"/api/attachments/?space={personas.space.pk}").json()["results"] == []
    for path in ("", "versions/", "download/"):
        assert client.get(f"/api/attachments/{plan.pk}/{path}").status_code == 404, path
    assert client.delete(f"/api/attachments/{plan.pk}/").status_code == 404
    assert len(stored_files()) == 1


def test_it_lists_the_trash_with_who_deleted_each_file_and_when_it_is_purged(
    personas: Personas, plan: Attachment, make_attachment, settings
) -> None:
    settings.ATTACHMENTS_TRASH_DAYS = 3
    other = make_attachment(personas.space, "Other.docx", user=personas.owner)
    personas.client_for("editor").delete(f"/api/attachments/{plan.pk}/")
    personas.client_for("owner").delete(f"/api/attachments/{other.pk}/")
    plan.refresh_from_db()

    editor_items = personas.client_for("editor").get(f"/api/spaces/{personas.space.pk}/trash/").json()["results"]
    owner_items = personas.client_for("owner").get(f"/api/spaces/{personas.space.pk}/trash/").json()["results"]

    assert [item["title"] for item in editor_items] == ["Plan.docx"]
    assert [item["title"] for item in owner_items] == ["Other.docx", "Plan.docx"]  # most recently deleted first
    item = editor_items[0]
    assert item["id"] == plan.pk
    assert item["deleted_by"] == "eddie"
    assert item["version"] == 1
    assert item["file_type"] == "docx"
    assert item["restore_url"] == f"http://testserver/api/attachments/{plan.pk}/restore/"
    assert item["purge_url"] == f"http://testserver/api/attachments/{plan.pk}/purge/"
    assert item["deleted_at"] == DateTimeField().to_representation(plan.deleted_at)
    assert item["purge_at"] == DateTimeField().to_representation(trash.purge_due(plan))


def test_it_restores_a_file_under_the_next_free_name(personas: Personas, plan: Attachment, make_attachment) -> None:
    client = personas.client_for("editor")
    client.delete(f"/api/attachments/{plan.pk}/")
    make_attachment(personas.space, "Plan.docx", b"newer", user=personas.owner)

    response = client.post(f"/api/attachments/{plan.pk}/restore/")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["title"]) == (plan.pk, "Plan (2).docx")
    assert b"".join(client.get(f"/api/attachments/{plan.pk}/download/").streaming_content) == b"plan"
    assert client.post(f"/api/attachments/{plan.pk}/restore/").status_code == 404


def test_it_refuses_an_editor_restoring_what_another_deleted(personas: Personas, plan: Attachment) -> None:
    personas.client_for("owner").delete(f"/api/attachments/{plan.pk}/")

    response = personas.client_for("editor").post(f"/api/attachments/{plan.pk}/restore/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the space's admins can restore files that others deleted."}
    assert Attachment.objects.get(pk=plan.pk).deleted_at is not None


def test_it_purges_a_file_and_frees_its_storage(
    personas: Personas, plan: Attachment, django_capture_on_commit_callbacks
) -> None:
    personas.client_for("editor").delete(f"/api/attachments/{plan.pk}/")
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = personas.client_for("owner").post(f"/api/attachments/{plan.pk}/purge/")

    assert response.status_code == 204
    assert not Attachment.objects.filter(pk=plan.pk).exists()
    assert stored_files() == []


def test_it_purges_and_restores_only_files_in_the_trash(personas: Personas, plan: Attachment) -> None:
    client = personas.client_for("staff")

    assert client.post(f"/api/attachments/{plan.pk}/purge/").status_code == 404
    assert client.post(f"/api/attachments/{plan.pk}/restore/").status_code == 404
    assert client.get("/api/spaces/999/trash/").status_code == 404
    assert client.post(f"/api/attachments/{2**70}/purge/").status_code == 404
    assert client.get(f"/api/spaces/{2**70}/trash/").status_code == 404
    assert Attachment.objects.get(pk=plan.pk).deleted_at is None


def test_it_documents_the_trash_in_the_schema(personas: Personas) -> None:
    schema = personas.client_for("viewer").get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "/api/spaces/{id}/trash/" in schema["paths"]
    assert "post" in schema["paths"]["/api/attachments/{id}/restore/"]
    assert "post" in schema["paths"]["/api/attachments/{id}/purge/"]
    delete = schema["paths"]["/api/attachments/{id}/"]["delete"]
    assert delete["summary"] == "Move to the space's trash (editors)"
    assert "409" in delete["responses"]
