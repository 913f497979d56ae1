"""One rule for file names and types (issue 17, items 1-3), through every path that names or replaces a file.

- A rename keeps the extension: the file page, ``PATCH /api/attachments/<id>/`` and the editor's Rename.
- A new version has the attachment's type: the file page and ``POST /api/attachments/<id>/versions/``.
- A name is taken once per space, case aside: uploads (page, API), renames (page, API, editor), the editor's
  "Save copy as", "New document" and "Convert" number theirs, "Report (2).docx", and say the name given.
  Two writers racing for one name end up with two names (a unique constraint and a retry); the migration that
  adds the constraint numbers the duplicates an existing database holds.

The connector paths run through the fake Document Server (tests/fakeds) over real HTTP, as in production.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from attachments import selectors, services
from attachments.models import Attachment, Space, Version
from connector import ds_settings
from connector.models import ConversionJob
from tests.conftest import Personas
from tests.support.storage_run import stored_names

KEEP_DOCX = "Keep the extension .docx: the file's type cannot be changed by renaming it."
NO_EXTENSION = "Leave the name without an extension: the file's type cannot be changed by renaming it."
VERSION_DOCX = "The new version must be a .docx file, like the current one."
MakeAttachment = Callable[..., Attachment]


def shown(response) -> str:
    """The page's text as a reader sees it (Jinja2 escapes the apostrophes of our messages)."""
    return html.unescape(response.content.decode())


def titles(space: Space) -> list[str]:
    return sorted(Attachment.objects.filter(space=space).values_list("title", flat=True))


def stored_files() -> list[str]:
    return sorted(stored_names())


def page_rename(client: Client, attachment: Attachment, title: str):
    return client.post(reverse("attachment_rename", args=[attachment.pk]), {"title": title}, follow=True)


def api_rename(client: Client, attachment: Attachment, title: str):
    url = f"/api/attachments/{attachment.pk}/"
    return client.patch(url, {"title": title}, content_type="application/json")


def post_json(client: Client, url: str, body: object):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def editor_config(client: Client, attachment: Attachment) -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:2000]
    return json.loads(match.group(1))


def editor_rename(client: Client, attachment: Attachment, title: str):
    return post_json(client, reverse("onlyoffice-event-rename", args=[attachment.pk]), {"title": title})


# --- 1. a rename keeps the extension -----------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Budget.xlsx", "Budget", "Budget.docx.xlsx"])
def test_it_refuses_a_page_rename_that_changes_the_extension(
    personas: Personas, make_attachment: MakeAttachment, title: str
) -> None:
    attachment = make_attachment(personas.space, "Quarterly report.docx")

    response = page_rename(personas.client_for("editor"), attachment, title)

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert KEEP_DOCX in shown(response)
    attachment.refresh_from_db()
    assert attachment.title == "Quarterly report.docx"


@pytest.mark.parametrize("title", ["Budget.xlsx", "Budget"])
def test_it_refuses_an_api_rename_that_changes_the_extension(
    personas: Personas, make_attachment: MakeAttachment, title: str
) -> None:
    attachment = make_attachment(personas.space, "Quarterly report.docx")

    response = api_rename(personas.client_for("editor"), attachment, title)

    assert response.status_code == 400
    assert response.json() == {"title": [KEEP_DOCX]}
    attachment.refresh_from_db()
    assert attachment.title == "Quarterly report.docx"


def test_it_takes_the_extension_in_any_case_and_keeps_its_stored_spelling(
    personas: Personas, make_attachment: MakeAttachment
) -> None:
    on_page = make_attachment(personas.space, "Quarterly report.docx")
    by_api = make_attachment(personas.space, "Minutes.DOCX")
    client = personas.client_for("editor")

    page = page_rename(client, on_page, "Budget.DOCX")
    api = api_rename(client, by_api, "Agenda.docx")

    assert "“Quarterly report.docx” was renamed to “Budget.docx”." in shown(page)
    assert (api.status_code, api.json()["title"]) == (200, "Agenda.DOCX")
    assert titles(personas.space) == ["Agenda.DOCX", "Budget.docx"]


