"""Editor events answered by the app: save a copy, rename, insert an image, mentions (connector/events.py).

The app runs on pytest-django's live server and the fake Document Server talks to it over real HTTP: it serves
the files a copy is saved from, receives the ``meta`` command, and downloads inserted images with its JWT.
The browser tests raise the events from the fake editor frame, as the real editor does.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from attachments import services
from attachments.models import Attachment, Role
from connector import ds_settings
from tests.support.workers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


def event_url(attachment: Attachment, name: str, *args: int) -> str:
    return reverse(f"onlyoffice-event-{name}", args=[attachment.pk, *args])


def post_json(client: Client, url: str, body: object):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def put_blob(fake_ds, data: bytes, ext: str) -> str:
    """A file on the fake DS behind a signed /cache/files link, as the editor's "Save copy as" names it."""
    blob = fake_ds.blobs.put(f"saveas_{len(fake_ds.blobs.all())}", f"output.{ext}", data, "application/octet-stream")
    return fake_ds.blobs.link(fake_ds.url, blob, f"output.{ext}", now=int(fake_ds.now()))


def editor_config(client: Client, attachment: Attachment, query: str = "") -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk]) + query).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


# --- permissions ---------------------------------------------------------------------------------------------

EDITOR_ONLY = [
    ("post", "rename", {"title": "Other"}),
    ("get", "images", None),
    ("get", "users", None),
    ("post", "notify", {"emails": ["vera@example.com"], "message": "hi"}),
]


@pytest.mark.parametrize(("method", "name", "body"), EDITOR_ONLY)
@pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("outsider", 404), ("viewer", 403)])
def test_it_keeps_editing_events_to_editors(editing_setup, mailoutbox, method, name, body, persona, status) -> None:
    personas, attachment, _fake_ds = editing_setup
    client = personas.client_for(persona)
    url = event_url(attachment, name)
    response = post_json(client, url, body) if method == "post" else client.get(url)
    assert response.status_code == status
    assert "message" in response.json()
    attachment.refresh_from_db()
    assert attachment.title == "Plan.docx"
    assert mailoutbox == []


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("outsider", 404), ("viewer", 403)])
def test_it_keeps_image_links_to_editors(editing_setup, make_attachment, persona, status) -> None:
    personas, attachment, _fake_ds = editing_setup
    image = make_attachment(personas.space, "Logo.png", content=PNG)
    response = personas.client_for(persona).get(event_url(attachment, "image", image.pk))
    assert response.status_code == status
    assert "url" not in response.content.decode()


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("outsider", 404), ("viewer", 200)])
def test_it_lets_viewers_ask_where_to_save_a_copy(editing_setup, persona, status) -> None:
    personas, attachment, _fake_ds = editing_setup
    assert personas.client_for(persona).get(event_url(attachment, "spaces")).status_code == status


@pytest.mark.parametrize(("name", "body"), [("rename", {"title": "Other"}), ("save-as", {"space_id": 1})])
def test_it_refuses_posts_without_the_csrf_token(editing_setup, name, body) -> None:
    personas, attachment, _fake_ds = editing_setup
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.editor)
    assert post_json(client, event_url(attachment, name), body).status_code == 403
    attachment.refresh_from_db()
    assert attachment.title == "Plan.docx"
    assert Attachment.objects.count() == 1


# --- save a copy ---------------------------------------------------------------------------------------------


