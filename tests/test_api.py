"""The REST API: the permission matrix for every endpoint, and what each endpoint does."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from attachments import trash, uploads
from attachments.display import user_name
from attachments.models import Attachment, Membership, Role, Space, Version
from tests.conftest import Personas, make_user
from tests.support.storage_run import stored_names

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "staff"]


@pytest.fixture
def attachment(personas: Personas, make_attachment: Callable[..., Attachment]) -> Attachment:
    return make_attachment(personas.space, "report.docx", b"first version", user=personas.owner)


def upload(name: str = "notes.txt", content: bytes = b"hello") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files() -> list[str]:
    return sorted(stored_names())


# --- the permission matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request against the fixtures (a space with members, one attachment in it)."""

    name: str
    send: Callable[[Client, Personas, Attachment], object]


def _trashed(personas: Personas, attachment: Attachment) -> int:
    """The fixture's file moved to the trash by the editor (so the editor may restore it); its id."""
    trash.attachment_trash(attachment=attachment, deleted_by=personas.editor)
    return attachment.pk


CALLS = {
    "spaces-list": Call("spaces-list", lambda c, p, a: c.get("/api/spaces/")),
    "spaces-create": Call("spaces-create", lambda c, p, a: c.post("/api/spaces/", {"name": "New", "description": ""})),
    "space-get": Call("space-get", lambda c, p, a: c.get(f"/api/spaces/{p.space.pk}/")),
    "space-rename": Call(
        "space-rename",
        lambda c, p, a: c.patch(f"/api/spaces/{p.space.pk}/", {"name": "Renamed"}, content_type="application/json"),
    ),
    "space-delete": Call("space-delete", lambda c, p, a: c.delete(f"/api/spaces/{p.space.pk}/?confirm={p.space.name}")),
    "members-list": Call("members-list", lambda c, p, a: c.get(f"/api/spaces/{p.space.pk}/members/")),
    "members-set": Call(
        "members-set",
        lambda c, p, a: c.post(f"/api/spaces/{p.space.pk}/members/", {"username": "newbie", "role": "viewer"}),
    ),
    "attachments-list": Call("attachments-list", lambda c, p, a: c.get(f"/api/attachments/?space={p.space.pk}")),
    "attachments-upload": Call(
        "attachments-upload", lambda c, p, a: c.post("/api/attachments/", {"space": p.space.pk, "file": upload()})
    ),
    "attachment-get": Call("attachment-get", lambda c, p, a: c.get(f"/api/attachments/{a.pk}/")),
    "attachment-rename": Call(
        "attachment-rename",
        lambda c, p, a: c.patch(f"/api/attachments/{a.pk}/", {"title": "b.docx"}, content_type="application/json"),
    ),
    "attachment-delete": Call("attachment-delete", lambda c, p, a: c.delete(f"/api/attachments/{a.pk}/")),
    "versions-list": Call("versions-list", lambda c, p, a: c.get(f"/api/attachments/{a.pk}/versions/")),
    "versions-create": Call(
        "versions-create", lambda c, p, a: c.post(f"/api/attachments/{a.pk}/versions/", {"file": upload("v2.docx")})
    ),
    "download": Call("download", lambda c, p, a: c.get(f"/api/attachments/{a.pk}/download/?version=1")),
    "download-head": Call("download-head", lambda c, p, a: c.head(f"/api/attachments/{a.pk}/download/")),
    "thumbnail": Call("thumbnail", lambda c, p, a: c.get(f"/api/attachments/{a.pk}/thumbnail/")),
    "trash-list": Call("trash-list", lambda c, p, a: c.get(f"/api/spaces/{p.space.pk}/trash/")),
    "trash-restore": Call("trash-restore", lambda c, p, a: c.post(f"/api/attachments/{_trashed(p, a)}/restore/")),
    "trash-purge": Call("trash-purge", lambda c, p, a: c.post(f"/api/attachments/{_trashed(p, a)}/purge/")),
}