def test_it_keeps_a_file_without_an_extension_without_one(personas: Personas, make_attachment: MakeAttachment) -> None:
    attachment = make_attachment(personas.space, "README")
    client = personas.client_for("editor")

    refused = api_rename(client, attachment, "README.html")
    renamed = api_rename(client, attachment, "Read me first")

    assert (refused.status_code, refused.json()) == (400, {"title": [NO_EXTENSION]})
    assert (renamed.status_code, renamed.json()["title"]) == (200, "Read me first")


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_editors_rename_to_the_same_rule(editing_setup, make_attachment: MakeAttachment) -> None:
    personas, _plan, fake_ds = editing_setup
    # The editor's dialog edits the name without its extension, and the connector adds the file's own; a file
    # that has none is where the editor could still have changed the type.
    bare = make_attachment(personas.space, "Notes", content=b"plain text")
    client = personas.client_for("editor")

    response = editor_rename(client, bare, "Notes.html")

    assert response.status_code == 400
    assert response.json() == {"error": 1, "message": NO_EXTENSION}
    bare.refresh_from_db()
    assert bare.title == "Notes"
    assert fake_ds.requests_to("/command") == []


# --- 2. a new version has the attachment's type ------------------------------------------------------------


def test_it_refuses_a_new_version_of_another_type_through_the_api(
    personas: Personas, make_attachment: MakeAttachment
) -> None:
    attachment = make_attachment(personas.space, "Report.docx")
    files_before = stored_files()

    response = personas.client_for("editor").post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": SimpleUploadedFile("evil.pdf", b"%PDF-1.7")}
    )

    assert response.status_code == 400
    assert response.json() == {"file": [VERSION_DOCX]}
    assert list(attachment.versions.values_list("number", flat=True)) == [1]
    assert stored_files() == files_before


@pytest.mark.parametrize("xhr", [False, True])
def test_it_still_refuses_a_new_version_of_another_type_on_the_page(
    personas: Personas, make_attachment: MakeAttachment, xhr: bool
) -> None:
    attachment = make_attachment(personas.space, "Report.docx")
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if xhr else {}

    response = personas.client_for("editor").post(
        reverse("version_upload", args=[attachment.pk]),
        {"file": SimpleUploadedFile("evil.pdf", b"%PDF-1.7")},
        follow=not xhr,
        **headers,
    )

    if xhr:
        assert (response.status_code, response.json()) == (400, {"error": VERSION_DOCX})
    else:
        assert VERSION_DOCX in shown(response)
    assert Version.objects.filter(attachment=attachment).count() == 1


def test_it_takes_a_new_version_whose_extension_differs_only_in_case(
    personas: Personas, make_attachment: MakeAttachment
) -> None:
    attachment = make_attachment(personas.space, "Report.docx")

    response = personas.client_for("editor").post(
        f"/api/attachments/{attachment.pk}/versions/", {"file": SimpleUploadedFile("REPORT v2.DOCX", b"v2")}
    )

    assert (response.status_code, response.json()["number"]) == (201, 2)


# --- 3. one name per space: uploads ------------------------------------------------------------------------


def test_it_numbers_a_page_upload_whose_name_the_space_has(personas: Personas, make_attachment: MakeAttachment) -> None:
    make_attachment(personas.space, "Welcome.docx")

    response = personas.client_for("editor").post(
        reverse("attachment_upload", args=[personas.space.pk]),
        {"file": SimpleUploadedFile("welcome.DOCX", b"second")},
        follow=True,
    )

    assert titles(personas.space) == ["Welcome.docx", "welcome (2).DOCX"]
    assert "“welcome.DOCX” was uploaded as “welcome (2).DOCX”: the space already has a file of that name." in shown(
        response
    )