def test_it_saves_a_copy_from_the_document_server_into_the_chosen_space(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    other = services.space_create(name="Archive", created_by=personas.editor)
    url = put_blob(fake_ds, b"%PDF copy bytes", "pdf")
    body = {"url": url, "title": "Plan.docx", "fileType": "pdf", "space_id": other.pk}

    response = post_json(personas.client_for("editor"), event_url(attachment, "save-as"), body)

    assert response.status_code == 201
    copy = Attachment.objects.get(pk=response.json()["attachment_id"])
    assert (copy.space, copy.title, response.json()["title"]) == (other, "Plan.pdf", "Plan.pdf")
    assert copy.versions.get().file.open("rb").read() == b"%PDF copy bytes"
    assert copy.created_by == personas.editor
    assert response.json()["url"] == reverse("onlyoffice-editor", args=[copy.pk])


def test_it_gives_a_copy_a_free_name_in_the_same_space(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    url = put_blob(fake_ds, b"docx copy", "docx")
    body = {"url": url, "title": "Plan.docx", "fileType": "docx", "space_id": personas.space.pk}
    response = post_json(personas.client_for("editor"), event_url(attachment, "save-as"), body)
    assert response.status_code == 201
    assert response.json()["title"] == "Plan (2).docx"
    assert attachment.versions.count() == 1


@pytest.mark.parametrize(
    "hostile_url",
    [
        "http://127.0.0.1:{canary}/cache/files/output.docx",
        "http://ds@127.0.0.1:{canary}/cache/files/output.docx",
        "file:///etc/passwd",
    ],
)
def test_it_never_fetches_a_copy_off_the_document_server(editing_setup, canary, hostile_url) -> None:
    personas, attachment, _fake_ds = editing_setup
    url = hostile_url.format(canary=canary.port)
    body = {"url": url, "title": "Stolen.docx", "fileType": "docx", "space_id": personas.space.pk}
    response = post_json(personas.client_for("editor"), event_url(attachment, "save-as"), body)
    assert response.status_code == 400
    assert canary.hits == []
    assert list(Attachment.objects.values_list("title", flat=True)) == ["Plan.docx"]


def test_it_refuses_a_copy_into_a_space_where_the_user_only_views(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    read_only = services.space_create(name="Board", created_by=personas.owner)
    services.membership_set(space=read_only, user=personas.editor, role=Role.VIEWER)
    not_member = services.space_create(name="Secret", created_by=personas.owner)
    url = put_blob(fake_ds, b"copy", "docx")
    client = personas.client_for("editor")
    for space in (read_only, not_member):
        body = {"url": url, "title": "Plan.docx", "fileType": "docx", "space_id": space.pk}
        assert post_json(client, event_url(attachment, "save-as"), body).status_code == 403
    assert fake_ds.requests_to("/cache/files/") == []
    assert Attachment.objects.count() == 1


def test_it_refuses_a_copy_larger_than_the_editing_limit(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    ds_settings.update(max_edit_size=10)
    url = put_blob(fake_ds, b"x" * 11, "docx")
    body = {"url": url, "title": "Plan.docx", "fileType": "docx", "space_id": personas.space.pk}
    response = post_json(personas.client_for("editor"), event_url(attachment, "save-as"), body)
    assert response.status_code == 413
    assert Attachment.objects.count() == 1


def test_it_refuses_a_copy_of_an_unknown_type(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    url = put_blob(fake_ds, b"MZ", "exe")
    body = {"url": url, "title": "Plan", "fileType": "exe", "space_id": personas.space.pk}
    response = post_json(personas.client_for("editor"), event_url(attachment, "save-as"), body)
    assert response.status_code == 400
    assert fake_ds.requests_to("/cache/files/") == []


def test_it_lists_only_the_spaces_the_user_may_add_files_to(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    own = services.space_create(name="Archive", created_by=personas.viewer)
    services.space_create(name="Secret", created_by=personas.owner)
    answer = personas.client_for("viewer").get(event_url(attachment, "spaces")).json()
    assert answer["spaces"] == [{"id": own.pk, "name": "Archive"}]
    answer = personas.client_for("editor").get(event_url(attachment, "spaces")).json()
    assert answer == {"current": personas.space.pk, "spaces": [{"id": personas.space.pk, "name": "Engineering"}]}


# --- rename --------------------------------------------------------------------------------------------------


def test_it_renames_keeping_the_extension_and_tells_the_open_session(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    client = personas.client_for("editor")
    cfg = editor_config(client, attachment)
    session = fake_ds.open(cfg)

    response = post_json(client, event_url(attachment, "rename"), {"title": "Budget 2027"})

    assert response.status_code == 200
    assert response.json() == {"title": "Budget 2027.docx"}
    attachment.refresh_from_db()
    assert attachment.title == "Budget 2027.docx"
    assert session.meta_changes == [{"title": "Budget 2027.docx"}]
    command = fake_ds.requests_to("/command")[-1]
    assert jwt.decode(command.json()["token"], fake_ds.secret, algorithms=["HS256"])["c"] == "meta"


def test_it_renames_when_nobody_has_the_file_open(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    client = personas.client_for("editor")
    editor_config(client, attachment)  # a live key, but no session on the DS: the meta command answers error 1
    response = post_json(client, event_url(attachment, "rename"), {"title": "Notes.docx"})
    assert response.json() == {"title": "Notes.docx"}
    assert fake_ds.requests_to("/command")
    attachment.refresh_from_db()
    assert attachment.title == "Notes.docx"


@pytest.mark.parametrize("title", ["", "   ", None, ["x"]])
def test_it_refuses_an_empty_name(editing_setup, title) -> None:
    personas, attachment, _fake_ds = editing_setup
    response = post_json(personas.client_for("editor"), event_url(attachment, "rename"), {"title": title})
    assert response.status_code == 400
    attachment.refresh_from_db()
    assert attachment.title == "Plan.docx"


# --- insert an image -------------------------------------------------------------------------------------------


def test_it_lists_the_images_of_the_same_space_only(editing_setup, make_attachment) -> None:
    personas, attachment, _fake_ds = editing_setup
    logo = make_attachment(personas.space, "Logo.png", content=PNG)
    photo = make_attachment(personas.space, "photo.JPEG", content=b"jpeg")
    make_attachment(personas.space, "notes.txt", content=b"text")
    elsewhere = services.space_create(name="Other", created_by=personas.editor)
    make_attachment(elsewhere, "Foreign.png", content=PNG)
    answer = personas.client_for("editor").get(event_url(attachment, "images")).json()
    assert answer == {"images": [{"id": logo.pk, "title": "Logo.png"}, {"id": photo.pk, "title": "photo.JPEG"}]}


def test_it_hands_the_editor_an_image_link_the_document_server_can_download(editing_setup, make_attachment) -> None:
    personas, attachment, fake_ds = editing_setup
    logo = make_attachment(personas.space, "Logo.png", content=PNG)

    response = personas.client_for("editor").get(event_url(attachment, "image", logo.pk) + "?c=change")

    result = response.json()
    assert result["c"] == "change"
    assert [image["fileType"] for image in result["images"]] == ["png"]
    claims = jwt.decode(result["token"], fake_ds.secret, algorithms=["HS256"])
    assert (claims["c"], claims["images"]) == ("change", result["images"])
    url = result["images"][0]["url"]
    assert fake_ds.download(url) == PNG
    # Without the DS's JWT the link is refused: it is for the Document Server only.
    assert Client().get(urlsplit(url).path, parse_qs(urlsplit(url).query)).status_code == 403


def test_it_refuses_an_image_from_another_space_or_a_file_that_is_not_an_image(editing_setup, make_attachment) -> None:
    personas, attachment, _fake_ds = editing_setup
    elsewhere = services.space_create(name="Other", created_by=personas.editor)
    foreign = make_attachment(elsewhere, "Foreign.png", content=PNG)
    document = make_attachment(personas.space, "Notes.docx")
    client = personas.client_for("editor")
    for other in (foreign, document):
        response = client.get(event_url(attachment, "image", other.pk))
        assert response.status_code == 404
        assert "url" not in response.json()


# --- mentions --------------------------------------------------------------------------------------------------


def test_it_offers_only_the_space_members_for_mentions(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    answer = personas.client_for("editor").get(event_url(attachment, "users") + "?c=mention").json()
    assert answer["c"] == "mention"
    emails = {user["email"] for user in answer["users"]}
    assert emails == {"olivia@example.com", "eddie@example.com", "vera@example.com"}
    assert {user["name"] for user in answer["users"]} >= {"Vera Viewer"}
    assert all(user["id"] for user in answer["users"])


def test_it_mails_only_mentioned_members_with_a_link_to_the_editor(editing_setup, mailoutbox) -> None:
    personas, attachment, _fake_ds = editing_setup
    action = {"action": {"type": "comment", "data": "c_1"}}
    body = {
        "emails": ["VERA@example.com", "oscar@example.com", "stella@example.com", "nobody@example.com"],
        "message": "Please check the numbers",
        "actionLink": action,
    }

    response = post_json(personas.client_for("editor"), event_url(attachment, "notify"), body)

    assert response.json() == {"sent": 1}
    [mail] = mailoutbox
    assert mail.to == ["vera@example.com"]
    assert "Eddie Editor" in mail.subject and "Plan.docx" in mail.subject
    assert "Please check the numbers" in mail.body
    link = re.search(r"https?://\S+", mail.body).group(0)
    assert urlsplit(link).path == reverse("onlyoffice-editor", args=[attachment.pk])
    assert json.loads(parse_qs(urlsplit(link).query)["action"][0]) == action


def test_it_refuses_more_than_fifty_recipients(editing_setup, mailoutbox) -> None:
    personas, attachment, _fake_ds = editing_setup
    emails = [f"user{number}@example.com" for number in range(51)]
    response = post_json(personas.client_for("editor"), event_url(attachment, "notify"), {"emails": emails})
    assert response.status_code == 400
    assert mailoutbox == []


def test_it_puts_the_mention_link_back_into_the_signed_config(editing_setup, mailoutbox) -> None:
    personas, attachment, fake_ds = editing_setup
    action = {"action": {"type": "comment", "data": "c_7"}}
    body = {"emails": ["vera@example.com"], "message": "", "actionLink": action}
    post_json(personas.client_for("editor"), event_url(attachment, "notify"), body)
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)

    cfg = editor_config(personas.client_for("viewer"), attachment, "?" + urlsplit(link).query)

    assert cfg["editorConfig"]["actionLink"] == action
    signed = jwt.decode(cfg["token"], fake_ds.secret, algorithms=["HS256"])
    assert signed["editorConfig"]["actionLink"] == action


@pytest.mark.parametrize("query", ["?action=not-json", "?action=[1]", "?action=" + "%7B%22a%22%3A%22" + "x" * 3000])
def test_it_ignores_a_malformed_or_oversized_action_link(editing_setup, query) -> None:
    personas, attachment, _fake_ds = editing_setup
    cfg = editor_config(personas.client_for("editor"), attachment, query)
    assert "actionLink" not in cfg["editorConfig"]


# --- in a real browser -------------------------------------------------------------------------------------------


def open_editor(browser_page, personas, attachment, persona: str = "editor"):
    browser_page.login(personas.client_for(persona))
    assert browser_page.goto(reverse("onlyoffice-editor", args=[attachment.pk])).status == 200
    page = browser_page.page
    # The frame from its element: page.frame(name=...) may not know a frame that has only just been attached.
    frame = page.wait_for_selector("iframe#onlyoffice-editor").content_frame()
    frame.wait_for_function("window.__fakeDsConfig !== null")
    return page, frame


def send_event(frame, name: str, data) -> None:
    """What the DS editor does to raise an event in the page that framed it."""
    script = "([name, data]) => window.parent.postMessage({frameEditorId: 'onlyoffice-editor', event: name, data}, '*')"
    frame.evaluate(script, [name, data])


def fake_ds_calls(page, method: str) -> list:
    return page.evaluate("(method) => window.__fakeDsCalls.filter((call) => call.method === method)", method)


@pytest.mark.browser
def test_it_renames_from_the_editor(editing_setup, browser_page) -> None:
    personas, attachment, _fake_ds = editing_setup
    page, frame = open_editor(browser_page, personas, attachment)

    send_event(frame, "onRequestRename", "Roadmap")

    page.wait_for_function("(title) => document.title.startsWith(title)", arg="Roadmap.docx")
    attachment.refresh_from_db()
    assert attachment.title == "Roadmap.docx"
    send_event(frame, "onDocumentStateChange", True)
    page.wait_for_function("(title) => document.title.startsWith(title)", arg="\u2022 Roadmap.docx")


@pytest.mark.browser
def test_it_answers_the_editors_request_for_users(editing_setup, browser_page) -> None:
    personas, attachment, _fake_ds = editing_setup
    page, frame = open_editor(browser_page, personas, attachment)

    send_event(frame, "onRequestUsers", {"c": "mention"})

    [call] = poll_until(lambda: fake_ds_calls(page, "setUsers"), what="setUsers", timeout=15)
    argument = call["args"][0]
    assert argument["c"] == "mention"
    assert "oscar@example.com" not in {user["email"] for user in argument["users"]}
    assert "vera@example.com" in {user["email"] for user in argument["users"]}


@pytest.mark.browser
def test_it_inserts_an_image_chosen_in_the_dialog(editing_setup, make_attachment, browser_page) -> None:
    personas, attachment, fake_ds = editing_setup
    make_attachment(personas.space, "Logo.png", content=PNG)
    page, frame = open_editor(browser_page, personas, attachment)

    send_event(frame, "onRequestInsertImage", {"c": "add"})
    page.locator("#oo-image-dialog").wait_for(state="visible")
    page.get_by_role("button", name="Logo.png").click()

    [call] = poll_until(lambda: fake_ds_calls(page, "insertImage"), what="insertImage", timeout=15)
    argument = call["args"][0]
    assert argument["c"] == "add"
    assert fake_ds.download(argument["images"][0]["url"]) == PNG
    page.locator("#oo-image-dialog").wait_for(state="hidden")


@pytest.mark.browser
def test_it_saves_a_copy_into_the_space_chosen_in_the_dialog(editing_setup, browser_page) -> None:
    personas, attachment, fake_ds = editing_setup
    url = put_blob(fake_ds, b"copy bytes", "docx")
    page, frame = open_editor(browser_page, personas, attachment)

    send_event(frame, "onRequestSaveAs", {"url": url, "title": "Plan copy.docx", "fileType": "docx"})
    page.locator("#oo-saveas-submit:enabled").click()

    page.locator("#oo-saveas-open").wait_for(state="visible")
    copy = Attachment.objects.get(title="Plan copy.docx")
    assert copy.space == personas.space
    assert page.locator("#oo-saveas-open").get_attribute("href") == reverse("onlyoffice-editor", args=[copy.pk])


@pytest.mark.browser
def test_it_offers_viewers_no_editing_events(editing_setup, browser_page) -> None:
    personas, attachment, _fake_ds = editing_setup
    # Somewhere to save a copy, so that the viewer's page answers "Save copy as" (the round trip below).
    drafts = services.space_create(name="Drafts", created_by=personas.owner)
    services.membership_set(space=drafts, user=personas.viewer, role=Role.EDITOR)
    page, frame = open_editor(browser_page, personas, attachment, persona="viewer")
    send_event(frame, "onRequestUsers", {"c": "mention"})
    send_event(frame, "onRequestRename", "Hijacked")
    # A round trip through the page: events are handled in order, so by now the two above were (not) answered.
    send_event(frame, "onRequestSaveAs", {"url": "x", "title": "x.docx", "fileType": "docx"})
    page.locator("#oo-saveas-dialog").wait_for(state="visible")
    assert fake_ds_calls(page, "setUsers") == []
    attachment.refresh_from_db()
    assert attachment.title == "Plan.docx"