# Expected status per endpoint for: anonymous, outsider, viewer, editor, owner (space admin), staff.
MATRIX = {
    "spaces-list": (401, 200, 200, 200, 200, 200),
    "spaces-create": (401, 201, 201, 201, 201, 201),
    "space-get": (401, 404, 200, 200, 200, 200),
    "space-rename": (401, 404, 403, 403, 200, 200),
    "space-delete": (401, 404, 403, 403, 204, 204),
    "members-list": (401, 404, 200, 200, 200, 200),
    "members-set": (401, 404, 403, 403, 201, 201),
    "attachments-list": (401, 404, 200, 200, 200, 200),
    "attachments-upload": (401, 404, 403, 201, 201, 201),
    "attachment-get": (401, 404, 200, 200, 200, 200),
    "attachment-rename": (401, 404, 403, 200, 200, 200),
    "attachment-delete": (401, 404, 403, 204, 204, 204),
    "versions-list": (401, 404, 200, 200, 200, 200),
    "versions-create": (401, 404, 403, 201, 201, 201),
    "download": (401, 404, 200, 200, 200, 200),
    "download-head": (401, 404, 200, 200, 200, 200),
    # Members get 404 while no thumbnail is made (none is here: tests turn thumbnails off); tests/test_thumbnails.py.
    "thumbnail": (401, 404, 404, 404, 404, 404),
    "trash-list": (401, 404, 403, 200, 200, 200),
    "trash-restore": (401, 404, 403, 200, 200, 200),
    "trash-purge": (401, 404, 403, 403, 204, 204),
}


def test_it_covers_every_api_route_in_the_matrix() -> None:
    from attachments.api_urls import urlpatterns

    assert set(MATRIX) == set(CALLS)
    assert len(urlpatterns) == 11  # a new route must get rows in MATRIX


@pytest.mark.parametrize(
    ("call", "persona", "expected"),
    [(call, persona, statuses[i]) for call, statuses in MATRIX.items() for i, persona in enumerate(PERSONAS)],
    ids=[f"{call}-{persona}" for call in MATRIX for persona in PERSONAS],
)
def test_it_enforces_the_permission_matrix(
    personas: Personas, attachment: Attachment, call: str, persona: str, expected: int
) -> None:
    make_user("newbie")
    response = CALLS[call].send(personas.client_for(persona), personas, attachment)

    assert response.status_code == expected, getattr(response, "content", b"")[:300]
    if expected == 401:
        # Without the header DRF would have answered 403, and clients could not tell "log in" from "forbidden".
        assert response["WWW-Authenticate"] == "Token"
    if expected in {403, 404} and call != "download-head":
        assert "detail" in response.json()


def test_it_changes_nothing_when_a_write_is_refused(personas: Personas, attachment: Attachment) -> None:
    make_user("newbie")
    for persona in ("anonymous", "outsider", "viewer"):
        for call in ("members-set", "attachments-upload", "attachment-rename", "attachment-delete", "versions-create"):
            CALLS[call].send(personas.client_for(persona), personas, attachment)

    assert list(Attachment.objects.values_list("title", "current_version")) == [("report.docx", 1)]
    assert Version.objects.count() == 1
    assert not Membership.objects.filter(user__username="newbie").exists()
    assert len(stored_files()) == 1


def test_it_hides_an_unknown_attachment_like_a_foreign_one(personas: Personas) -> None:
    client = personas.client_for("staff")
    for url in ("/api/attachments/999/", "/api/attachments/999/versions/", "/api/attachments/999/download/"):
        assert client.get(url).status_code == 404
    assert client.get("/api/spaces/999/members/").status_code == 404
    assert client.get(f"/api/attachments/{2**70}/").status_code == 404
    assert client.get(f"/api/spaces/{2**70}/members/").status_code == 404


# --- authentication ----------------------------------------------------------------------------------


def test_it_accepts_a_token_made_by_drf_create_token(personas: Personas, attachment: Attachment) -> None:
    out = io.StringIO()
    call_command("drf_create_token", "vera", stdout=out)
    key = Token.objects.get(user=personas.viewer).key
    assert key in out.getvalue()

    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"/api/attachments/{attachment.pk}/").status_code == 200
    assert client.delete(f"/api/attachments/{attachment.pk}/").status_code == 403