def test_it_tells_the_upload_script_the_name_it_got(personas: Personas, make_attachment: MakeAttachment) -> None:
    make_attachment(personas.space, "Welcome.docx")

    response = personas.client_for("editor").post(
        reverse("attachment_upload", args=[personas.space.pk]),
        {"file": SimpleUploadedFile("Welcome.docx", b"second")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 201
    assert response.json()["title"] == "Welcome (2).docx"
    assert response.json()["message"] == (
        "“Welcome.docx” was uploaded as “Welcome (2).docx”: the space already has a file of that name."
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_name_it_got_in_the_upload_list(personas: Personas, make_attachment, browser_page) -> None:
    from playwright.sync_api import expect

    make_attachment(personas.space, "Welcome.docx")
    browser_page.login(personas.client_for("editor"))
    browser_page.goto(reverse("space_detail", args=[personas.space.pk]))

    browser_page.page.set_input_files(
        "#upload-file", files=[{"name": "Welcome.docx", "mimeType": "application/octet-stream", "buffer": b"x"}]
    )

    row = browser_page.page.locator(".upload-item.is-done")
    expect(row).to_contain_text(
        "“Welcome.docx” was uploaded as “Welcome (2).docx”: the space already has a file of that name."
    )
    assert titles(personas.space) == ["Welcome (2).docx", "Welcome.docx"]


def test_it_numbers_each_of_several_files_of_one_name_in_one_upload(personas: Personas) -> None:
    files = [SimpleUploadedFile("Notes.txt", b"one"), SimpleUploadedFile("notes.txt", b"two")]

    response = personas.client_for("editor").post(
        reverse("attachment_upload", args=[personas.space.pk]), {"file": files}, follow=True
    )

    assert titles(personas.space) == ["Notes.txt", "notes (2).txt"]
    assert "2 files were uploaded." in shown(response)
    assert "“notes.txt” was uploaded as “notes (2).txt”" in shown(response)


@pytest.mark.parametrize(
    ("existing", "uploaded", "given"),
    [
        (["Report.docx"], "REPORT.docx", "REPORT (2).docx"),
        (["Report.docx", "Report (2).docx"], "Report.docx", "Report (3).docx"),
        (["Report.docx", "Report (2).docx"], "Report (2).docx", "Report (3).docx"),
        (["Report (2).docx"], "Report.docx", "Report.docx"),
        (["Notes"], "notes", "notes (2)"),
    ],
)
def test_it_numbers_an_api_upload_whose_name_the_space_has(
    personas: Personas, make_attachment: MakeAttachment, existing: list[str], uploaded: str, given: str
) -> None:
    for title in existing:
        make_attachment(personas.space, title)

    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": SimpleUploadedFile(uploaded, b"new")}
    )

    assert response.status_code == 201
    assert response.json()["title"] == given
    assert titles(personas.space) == sorted([*existing, given])


def test_it_numbers_a_title_given_to_the_api(personas: Personas, make_attachment: MakeAttachment) -> None:
    make_attachment(personas.space, "Plan.docx")

    response = personas.client_for("editor").post(
        "/api/attachments/",
        {"space": personas.space.pk, "file": SimpleUploadedFile("upload.bin", b"new"), "title": "plan.docx"},
    )

    assert response.json()["title"] == "plan (2).docx"


def test_it_lets_other_spaces_use_the_same_name(personas: Personas, make_attachment: MakeAttachment) -> None:
    other = services.space_create(name="Other", created_by=personas.editor)
    make_attachment(personas.space, "Welcome.docx")

    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": other.pk, "file": SimpleUploadedFile("Welcome.docx", b"x")}
    )

    assert response.json()["title"] == "Welcome.docx"


def test_it_takes_the_next_name_when_another_writer_took_the_free_one_meanwhile(
    personas: Personas, make_attachment: MakeAttachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_attachment(personas.space, "Welcome.docx")
    real_free_title = selectors.free_title
    raced: list[str] = []

    def free_title_then_taken(space, wanted: str, **kwargs) -> str:
        # Once, another writer stores the free name between our look-up and our insert.
        name = real_free_title(space, wanted, **kwargs)
        if not raced:
            raced.append(name)
            make_attachment(personas.space, name, content=b"the competitor")
        return name

    monkeypatch.setattr(selectors, "free_title", free_title_then_taken)

    response = personas.client_for("editor").post(
        "/api/attachments/", {"space": personas.space.pk, "file": SimpleUploadedFile("Welcome.docx", b"ours")}
    )

    assert response.status_code == 201
    assert raced == ["Welcome (2).docx"]
    assert response.json()["title"] == "Welcome (3).docx"
    assert titles(personas.space) == ["Welcome (2).docx", "Welcome (3).docx", "Welcome.docx"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_two_concurrent_uploads_of_one_name_two_names(
    personas: Personas, make_attachment: MakeAttachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_attachment(personas.space, "Welcome.docx")
    token = Token.objects.create(user=personas.editor).key
    real_free_title = selectors.free_title
    barrier = threading.Barrier(2)
    first_look = threading.local()

    def free_title_in_step(space, wanted: str, **kwargs) -> str:
        # Both requests pick their name before either writes it: the race a lock-free check loses.
        name = real_free_title(space, wanted, **kwargs)
        if not getattr(first_look, "done", False):
            first_look.done = True
            barrier.wait(timeout=30)
        return name

    monkeypatch.setattr(selectors, "free_title", free_title_in_step)

    def upload(content: bytes) -> tuple[int, str]:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            file = SimpleUploadedFile("Welcome.docx", content)
            response = client.post("/api/attachments/", {"space": personas.space.pk, "file": file})
            return response.status_code, response.json()["title"]
        finally:
            connection.close()  # this thread's own connection; the test database cannot be dropped otherwise

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(upload, [b"first", b"second"]))

    assert answers == [(201, "Welcome (2).docx"), (201, "Welcome (3).docx")]
    assert titles(personas.space) == ["Welcome (2).docx", "Welcome (3).docx", "Welcome.docx"]


# --- 3. one name per space: renames ------------------------------------------------------------------------


def test_it_numbers_a_page_rename_into_a_taken_name_and_says_so(
    personas: Personas, make_attachment: MakeAttachment
) -> None:
    make_attachment(personas.space, "Budget.docx")
    attachment = make_attachment(personas.space, "Draft.docx")

    response = page_rename(personas.client_for("editor"), attachment, "budget.docx")

    attachment.refresh_from_db()
    assert attachment.title == "budget (2).docx"
    assert "“Draft.docx” was renamed to “budget (2).docx”: the space already has a file named “budget.docx”." in shown(
        response
    )


def test_it_numbers_an_api_rename_into_a_taken_name(personas: Personas, make_attachment: MakeAttachment) -> None:
    make_attachment(personas.space, "Budget.docx")
    make_attachment(personas.space, "Budget (2).docx")
    attachment = make_attachment(personas.space, "Draft.docx")

    response = api_rename(personas.client_for("editor"), attachment, "Budget (2).docx")

    assert (response.status_code, response.json()["title"]) == (200, "Budget (3).docx")


def test_it_lets_a_file_change_the_case_of_its_own_name(personas: Personas, make_attachment: MakeAttachment) -> None:
    attachment = make_attachment(personas.space, "budget.docx")

    response = page_rename(personas.client_for("editor"), attachment, "Budget.docx")

    attachment.refresh_from_db()
    assert attachment.title == "Budget.docx"
    assert "“budget.docx” was renamed to “Budget.docx”." in shown(response)


@pytest.mark.django_db(transaction=True)
def test_it_numbers_an_editor_rename_into_a_taken_name_and_tells_the_session(
    editing_setup, make_attachment: MakeAttachment
) -> None:
    personas, attachment, fake_ds = editing_setup
    make_attachment(personas.space, "Budget.docx")
    client = personas.client_for("editor")
    session = fake_ds.open(editor_config(client, attachment))

    response = editor_rename(client, attachment, "Budget")

    assert (response.status_code, response.json()) == (200, {"title": "Budget (2).docx"})
    assert session.meta_changes == [{"title": "Budget (2).docx"}]
    assert titles(personas.space) == ["Budget (2).docx", "Budget.docx"]


# --- 3. one name per space: the connector's own files ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_continues_the_numbering_of_a_copy_saved_from_the_editor(editing_setup, make_attachment) -> None:
    personas, attachment, fake_ds = editing_setup
    make_attachment(personas.space, "Plan (2).docx")
    blob = fake_ds.blobs.put("saveas_numbering", "output.docx", b"copy", "application/octet-stream")
    url = fake_ds.blobs.link(fake_ds.url, blob, "output.docx", now=int(fake_ds.now()))
    body = {"url": url, "title": "plan (2).docx", "fileType": "docx", "space_id": personas.space.pk}

    response = post_json(personas.client_for("editor"), reverse("onlyoffice-event-save-as", args=[attachment.pk]), body)

    assert response.status_code == 201
    assert response.json()["title"] == "plan (3).docx"
    assert titles(personas.space) == ["Plan (2).docx", "Plan.docx", "plan (3).docx"]


def test_it_continues_the_numbering_of_a_new_document(personas: Personas, make_attachment: MakeAttachment) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret="a-secret-long-enough-for-hs256-0123456789")
    make_attachment(personas.space, "Minutes (2).docx")

    response = personas.client_for("editor").post(
        reverse("onlyoffice-new", args=[personas.space.pk]), {"kind": "docx", "name": "Minutes (2)"}
    )

    assert response.status_code == 302
    assert titles(personas.space) == ["Minutes (2).docx", "Minutes (3).docx"]


@pytest.mark.django_db(transaction=True)
def test_it_continues_the_numbering_of_a_conversion_result(
    personas: Personas, make_attachment: MakeAttachment, live_server, fake_ds
) -> None:
    ds_settings.update(public_url=fake_ds.url, jwt_secret=fake_ds.secret, connector_url=live_server.url)
    original = make_attachment(personas.space, "Minutes (2).odt", b"PK\x03\x04 odt the fake converts as a placeholder")
    make_attachment(personas.space, "minutes (2).docx")
    client = personas.client_for("editor")

    response = client.post(reverse("onlyoffice-convert", args=[original.pk]), {"kind": "ooxml"})

    assert response.status_code == 302
    job = ConversionJob.objects.get(attachment=original)
    status = client.get(reverse("onlyoffice-conversion-status", args=[job.pk])).json()
    assert status["state"] == "done", status
    job.refresh_from_db()
    assert job.result_attachment.title == "Minutes (3).docx"
    assert "Minutes (3).docx" in client.get(response["Location"]).content.decode()


# --- the migration that adds the constraint ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_numbers_the_duplicates_an_existing_database_holds_when_migrating() -> None:
    before = ("attachments", "0002_space_listed_index")
    after = ("attachments", "0003_attachment_unique_title_per_space")
    call_command("migrate", *before, verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        space = old.get_model("attachments", "Space").objects.create(name="Legacy")
        elsewhere = old.get_model("attachments", "Space").objects.create(name="Elsewhere")
        rows = old.get_model("attachments", "Attachment").objects
        first = rows.create(space=space, title="Welcome.docx")
        second = rows.create(space=space, title="welcome.docx")
        third = rows.create(space=space, title="WELCOME.docx")
        numbered = rows.create(space=space, title="Welcome (2).docx")
        other = rows.create(space=elsewhere, title="Welcome.docx")

        call_command("migrate", *after, verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    shown = dict(Attachment.objects.values_list("pk", "title"))
    assert shown[first.pk] == "Welcome.docx"
    assert shown[numbered.pk] == "Welcome (2).docx"
    assert (shown[second.pk], shown[third.pk]) == ("welcome (3).docx", "WELCOME (4).docx")
    assert shown[other.pk] == "Welcome.docx"
