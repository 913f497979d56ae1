"""The attachment store's pages: the permission matrix, uploads, versions, rename, delete, download, the list."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attachments import actions, services
from attachments.actions import Action, RowExtras, Status
from attachments.models import Attachment, Membership, Role, Version
from tests.conftest import Personas
from tests.support.storage_run import stored_names

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "staff"]
RANK = {"outsider": 0, "viewer": 1, "editor": 2, "owner": 3, "staff": 3}
NEEDED = {"login": 0, "viewer": 1, "editor": 2, "admin": 3}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    needs: str  # "login", "viewer", "editor" or "admin"
    ok: int  # the status a persona with enough rights gets
    url: Callable[[Personas, Attachment], str]
    data: Callable[[Personas], dict] = lambda p: {}


def _space_url(name: str) -> Callable[[Personas, Attachment], str]:
    return lambda p, a: reverse(name, args=[p.space.id])


def _attachment_url(name: str) -> Callable[[Personas, Attachment], str]:
    return lambda p, a: reverse(name, args=[a.id])


def _upload_data(p: Personas) -> dict:
    return {"file": SimpleUploadedFile("notes.txt", b"hello")}


ENDPOINTS = [
    Endpoint("home", "get", "login", 200, lambda p, a: reverse("home")),
    Endpoint("space_create", "get", "login", 200, lambda p, a: reverse("space_create")),
    Endpoint("space_create", "post", "login", 302, lambda p, a: reverse("space_create"), lambda p: {"name": "New"}),
    Endpoint("space_detail", "get", "viewer", 200, _space_url("space_detail")),
    Endpoint("attachment_upload", "post", "editor", 302, _space_url("attachment_upload"), _upload_data),
    Endpoint("space_members", "get", "admin", 200, _space_url("space_members")),
    Endpoint(
        "space_members",
        "post",
        "admin",
        302,
        _space_url("space_members"),
        lambda p: {"username": "oscar", "role": "viewer"},
    ),
    Endpoint(
        "space_member_role",
        "post",
        "admin",
        302,
        lambda p, a: reverse("space_member_role", args=[p.space.id, p.viewer.id]),
        lambda p: {"role": "editor"},
    ),
    Endpoint(
        "space_member_remove",
        "post",
        "admin",
        302,
        lambda p, a: reverse("space_member_remove", args=[p.space.id, p.viewer.id]),
    ),
    Endpoint("attachment_detail", "get", "viewer", 200, _attachment_url("attachment_detail")),
    Endpoint("attachment_download", "get", "viewer", 200, _attachment_url("attachment_download")),
    Endpoint("version_upload", "post", "editor", 302, _attachment_url("version_upload"), _upload_data),
    Endpoint("version_restore", "post", "editor", 302, lambda p, a: reverse("version_restore", args=[a.id, 1])),
    Endpoint("attachment_rename", "get", "editor", 200, _attachment_url("attachment_rename")),
    Endpoint(
        "attachment_rename", "post", "editor", 302, _attachment_url("attachment_rename"), lambda p: {"title": "b.txt"}
    ),
    Endpoint("attachment_delete", "get", "editor", 200, _attachment_url("attachment_delete")),
    Endpoint("attachment_delete", "post", "editor", 302, _attachment_url("attachment_delete")),
]


def _expected(persona: str, endpoint: Endpoint) -> int | str:
    if persona == "anonymous":
        return "login"
    if persona == "outsider" and endpoint.needs != "login":
        return 404
    return endpoint.ok if RANK[persona] >= NEEDED[endpoint.needs] or endpoint.needs == "login" else 403


def _upload(client, url: str, name: str, content: bytes, *, xhr: bool, **extra: str):
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if xhr else {}
    return client.post(url, {"file": SimpleUploadedFile(name, content), **extra}, **headers)


def _stored_bytes(version: Version) -> bytes:
    with default_storage.open(version.file.name, "rb") as handle:
        return handle.read()


def _stored_files() -> list[str]:
    return sorted(stored_names())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method}-{e.name}")
def test_it_applies_the_permission_matrix(personas: Personas, make_attachment, persona: str, endpoint: Endpoint):
    attachment = make_attachment(personas.space, title="a.txt", user=personas.owner)
    services.version_create(attachment=attachment, chunks=[b"second"], source="upload", created_by=personas.owner)
    client = personas.client_for(persona)

    response = getattr(client, endpoint.method)(endpoint.url(personas, attachment), endpoint.data(personas))

    expected = _expected(persona, endpoint)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected, response.content[:500]


def test_it_answers_404_for_a_space_that_does_not_exist_and_for_a_space_of_others(personas: Personas):
    client = personas.client_for("outsider")

    hidden = client.get(reverse("space_detail", args=[personas.space.id]))
    missing = client.get(reverse("space_detail", args=[personas.space.id + 1000]))

    assert hidden.status_code == missing.status_code == 404
    assert b"Page not found" in hidden.content
    assert personas.space.name.encode() not in hidden.content


def test_it_renders_the_403_page_for_a_member_without_the_role(personas: Personas):
    response = personas.client_for("viewer").get(reverse("space_members", args=[personas.space.id]))

    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_it_renders_the_500_page_without_a_request():
    from django.template import loader

    html = loader.get_template("500.html").render()

    assert "Something went wrong" in html
    assert "Log out" not in html


def test_it_lists_only_my_spaces_on_the_home_page(personas: Personas):
    services.space_create(name="Secret lab", created_by=personas.outsider)

    mine = personas.client_for("viewer").get(reverse("home"))
    staff = personas.client_for("staff").get(reverse("home"))

    assert b"Engineering" in mine.content
    assert b"Secret lab" not in mine.content
    assert b"Secret lab" in staff.content


def test_it_shows_an_empty_state_on_the_home_page(personas: Personas):
    response = personas.client_for("outsider").get(reverse("home"))

    assert b"No spaces yet" in response.content
    assert reverse("space_create").encode() in response.content


def test_it_makes_the_creator_admin_of_a_new_space(personas: Personas):
    response = personas.client_for("outsider").post(reverse("space_create"), {"name": "  Design  "})

    membership = Membership.objects.get(user=personas.outsider)
    assert membership.space.name == "Design"
    assert membership.role == Role.ADMIN
    assert response["Location"] == reverse("space_detail", args=[membership.space.id])


def test_it_uploads_a_file_with_xhr_as_version_1_byte_identical(personas: Personas):
    content = bytes(range(256)) * 40
    url = reverse("attachment_upload", args=[personas.space.id])

    response = _upload(personas.client_for("editor"), url, "Plan.xlsx", content, xhr=True)

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json() == {"id": attachment.id, "title": "Plan.xlsx", "version": 1}
    version = attachment.versions.get()
    assert version.number == 1
    assert version.source == "upload"
    assert version.created_by == personas.editor
    assert _stored_bytes(version) == content


def test_it_uploads_files_with_a_plain_form_and_redirects_with_a_message(personas: Personas):
    url = reverse("attachment_upload", args=[personas.space.id])
    files = [SimpleUploadedFile("one.txt", b"1"), SimpleUploadedFile("two.txt", b"22")]

    response = personas.client_for("editor").post(url, {"file": files}, follow=True)

    assert response.redirect_chain == [(reverse("space_detail", args=[personas.space.id]), 302)]
    assert b"2 files were uploaded." in response.content
    assert sorted(Attachment.objects.values_list("title", "current_version")) == [("one.txt", 1), ("two.txt", 1)]
    assert _stored_bytes(Version.objects.get(attachment__title="two.txt")) == b"22"


def test_it_refuses_an_upload_without_a_file(personas: Personas):
    url = reverse("attachment_upload", args=[personas.space.id])

    response = personas.client_for("editor").post(url, {}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    assert response.status_code == 400
    assert response.json() == {"error": "Choose a file to upload."}


def test_it_refuses_an_upload_over_the_limit_and_stores_nothing(personas: Personas, settings):
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 1000
    url = reverse("attachment_upload", args=[personas.space.id])

    response = _upload(personas.client_for("editor"), url, "big.bin", b"x" * 2000, xhr=True)

    assert response.status_code == 413
    assert response.json() == {"error": "The file is larger than the upload limit of 1000 B."}
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_it_explains_a_plain_upload_over_the_limit(personas: Personas, settings):
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 1000
    url = reverse("attachment_upload", args=[personas.space.id])

    response = personas.client_for("editor").post(
        url, {"file": SimpleUploadedFile("big.bin", b"x" * 2000)}, follow=True
    )

    assert b"The file is larger than the upload limit of 1000 B." in response.content
    assert not Attachment.objects.exists()


def test_it_refuses_a_new_version_over_the_limit(personas: Personas, make_attachment, settings):
    attachment = make_attachment(personas.space, title="a.txt")
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 1000
    url = reverse("version_upload", args=[attachment.id])

    response = _upload(personas.client_for("editor"), url, "a.txt", b"x" * 2000, xhr=True)

    assert response.status_code == 413
    assert attachment.versions.count() == 1


def test_it_adds_a_new_version_and_restores_an_old_one(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="report.docx", content=b"first", user=personas.owner)
    client = personas.client_for("editor")

    uploaded = _upload(
        client, reverse("version_upload", args=[attachment.id]), "x.docx", b"second", xhr=True, comment="Fixed typos"
    )
    restored = client.post(reverse("version_restore", args=[attachment.id, 1]))

    assert uploaded.status_code == 201
    assert uploaded.json() == {"id": attachment.id, "title": "report.docx", "version": 2}
    assert restored.status_code == 302
    versions = {v.number: v for v in attachment.versions.all()}
    assert (versions[2].source, versions[2].comment, _stored_bytes(versions[2])) == ("upload", "Fixed typos", b"second")
    assert (versions[3].source, _stored_bytes(versions[3])) == ("restore", b"first")
    attachment.refresh_from_db()
    assert attachment.current_version == 3
    page = client.get(reverse("attachment_detail", args=[attachment.id]))
    assert page.content.count(b"data-version=") == 3
    assert b"Restored from version 1" in page.content


def test_it_keeps_the_file_type_of_a_new_version(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="report.docx")
    url = reverse("version_upload", args=[attachment.id])

    response = _upload(personas.client_for("editor"), url, "evil.exe", b"MZ", xhr=True)

    assert response.status_code == 400
    assert ".docx" in response.json()["error"]
    assert attachment.versions.count() == 1


def test_it_answers_404_when_restoring_a_version_that_does_not_exist(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space)

    response = personas.client_for("editor").post(reverse("version_restore", args=[attachment.id, 7]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("hostile", "cleaned"),
    [
        ("../../etc/passwd.docx", "passwd.docx"),
        ("a\x00b.docx", "ab.docx"),
        ("invoice\u202excod.docx", "invoicexcod.docx"),
    ],
)
def test_it_renames_with_a_hostile_title_to_a_clean_one(personas: Personas, make_attachment, hostile, cleaned):
    attachment = make_attachment(personas.space, title="before.docx")
    client = personas.client_for("editor")

    response = client.post(reverse("attachment_rename", args=[attachment.id]), {"title": hostile}, follow=True)

    attachment.refresh_from_db()
    assert attachment.title == cleaned
    assert cleaned in response.content.decode()
    listing = client.get(reverse("space_detail", args=[personas.space.id])).content.decode()
    assert f">{cleaned}</a>" in listing
    assert "\u202e" not in listing


def test_it_refuses_a_rename_to_nothing_visible(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="keep.docx")

    response = personas.client_for("editor").post(
        reverse("attachment_rename", args=[attachment.id]), {"title": "\u202e . "}
    )

    assert response.status_code == 200
    assert b"at least one visible character" in response.content
    attachment.refresh_from_db()
    assert attachment.title == "keep.docx"


def test_it_moves_a_deleted_attachment_to_the_trash_with_its_files(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space)
    services.version_create(attachment=attachment, chunks=[b"v2"], source="upload", created_by=None)
    assert len(_stored_files()) == 2
    client = personas.client_for("owner")

    confirm = client.get(reverse("attachment_delete", args=[attachment.id]))
    with pytest.MonkeyPatch.context() as patch:
        # Files would go once the transaction commits; the test transaction never does, so run the hooks now.
        patch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())
        response = client.post(reverse("attachment_delete", args=[attachment.id]))

    assert b"Until then it can be restored" in confirm.content
    assert response["Location"] == reverse("space_detail", args=[personas.space.id])
    # In the trash (tests/test_trash.py), its files kept until it is purged.
    assert Attachment.objects.get(pk=attachment.pk).deleted_by == personas.owner
    assert len(_stored_files()) == 2


def test_it_downloads_a_non_ascii_title_with_an_rfc_6266_disposition(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="Prüfbericht \u2013 2026.docx", content=b"docx bytes")

    response = personas.client_for("viewer").get(reverse("attachment_download", args=[attachment.id]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Pr%C3%BCfbericht%20%E2%80%93%202026.docx"
    assert b"".join(response.streaming_content) == b"docx bytes"


def test_it_downloads_any_version_and_404s_on_a_bad_one(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="a.txt", content=b"one")
    services.version_create(attachment=attachment, chunks=[b"two"], source="upload", created_by=None)
    client = personas.client_for("viewer")
    url = reverse("attachment_download", args=[attachment.id])

    def get(query: str) -> tuple[int, bytes]:
        response = client.get(url + query)
        body = b"".join(response.streaming_content) if response.status_code == 200 else b""
        return response.status_code, body

    assert get("") == (200, b"two")
    assert get("?version=1") == (200, b"one")
    assert [get(q)[0] for q in ("?version=3", "?version=0", "?version=x", "?version=-1", "?version=")] == [404] * 5


def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_it_lists_attachments_with_a_constant_number_of_queries(
    personas: Personas, make_attachment, django_assert_max_num_queries
):
    users = [personas.owner, personas.editor, personas.viewer]
    for i in range(3):
        make_attachment(personas.space, title=f"file-{i:02d}.docx", user=users[i % 3])
    client = personas.client_for("editor")
    url = reverse("space_detail", args=[personas.space.id])
    with_three = _list_queries(client, url)
    for i in range(3, 60):
        make_attachment(personas.space, title=f"file-{i:02d}.docx", user=users[i % 3])

    with django_assert_max_num_queries(with_three):
        response = client.get(url)

    assert response.content.count(b"data-attachment-id=") == 50


def test_it_paginates_and_searches_the_list(personas: Personas, make_attachment):
    for i in range(55):
        make_attachment(personas.space, title=f"doc-{i:02d}.txt")
    make_attachment(personas.space, title="Budget 2026.xlsx")
    client = personas.client_for("viewer")
    url = reverse("space_detail", args=[personas.space.id])

    second = client.get(url, {"page": 2}).content.decode()
    found = client.get(url, {"q": "budget"}).content.decode()
    nothing = client.get(url, {"q": "zebra"}).content.decode()

    assert second.count("data-attachment-id=") == 6
    assert "Page 2 of 2" in second
    assert found.count("data-attachment-id=") == 1
    assert "Budget 2026.xlsx" in found
    assert "No files match" in nothing


def test_it_escapes_a_hostile_title_on_the_list_page(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space, title="x.docx")
    # Stored as is (as another writer might): the page must escape whatever a title holds.
    Attachment.objects.filter(pk=attachment.pk).update(title="<script>alert(1)</script>.docx")
    uploaded = make_attachment(personas.space, title='<img src=x onerror="alert(2)">.docx')

    html = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.id])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.docx" in html
    assert "<img src=x" not in html
    assert uploaded.title in html.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')


def test_it_shows_the_file_type_icon_by_extension(personas: Personas, make_attachment):
    for title in ("a.docx", "b.xlsx", "c.pptx", "d.pdf", "e.png", "f.zip", "g.bin", "noext"):
        make_attachment(personas.space, title=title)

    html = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.id])).content.decode()

    kinds = re.findall(r'class="ficon ft-(\w+)"', html)
    assert kinds == ["word", "cell", "slide", "pdf", "image", "archive", "generic", "generic"]


@pytest.fixture
def test_provider():
    def rows(request, attachments, role):
        extras = {}
        for attachment in attachments:
            row = RowExtras(
                actions=[
                    Action(label=f"Open {attachment.id} in Test", url=f"/test-open/{attachment.id}/", new_tab=True)
                ],
                statuses=[Status(label=f"Test status {attachment.id}", tone="danger", detail="Test detail")],
            )
            if role in (Role.EDITOR, Role.ADMIN):
                row.actions.append(
                    Action(label="Lock for Test", url=f"/test-lock/{attachment.id}/", method="post", primary=True)
                )
                row.actions.append(Action(label="Archive in Test", url=f"/test-archive/{attachment.id}/", in_menu=True))
            extras[attachment.id] = row
        return extras

    def toolbar(request, space, role):
        yield Action(label="New Test document", url=f"/test-new/{space.id}/", icon="plus")

    actions.register_rows(rows)
    actions.register_space_action(toolbar)
    yield
    actions._row_providers.remove(rows)
    actions._space_providers.remove(toolbar)


def test_it_renders_registered_row_and_space_actions(personas: Personas, make_attachment, test_provider):
    attachment = make_attachment(personas.space)
    client = personas.client_for("editor")

    listing = client.get(reverse("space_detail", args=[personas.space.id])).content.decode()
    detail = client.get(reverse("attachment_detail", args=[attachment.id])).content.decode()
    as_viewer = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.id])).content.decode()

    for html in (listing, detail):
        assert (
            f'href="/test-open/{attachment.id}/" class="btn btn-sm btn-ghost " target="_blank" rel="noopener"' in html
        )
        assert f"Open {attachment.id} in Test" in html
        form = re.search(rf'<form method="post" action="/test-lock/{attachment.id}/".*?</form>', html, re.S)
        assert form is not None
        assert 'name="csrfmiddlewaretoken"' in form.group(0)
        assert "Lock for Test" in form.group(0)
        assert re.search(rf'href="/test-archive/{attachment.id}/" class="menu-item"', html)
        assert re.search(
            rf'class="attachment-status status-danger"[^>]*title="Test detail">Test status {attachment.id}', html
        )
    assert f'href="/test-new/{personas.space.id}/"' in listing
    assert "Lock for Test" not in as_viewer
    assert "Archive in Test" not in as_viewer


def test_it_asks_row_providers_once_per_page_not_once_per_row(personas: Personas, make_attachment):
    for number in range(5):
        make_attachment(personas.space, title=f"file-{number}.docx")
    calls = []

    def rows(request, attachments, role):
        calls.append(len(attachments))
        return {}

    actions.register_rows(rows)
    try:
        response = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.id]))
    finally:
        actions._row_providers.remove(rows)
    assert response.status_code == 200
    assert calls == [5]


def test_it_leaves_out_actions_once_the_provider_is_gone(personas: Personas, make_attachment):
    make_attachment(personas.space)

    html = personas.client_for("editor").get(reverse("space_detail", args=[personas.space.id])).content.decode()

    assert "in Test" not in html


def test_it_shows_upload_and_admin_controls_by_role(personas: Personas, make_attachment):
    attachment = make_attachment(personas.space)
    url = reverse("space_detail", args=[personas.space.id])
    delete_url = reverse("attachment_delete", args=[attachment.id])

    pages = {name: personas.client_for(name).get(url).content.decode() for name in ("viewer", "editor", "owner")}

    assert '<input type="file"' not in pages["viewer"]
    assert 'multiple class="file-input"' in pages["editor"]
    assert delete_url not in pages["viewer"]
    assert delete_url in pages["editor"]
    assert delete_url in pages["owner"]
    assert reverse("space_members", args=[personas.space.id]) in pages["owner"]


def test_it_adds_a_member_and_reports_an_unknown_username_beside_the_field(personas: Personas):
    client = personas.client_for("owner")
    url = reverse("space_members", args=[personas.space.id])

    unknown = client.post(url, {"username": "nobody", "role": "editor"})
    added = client.post(url, {"username": "oscar", "role": "editor"})

    assert unknown.status_code == 400
    unknown_error = r'id="id_username_error">.*There is no user with this username or e-mail address'
    assert re.search(unknown_error, unknown.content.decode())
    assert added.status_code == 302
    assert Membership.objects.get(space=personas.space, user=personas.outsider).role == Role.EDITOR


def test_it_changes_a_role_and_removes_a_member(personas: Personas):
    client = personas.client_for("owner")
    space = personas.space

    client.post(reverse("space_member_role", args=[space.id, personas.viewer.id]), {"role": "admin"})
    client.post(reverse("space_member_remove", args=[space.id, personas.editor.id]))

    assert Membership.objects.get(space=space, user=personas.viewer).role == Role.ADMIN
    assert not Membership.objects.filter(space=space, user=personas.editor).exists()


def test_it_keeps_the_last_admin_of_a_space(personas: Personas):
    client = personas.client_for("owner")
    space = personas.space

    demoted = client.post(
        reverse("space_member_role", args=[space.id, personas.owner.id]), {"role": "viewer"}, follow=True
    )
    client.post(reverse("space_member_remove", args=[space.id, personas.owner.id]))

    assert b"A space needs at least one admin." in demoted.content
    assert Membership.objects.get(space=space, user=personas.owner).role == Role.ADMIN


def test_it_renders_the_login_page_and_logs_out_by_post_only(personas: Personas):
    from django.test import Client

    page = Client().get(reverse("login") + "?next=/spaces/1/")
    client = personas.client_for("viewer")
    by_get = client.get(reverse("logout"))
    home = client.get(reverse("home")).content.decode()

    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert 'name="next" value="/spaces/1/"' in page.content.decode()
    assert by_get.status_code == 405
    assert f'action="{reverse("logout")}"' in home


def test_it_logs_in_through_the_login_page(personas: Personas):
    from django.test import Client

    from tests.conftest import PASSWORD

    client = Client()
    response = client.post(reverse("login"), {"username": "vera", "password": PASSWORD, "next": "/"})
    wrong = Client().post(reverse("login"), {"username": "vera", "password": "nope"})

    assert response.status_code == 302
    assert b"did not match" in wrong.content


@pytest.mark.parametrize("page", ["home", "space_detail", "attachment_detail", "space_members", "login", "404"])
def test_it_has_no_inline_scripts_styles_or_handlers(personas: Personas, make_attachment, page: str):
    attachment = make_attachment(personas.space)
    urls = {
        "home": reverse("home"),
        "space_detail": reverse("space_detail", args=[personas.space.id]),
        "attachment_detail": reverse("attachment_detail", args=[attachment.id]),
        "space_members": reverse("space_members", args=[personas.space.id]),
        "login": reverse("login"),
        "404": "/no/such/page/",
    }
    client = personas.client_for("anonymous" if page == "login" else "owner")

    html = client.get(urls[page]).content.decode()

    # A JSON data block (json_script: what desktop-editors.js reads) runs nothing; any other script has a src.
    assert re.findall(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', html) == []
    assert "<style" not in html
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