def test_it_refuses_a_wrong_token_with_401(personas: Personas) -> None:
    response = Client(HTTP_AUTHORIZATION="Token not-a-real-token").get("/api/spaces/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_requires_the_csrf_token_for_session_writes(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)

    response = client.post("/api/spaces/", {"name": "Forged"})

    assert response.status_code == 403
    assert not Space.objects.filter(name="Forged").exists()


# --- spaces and members ------------------------------------------------------------------------------


def test_it_lists_only_the_spaces_a_user_belongs_to(personas: Personas) -> None:
    other = Space.objects.create(name="Secret")

    viewer = personas.client_for("viewer").get("/api/spaces/").json()
    outsider = personas.client_for("outsider").get("/api/spaces/").json()
    staff = personas.client_for("staff").get("/api/spaces/").json()

    assert [(s["id"], s["role"]) for s in viewer["results"]] == [(personas.space.pk, "viewer")]
    assert outsider == {"count": 0, "next": None, "previous": None, "results": []}
    assert {(s["id"], s["role"]) for s in staff["results"]} == {(personas.space.pk, "admin"), (other.pk, "admin")}


def test_it_makes_the_creator_of_a_space_its_admin(personas: Personas) -> None:
    response = personas.client_for("outsider").post("/api/spaces/", {"name": " Legal ", "description": "Contracts"})

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["description"], body["role"]) == ("Legal", "Contracts", "admin")
    assert Membership.objects.get(space_id=body["id"], user=personas.outsider).role == Role.ADMIN


def test_it_refuses_a_space_without_a_name(personas: Personas) -> None:
    response = personas.client_for("owner").post("/api/spaces/", {"name": ""})

    assert response.status_code == 400
    assert "name" in response.json()


def test_it_adds_a_member_and_changes_their_role(personas: Personas) -> None:
    make_user("newbie", first_name="New", last_name="Bie")
    client = personas.client_for("owner")
    url = f"/api/spaces/{personas.space.pk}/members/"

    added = client.post(url, {"username": "newbie", "role": "viewer"})
    changed = client.post(url, {"username": "newbie", "role": "editor"})

    assert added.status_code == 201
    assert added.json()["role"] == "viewer"
    assert changed.status_code == 200
    assert changed.json() == {**changed.json(), "username": "newbie", "name": "New Bie", "role": "editor"}
    members = client.get(url).json()["results"]
    assert [(m["username"], m["role"]) for m in members] == [
        ("eddie", "editor"),
        ("newbie", "editor"),
        ("olivia", "admin"),
        ("vera", "viewer"),
    ]


def test_it_refuses_to_demote_the_last_admin_through_the_api(personas: Personas) -> None:
    url = f"/api/spaces/{personas.space.pk}/members/"

    response = personas.client_for("owner").post(url, {"username": "olivia", "role": "editor"})

    assert response.status_code == 400
    assert response.json()["role"] == ["A space needs at least one admin."]
    assert personas.space.memberships.get(user=personas.owner).role == "admin"


def test_it_explains_an_unknown_username(personas: Personas) -> None:
    response = personas.client_for("owner").post(
        f"/api/spaces/{personas.space.pk}/members/", {"username": "nobody", "role": "viewer"}
    )

    assert response.status_code == 400
    assert response.json() == {"username": ["There is no user with this username or e-mail address."]}


def test_it_refuses_an_unknown_role(personas: Personas) -> None:
    response = personas.client_for("owner").post(
        f"/api/spaces/{personas.space.pk}/members/", {"username": "vera", "role": "owner"}
    )

    assert response.status_code == 400
    assert "role" in response.json()
    assert Membership.objects.get(space=personas.space, user=personas.viewer).role == Role.VIEWER


# --- attachments -------------------------------------------------------------------------------------


def test_it_lists_attachments_paginated(personas: Personas, make_attachment: Callable[..., Attachment]) -> None:
    make_attachment(personas.space, "b.xlsx")
    make_attachment(personas.space, "a.docx")
    make_attachment(Space.objects.create(name="Other"), "elsewhere.docx")

    body = personas.client_for("viewer").get(f"/api/attachments/?space={personas.space.pk}").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [a["title"] for a in body["results"]] == ["a.docx", "b.xlsx"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 400),
        ("?space=", 400),
        ("?space=abc", 400),
        ("?space=\u0661", 400),
        ("?space=999", 404),
        (f"?space={2**70}", 404),
        ("?space=" + "9" * 5000, 404),
    ],
    ids=["missing", "empty", "letters", "arabic-digit", "unknown", "beyond-bigint", "5000-digits"],
)
def test_it_checks_the_space_parameter(personas: Personas, query: str, expected: int) -> None:
    response = personas.client_for("staff").get(f"/api/attachments/{query}")

    assert response.status_code == expected
    if expected == 400:
        assert "space" in response.json()


def test_it_lists_attachments_with_a_constant_number_of_queries(
    personas: Personas, make_attachment: Callable[..., Attachment]
) -> None:
    client = personas.client_for("editor")
    url = f"/api/attachments/?space={personas.space.pk}"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_attachment(personas.space, "one.docx", user=personas.owner)
    with_one = queries()
    for number in range(5):
        make_attachment(personas.space, f"more-{number}.docx", user=personas.editor)
    assert queries() == with_one


def test_it_uploads_an_attachment(personas: Personas) -> None:
    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": upload("Budget 2026.XLSX", b"numbers")}
    )

    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    version = attachment.versions.get()
    assert body == {
        "id": attachment.pk,
        "space": personas.space.pk,
        "title": "Budget 2026.XLSX",
        "file_type": "xlsx",
        "version": 1,
        "size": 7,
        "sha256": version.sha256,
        "created_at": body["created_at"],
        "created_by": "eddie",
        "updated_at": body["updated_at"],
        "modified_by": "eddie",
        "download_url": f"http://testserver/api/attachments/{attachment.pk}/download/",
        "versions_url": f"http://testserver/api/attachments/{attachment.pk}/versions/",
    }
    assert default_storage.open(version.file.name).read() == b"numbers"


def test_it_takes_the_title_from_the_form_when_given(personas: Personas) -> None:
    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": upload("scan.pdf"), "title": " Invoice.pdf "}
    )

    assert response.json()["title"] == "Invoice.pdf"


@pytest.mark.parametrize("space", ["", "abc", "-1"])
def test_it_refuses_an_upload_without_a_valid_space(personas: Personas, space: str) -> None:
    response = personas.client_for("editor").post("/api/attachments/", {"space": space, "file": upload()})

    assert response.status_code == 400
    assert "space" in response.json()
    assert stored_files() == []


def test_it_refuses_an_upload_without_a_file(personas: Personas) -> None:
    response = personas.client_for("editor").post("/api/attachments/", {"space": personas.space.pk})

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()


def test_it_renames_an_attachment_with_a_clean_title(personas: Personas, attachment: Attachment) -> None:
    response = personas.client_for("editor").patch(
        f"/api/attachments/{attachment.pk}/", {"title": "../x/Budget\u202e.docx"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["file_type"], response.json()["modified_by"]) == (
        "Budget.docx",
        "docx",
        "eddie",
    )
    attachment.refresh_from_db()
    assert attachment.title == "Budget.docx"


def test_it_moves_a_deleted_attachment_to_the_trash_and_keeps_its_files(
    personas: Personas, attachment: Attachment, django_capture_on_commit_callbacks
) -> None:
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = personas.client_for("owner").delete(f"/api/attachments/{attachment.pk}/")

    assert response.status_code == 204
    # In the trash (tests/test_trash_api.py), not gone: storage is freed only when it is purged.
    assert Attachment.objects.get(pk=attachment.pk).deleted_at is not None
    assert len(stored_files()) == 1


# --- versions and downloads --------------------------------------------------------------------------


def test_it_adds_a_version_and_lists_versions_newest_first(personas: Personas, attachment: Attachment) -> None:
    client = personas.client_for("editor")

    created = client.post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": upload("x.docx", b"second"), "comment": "typos"}
    )
    listed = client.get(f"/api/attachments/{attachment.pk}/versions/").json()

    assert created.status_code == 201
    assert created.json() == listed["results"][0]
    newest, oldest = listed["results"]
    assert (newest["number"], newest["size"], newest["comment"], newest["created_by"]) == (2, 6, "typos", "eddie")
    assert (newest["source"], newest["content_type"]) == ("upload", Version.objects.get(number=2).content_type)
    assert newest["download_url"] == f"http://testserver/api/attachments/{attachment.pk}/download/?version=2"
    assert (oldest["number"], oldest["created_by"]) == (1, "olivia")
    assert (newest["created_by_name"], oldest["created_by_name"]) == (
        user_name(personas.editor),
        user_name(personas.owner),
    )
    assert client.get(f"/api/attachments/{attachment.pk}/").json()["version"] == 2


def test_it_downloads_any_version(personas: Personas, attachment: Attachment) -> None:
    client = personas.client_for("viewer")
    client_editor = personas.client_for("editor")
    client_editor.post(f"/api/attachments/{attachment.pk}/versions/", {"file": upload("x.docx", b"second")})

    current = client.get(f"/api/attachments/{attachment.pk}/download/")
    first = client.get(f"/api/attachments/{attachment.pk}/download/?version=1", HTTP_ACCEPT="application/octet-stream")

    assert b"".join(current.streaming_content) == b"second"
    assert (first.status_code, b"".join(first.streaming_content)) == (200, b"first version")
    assert first["Content-Disposition"] == 'attachment; filename="report.docx"'


def test_it_answers_head_with_the_length_and_no_body(personas: Personas, attachment: Attachment) -> None:
    response = personas.client_for("viewer").head(f"/api/attachments/{attachment.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(b"first version"))
    assert b"".join(response.streaming_content) == b""


@pytest.mark.parametrize(
    "version",
    ["2", "0", "abc", "-1", "1.0", "\u0661", str(2**70), "9" * 5000],
    ids=["unknown", "zero", "letters", "negative", "decimal", "arabic-digit", "beyond-bigint", "5000-digits"],
)
def test_it_answers_404_json_for_a_bad_version(personas: Personas, attachment: Attachment, version: str) -> None:
    response = personas.client_for("viewer").get(f"/api/attachments/{attachment.pk}/download/?version={version}")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such version."}


# --- the upload limit --------------------------------------------------------------------------------


def test_it_refuses_an_attachment_over_the_upload_limit(personas: Personas, settings) -> None:
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 10

    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": upload("big.txt", b"x" * 11)}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the upload limit of 10 B."}
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_it_refuses_a_version_over_the_upload_limit(personas: Personas, attachment: Attachment, settings) -> None:
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 10

    response = personas.client_for("editor").post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": upload("big.docx", b"x" * 11)}
    )
    at_limit = personas.client_for("editor").post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": upload("ok.docx", b"x" * 10)}
    )

    assert response.status_code == 413
    assert at_limit.status_code == 201
    assert list(attachment.versions.values_list("number", flat=True)) == [2, 1]
    assert len(stored_files()) == 2


def test_it_answers_413_when_the_service_finds_the_file_too_large(
    personas: Personas, attachment: Attachment, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should the upload handler ever let a large file through, the service's own limit still holds.
    monkeypatch.setattr(uploads.SizeLimitUploadHandler, "receive_data_chunk", lambda self, raw, start: raw)
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 10

    new = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": upload("big.txt", b"x" * 11)}
    )
    version = personas.client_for("editor").post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": upload("big.docx", b"x" * 11)}
    )

    assert (new.status_code, version.status_code) == (413, 413)
    assert new.json() == {"detail": "The file is larger than the upload limit of 10 B."}
    assert Attachment.objects.count() == 1
    assert Version.objects.count() == 1
    assert len(stored_files()) == 1


# --- the schema --------------------------------------------------------------------------------------


def test_it_generates_a_valid_schema_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = target.read_text(encoding="utf-8")
    for path in ("/api/spaces/{id}/members/", "/api/attachments/{id}/download/", "/api/attachments/{id}/versions/"):
        assert path in schema


def test_it_serves_the_schema_and_the_docs(db: None) -> None:
    client = Client()

    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
