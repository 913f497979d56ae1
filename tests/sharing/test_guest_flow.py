"""A share link's guest side (/s/<secret>/, sharing/views.py): the password, the name, the editor, and what a guest
can never reach. The editing round trips run over real HTTP against the fake Document Server."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import jwt
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from attachments import services as store
from attachments.display import user_name
from attachments.models import Attachment, Role
from attachments.users import is_guest
from config.logging import RedactDavTokens
from connector import ds_settings, links
from doctemplates.builtin import BUILTINS
from doctemplates.services import template_create
from sharing import services
from sharing.models import Guest, ShareLink
from tests.support.workers import poll_until

SECRET = "guest-flow-test-secret-0123456789abcdef"
DS_URL = "http://127.0.0.1:9"  # never contacted by the tests without the fake Document Server
SPACE_NAME = "Engineering"  # the personas' space: never shown to a guest


@pytest.fixture
def onlyoffice(db: None) -> None:
    ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def plan(personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", content=b"original bytes", user=personas.owner)


def config_of(response) -> dict:
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, f"no editor config in the page ({response.status_code})"
    return json.loads(match.group(1))


def open_as_guest(url: str, name: str = "Alice", *, client: Client | None = None, password: str = "") -> tuple:
    """A browser that gives the password and the name the pages ask for; its client and the editor page."""
    client = client or Client()
    if password:
        assert client.post(url, {"step": "password", "password": password}).status_code == 302
    if "share-name" in client.get(url).text:
        assert client.post(url, {"step": "name", "name": name}).status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    return client, page


def signed(config: dict, secret: str = SECRET) -> dict:
    """The config as the Document Server reads it: the claims of its JWT, which must be the whole config."""
    claims = jwt.decode(config["token"], secret, algorithms=["HS256"])
    assert {name: value for name, value in claims.items() if name not in {"iat", "exp", "token"}} == {
        name: value for name, value in config.items() if name != "token"
    }
    return claims


def ds_fetch(url: str, secret: str = SECRET):
    """GET a file link as the Document Server does: with its JWT over that very URL (connector.access)."""
    token = jwt.encode({"payload": {"url": url}}, secret, algorithm="HS256")
    parts = urlsplit(url)
    return Client().get(f"{parts.path}?{parts.query}", HTTP_AUTHORIZATION=f"Bearer {token}")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def guest_of(config: dict):
    from connector.keys import users_for_uids

    uid = config["editorConfig"]["user"]["id"]
    return users_for_uids([uid])[uid]


# --- the steps ------------------------------------------------------------------------------------------------------


def test_it_asks_a_newcomer_for_a_name_then_opens_the_editor_as_a_guest(personas, plan, share_link, onlyoffice):
    link, url = share_link(plan, "edit")
    client = Client()

    asked = client.get(url)
    given = client.post(url, {"step": "name", "name": "  Alice   Liddell "})
    page = client.get(url)

    assert asked.status_code == 200
    assert 'id="share-name"' in asked.text and "Plan.docx" in asked.text
    assert (given.status_code, given["Location"]) == (302, url)
    config = config_of(page)
    guest = guest_of(config)
    assert is_guest(guest) and guest.first_name == "Alice Liddell"
    assert config["editorConfig"]["user"]["name"] == "Alice Liddell (guest)"
    assert Guest.objects.get(user=guest).link == link
    assert not guest.has_usable_password()
    # The guest holds no session: to the rest of the app the browser is anonymous.
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_it_remembers_the_guest_in_a_signed_httponly_cookie_for_that_link_only(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit")
    client, page = open_as_guest(url)
    first = guest_of(config_of(page))

    again = config_of(client.get(url))

    assert guest_of(again) == first
    assert Guest.objects.count() == 1
    cookie = client.cookies["share_guest"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == url
    assert str(first.pk) in cookie.value and ":" in cookie.value.split(":", 2)[-1]  # signed
    # A forged value opens nothing as that guest: a new browser is asked for its name.
    forged = Client()
    forged.cookies["share_guest"] = f"{Guest.objects.get().link_id}:{first.pk}"
    assert 'id="share-name"' in forged.get(url).text


def test_it_asks_the_name_once_across_links_but_makes_a_guest_per_link(
    personas, plan, make_attachment, share_link, onlyoffice
):
    other = make_attachment(personas.space, "Budget.xlsx", user=personas.owner)
    _link, url = share_link(plan, "edit")
    _other_link, other_url = share_link(other, "view")
    client, first = open_as_guest(url, "Alice")

    second = client.get(other_url)

    assert second.status_code == 200
    assert config_of(second)["editorConfig"]["user"]["name"] == "Alice (guest)"
    assert guest_of(config_of(second)) != guest_of(config_of(first))
    assert Guest.objects.count() == 2
    assert client.cookies["share_name"]["path"] == "/s/"


def test_it_prefills_the_name_of_someone_signed_in_who_is_not_a_member(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "comment")
    client = personas.client_for("outsider")

    asked = client.get(url)
    client.post(url, {"step": "name", "name": "Oscar Outsider"})
    config = config_of(client.get(url))

    assert 'value="Oscar Outsider"' in asked.text
    # Their own account stays out of it: the link's guest is a guest account of its own.
    assert guest_of(config) != personas.outsider
    assert config["editorConfig"]["user"]["name"] == "Oscar Outsider (guest)"


@pytest.mark.parametrize("name", ["", "   ", "x" * (services.NAME_LENGTH + 1)])
def test_it_refuses_a_blank_or_overlong_name(personas, plan, share_link, onlyoffice, name):
    _link, url = share_link(plan, "edit")

    response = Client().post(url, {"step": "name", "name": name})

    assert response.status_code == 400
    assert Guest.objects.count() == 0


@pytest.mark.parametrize("persona", ["viewer", "editor", "staff"])
def test_it_sends_a_member_to_their_own_editor_page(personas, plan, share_link, onlyoffice, persona):
    _link, url = share_link(plan, "view", password="open sesame")

    response = personas.client_for(persona).get(url)

    assert (response.status_code, response["Location"]) == (302, reverse("onlyoffice-editor", args=[plan.pk]))
    assert Guest.objects.count() == 0


@pytest.mark.parametrize(
    ("title", "access", "can"),
    [("Form.pdf", "fill", {"fillForms": True, "edit": False}), ("Plan.docx", "edit", {"edit": True})],
)
def test_it_gives_a_viewer_the_link_s_stronger_access_under_their_own_name(
    personas, make_attachment, share_link, onlyoffice, title, access, can
):
    attachment = make_attachment(personas.space, title, content=b"file bytes", user=personas.owner)
    _link, url = share_link(attachment, access)

    page = personas.client_for("viewer").get(url)

    assert page.status_code == 200
    config = signed(config_of(page))
    permissions = config["document"]["permissions"]
    assert {name: permissions[name] for name in can} == can
    assert config["editorConfig"]["mode"] == "edit" and "callbackUrl" in config["editorConfig"]
    # Themselves, not a guest: their saves are theirs, and the page is a member's.
    assert guest_of(config) == personas.viewer
    assert config["editorConfig"]["user"]["name"] == "Vera Viewer"
    assert "goback" in config["editorConfig"]["customization"]
    assert Guest.objects.count() == 0


def test_it_sends_a_member_whose_role_gives_as_much_as_the_link_to_their_own_page(
    personas, make_attachment, share_link, member, onlyoffice
):
    # A reviewer comments in a spreadsheet (no tracked changes there), as a comment link does.
    budget = make_attachment(personas.space, "Budget.xlsx", user=personas.owner)
    form = make_attachment(personas.space, "Form.pdf", content=b"%PDF-1.7 form", user=personas.owner)
    _comment, comment_url = share_link(budget, "comment")
    _fill, fill_url = share_link(form, "fill")
    reviewer = Client()
    reviewer.force_login(member("reviewer"))

    answers = [reviewer.get(comment_url), personas.client_for("editor").get(fill_url)]

    assert [(answer.status_code, answer["Location"]) for answer in answers] == [
        (302, reverse("onlyoffice-editor", args=[budget.pk])),
        (302, reverse("onlyoffice-editor", args=[form.pk])),
    ]


def test_it_asks_a_member_for_the_password_before_giving_more_than_their_role(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    client = personas.client_for("viewer")

    asked = client.get(url)
    refused = client.post(url, {"step": "password", "password": "open barley"})
    unlocked = client.post(url, {"step": "password", "password": "open sesame"})
    page = client.get(url)

    assert 'id="share-password"' in asked.text and "onlyoffice-config" not in asked.text
    assert refused.status_code == 403
    assert (unlocked.status_code, unlocked["Location"]) == (302, url)
    assert signed(config_of(page))["document"]["permissions"]["edit"] is True


def test_it_refuses_a_post_without_the_csrf_token(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit")

    response = Client(enforce_csrf_checks=True).post(url, {"step": "name", "name": "Mallory"})

    assert response.status_code == 403
    assert Guest.objects.count() == 0


# --- passwords ------------------------------------------------------------------------------------------------------


def test_it_asks_for_the_password_first_and_shows_nothing_of_the_file_until_then(personas, plan, share_link):
    _link, url = share_link(plan, "edit", password="open sesame")

    response = Client().get(url)

    assert response.status_code == 200
    assert 'id="share-password"' in response.text
    assert "Plan.docx" not in response.text and SPACE_NAME not in response.text


def test_it_refuses_a_wrong_password_and_opens_nothing(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    client = Client()

    refused = client.post(url, {"step": "password", "password": "open barley"})
    after = client.get(url)

    assert refused.status_code == 403
    assert "not the link" in refused.text
    assert "share_unlocked" not in client.cookies
    assert 'id="share-password"' in after.text
    assert "onlyoffice-config" not in refused.text + after.text
    assert Guest.objects.count() == 0


def test_it_remembers_the_right_password_for_that_link_only(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    _other, other_url = share_link(plan, "view", password="open sesame")
    client = Client()

    unlocked = client.post(url, {"step": "password", "password": "open sesame"})

    assert (unlocked.status_code, unlocked["Location"]) == (302, url)
    cookie = client.cookies["share_unlocked"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == url
    assert 'id="share-name"' in client.get(url).text
    # Sent along to another link (the test client ignores paths), the cookie does not unlock it.
    assert 'id="share-password"' in client.get(other_url).text
    _client, page = open_as_guest(url, client=client)
    assert config_of(page)["editorConfig"]["mode"] == "edit"


def test_it_throttles_wrong_passwords_after_five_from_one_address(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    client = Client()

    wrong = [client.post(url, {"step": "password", "password": f"guess {n}"}).status_code for n in range(5)]
    throttled = client.post(url, {"step": "password", "password": "open sesame"})
    elsewhere = Client(REMOTE_ADDR="192.0.2.7").post(url, {"step": "password", "password": "open sesame"})

    assert wrong == [403] * services.PASSWORD_ATTEMPTS
    # Even the right password waits: the throttle tells nothing about it.
    assert throttled.status_code == 429
    assert "Too many wrong passwords" in throttled.text
    assert "share_unlocked" not in client.cookies
    assert elsewhere.status_code == 302


# --- links that do not work -----------------------------------------------------------------------------------------


def test_it_answers_410_for_an_expired_link_and_names_nothing(personas, plan, share_link, onlyoffice):
    link, url = share_link(plan, "edit", expires_at=timezone.now() + timedelta(days=1))
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = Client().get(url)

    assert response.status_code == 410
    assert "This link has expired" in response.text and "ask whoever shared the link" in response.text
    assert SPACE_NAME not in response.text and "Plan.docx" not in response.text
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_answers_404_for_a_revoked_an_unknown_or_a_trashed_link_and_names_nothing(
    personas, plan, share_link, onlyoffice
):
    revoked, revoked_url = share_link(plan, "edit")
    services.link_revoke(link=revoked, revoked_by=personas.owner)
    _trashed, trashed_url = share_link(plan, "view")
    unknown_url = reverse("share_open", args=["x" * 32])

    answers = [Client().get(revoked_url), Client().get(unknown_url)]
    Attachment.objects.filter(pk=plan.pk).update(deleted_at=timezone.now())
    answers.append(Client().get(trashed_url))

    for response in answers:
        assert response.status_code == 404
        assert "This link does not work" in response.text
        assert SPACE_NAME not in response.text and "Plan.docx" not in response.text


def test_it_ends_a_guest_s_access_with_the_link(personas, plan, share_link, onlyoffice):
    link, url = share_link(plan, "edit")
    client, _page = open_as_guest(url)

    services.link_revoke(link=link, revoked_by=personas.owner)

    assert client.get(url).status_code == 404


def _stop(change: str, link: ShareLink, personas) -> None:
    """End a link made by the editor persona: revoke it, or take its creator's right to share the file."""
    if change == "revoked":
        services.link_revoke(link=link, revoked_by=personas.owner)
    elif change == "creator removed":
        store.membership_remove(space=personas.space, user=personas.editor)
    elif change == "creator demoted":
        store.membership_set(space=personas.space, user=personas.editor, role=Role.VIEWER)
    else:
        get_user_model().objects.filter(pk=personas.editor.pk).update(is_active=False)


@pytest.mark.parametrize("change", ["revoked", "creator removed", "creator demoted", "creator deactivated"])
def test_the_document_server_gets_no_file_for_a_guest_once_the_link_stops(personas, plan, onlyoffice, change):
    link, secret = services.link_create(
        attachment=plan, access="edit", expires_at=None, password="", created_by=personas.editor
    )
    _client, page = open_as_guest(reverse("share_open", args=[secret]))
    document_url = signed(config_of(page))["document"]["url"]
    fetched = ds_fetch(document_url)
    assert (fetched.status_code, body_of(fetched)) == (200, b"original bytes")  # the control: the same request

    _stop(change, link, personas)
    refused = ds_fetch(document_url)

    assert refused.status_code == 404
    assert b"original bytes" not in body_of(refused)


def test_the_document_server_gets_no_other_file_for_a_guest(personas, plan, make_attachment, share_link, onlyoffice):
    other = make_attachment(personas.space, "Secret.docx", content=b"other file's bytes", user=personas.owner)
    _link, url = share_link(plan, "edit")
    guest = guest_of(config_of(open_as_guest(url)[1]))
    # A link to the other file signed for the guest, as if the app had made one: only their role on it can refuse.
    token = links.make_token("download", a=other.pk, v=1, u=guest.pk)
    other_url = f"http://connector.test{reverse('onlyoffice-download', args=[other.pk])}?{urlencode({'token': token})}"

    response = ds_fetch(other_url)

    assert response.status_code == 404
    assert b"other file's bytes" not in body_of(response)


# --- what a guest sees ----------------------------------------------------------------------------------------------


def test_it_shows_a_guest_nothing_of_the_space_and_no_way_into_the_app(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    client = Client()
    pages = [client.get(url)]
    client.post(url, {"step": "password", "password": "open sesame"})
    pages.append(client.get(url))
    client.post(url, {"step": "name", "name": "Alice"})
    editor_page = client.get(url)
    pages.append(editor_page)

    for page in pages:
        assert SPACE_NAME not in page.text
        assert f'href="{reverse("home")}"' not in page.text
        assert reverse("space_detail", args=[personas.space.pk]) not in page.text
        assert reverse("attachment_detail", args=[plan.pk]) not in page.text
    config = config_of(editor_page)
    assert "goback" not in config["editorConfig"]["customization"]
    # No member feature: presence, history, mentions, "Save copy as", images from the space.
    for script in ("presence.js", "history.js", "events.js"):
        assert script not in editor_page.text
    assert 'data-save-as=""' in editor_page.text


def test_it_keeps_the_link_out_of_referers_caches_and_search_engines(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit", password="open sesame")
    client = Client()

    password_page = client.get(url)
    unlocked = client.post(url, {"step": "password", "password": "open sesame"})
    name_page = client.get(url)
    client.post(url, {"step": "name", "name": "Alice"})
    editor_page = client.get(url)

    for response in (password_page, unlocked, name_page, editor_page):
        assert response["Cache-Control"] == "no-store"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert editor_page["Referrer-Policy"] == unlocked["Referrer-Policy"] == "no-referrer"
    # A form's page: no path in any Referer, yet an Origin header that Django's CSRF check accepts.
    assert password_page["Referrer-Policy"] == name_page["Referrer-Policy"] == "strict-origin"


@pytest.mark.parametrize(
    ("access", "editor_access"),
    [("view", "view"), ("comment", "comment"), ("review", "review"), ("edit", "edit")],
)
def test_it_opens_the_editor_with_the_link_s_access(personas, plan, share_link, onlyoffice, access, editor_access):
    _link, url = share_link(plan, access)

    config = config_of(open_as_guest(url)[1])

    permissions = config["document"]["permissions"]
    assert config["editorConfig"]["mode"] == ("view" if access == "view" else "edit")
    assert permissions["edit"] is (access == "edit")
    assert permissions["comment"] is (access != "view")
    assert permissions["review"] is (access in ("review", "edit"))
    assert ("callbackUrl" in config["editorConfig"]) is (access != "view")
    # What the Document Server obeys is the token: a review guest's every change is a tracked one, there too.
    review = signed(config)["editorConfig"]["customization"].get("review")
    assert review == ({"trackChanges": True} if access == "review" else None)


@pytest.mark.parametrize("access", ["view", "comment", "review"])
def test_block_download_takes_download_print_and_copy_from_guests_below_edit(
    personas, plan, share_link, onlyoffice, access
):
    ds_settings.update(block_download=True)
    _link, url = share_link(plan, access)

    permissions = config_of(open_as_guest(url)[1])["document"]["permissions"]

    assert (permissions["download"], permissions["print"], permissions["copy"]) == (False, False, False)


def test_block_download_leaves_an_edit_guest_their_copies(personas, plan, share_link, onlyoffice):
    ds_settings.update(block_download=True)
    _link, url = share_link(plan, "edit")

    permissions = config_of(open_as_guest(url)[1])["document"]["permissions"]

    assert (permissions["download"], permissions["print"], permissions["copy"]) == (True, True, True)


def test_it_tells_a_guest_when_the_editor_is_not_set_up_without_a_way_into_the_app(personas, plan, share_link, db):
    _link, url = share_link(plan, "edit")

    client = Client()
    client.post(url, {"step": "name", "name": "Alice"})
    response = client.get(url)

    assert response.status_code == 503
    assert "not available right now" in response.text
    assert SPACE_NAME not in response.text and "onlyoffice-settings" not in response.text


# --- nothing else ---------------------------------------------------------------------------------------------------


def _routes(entries: list, prefix: str = "") -> list[tuple[str, str]]:
    """Every route of the URL configuration, as (name, path with its <converter:name> placeholders)."""
    found: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((entry.name or "", prefix + str(entry.pattern)))
    return found


# Open to anyone by design, a guest included (they are checked for the files' bytes only): health, signing in, the
# language switcher, the API's description, the desktop apps' help and status, and the link page itself.
ANYONE = {
    "healthz",
    "readyz",
    "login",
    "set_language",
    "api-schema",
    "api-docs",
    "desktop-help",
    "onlyoffice-desktop-status",
    "share_open",
}
_PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def _url_of(route_path: str, ids: dict[str, int], pk: int) -> str:
    # The one regex route is WebDAV's root ("^dav/?$"); the others are paths.
    path = "dav/" if route_path.startswith("^") else route_path
    return "/" + _PLACEHOLDER.sub(lambda m: "x" if m.group(1) == "rest" else str(ids.get(m.group(1), pk)), path)


def test_a_guest_reaches_nothing_else_of_the_app(personas, plan, make_attachment, share_link, onlyoffice):
    other = make_attachment(personas.space, "Secret.docx", content=b"other file's bytes", user=personas.owner)
    link, url = share_link(plan, "edit")
    letter = next(builtin for builtin in BUILTINS if builtin.key == "letter-en")
    template = template_create(
        name="Letter",
        filename=letter.filename,
        chunks=[letter.path.read_bytes()],
        space=personas.space,
        created_by=personas.owner,
    )
    client, _page = open_as_guest(url)
    login = reverse(settings.LOGIN_URL)
    # Each route with the guest's own file (the one it might leak), then with another file of the same space.
    urls: dict[str, str] = {}
    for file in (plan, other):
        ids = {
            "attachment_id": file.pk,
            "space_id": personas.space.pk,
            "user_id": personas.owner.pk,
            "number": 1,
            "version_id": file.versions.get().pk,
            "link_id": link.pk,
            "template_id": template.pk,
            "image_id": 1,
            "job_id": 1,
            "save_request_id": 1,
        }
        for name, route_path in _routes(get_resolver().url_patterns):
            if route_path.startswith("admin/"):
                continue  # Django's admin: regex routes, for staff only, who sign in on its own page
            pk = {"api-share-link-detail": link.pk}.get(name, personas.space.pk if "space" in name else file.pk)
            urls[_url_of(route_path, ids, pk)] = name
    assert {"/dav/", f"/api/share-links/{link.pk}/", f"/share-links/{link.pk}/revoke/"} <= urls.keys()
    assert {f"/templates/{template.pk}/thumbnail/", f"/onlyoffice/new/{personas.space.pk}/"} <= urls.keys()

    reached = []
    for path, name in sorted(urls.items()):
        answers = [
            ("get", client.get(path)),
            ("post", client.post(path, "{}", content_type="application/json")),
            ("delete", client.delete(path)),
        ]
        for method, response in answers:
            allowed = (
                name in ANYONE
                or response.status_code in (401, 403, 404, 405)
                or (response.status_code == 302 and response["Location"].startswith(login))
            )
            body = body_of(response)
            if not allowed or b"original bytes" in body or b"other file's bytes" in body:
                reached.append((method, path, response.status_code))

    assert reached == []


def test_a_guest_cannot_sign_in(personas, plan, share_link, onlyoffice):
    _link, url = share_link(plan, "edit")
    guest = guest_of(config_of(open_as_guest(url)[1]))

    response = Client().post(reverse("login"), {"username": guest.get_username(), "password": ""})

    assert response.status_code != 302
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- the secret in logs ---------------------------------------------------------------------------------------------


def test_no_link_secret_reaches_the_logs(personas, plan, share_link, onlyoffice, caplog):
    caplog.set_level(logging.DEBUG)
    expired, expired_url = share_link(plan, "edit", expires_at=timezone.now() + timedelta(days=1))
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    revoked, revoked_url = share_link(plan, "view", password="open sesame")
    client = Client()
    client.post(revoked_url, {"step": "password", "password": "wrong"})
    services.link_revoke(link=revoked, revoked_by=personas.owner)

    assert client.get(expired_url).status_code == 410
    assert client.get(revoked_url).status_code == 404

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Gone: /s/…/" in logged and "Not Found: /s/…/" in logged
    for url in (expired_url, revoked_url):
        secret = url.strip("/").rsplit("/", 1)[1]
        assert secret not in logged and secret not in caplog.text


def test_the_log_filter_cuts_share_secrets_out_of_access_log_lines() -> None:
    secret = "Kq3v_8pZ-xY2" * 3
    line = f'10.0.0.1 "POST /s/{secret}/ HTTP/1.1" 302 0 "https://files.example/s/{secret}/" "Firefox"'
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%s", (line,), None)

    RedactDavTokens().filter(record)

    assert record.getMessage() == '10.0.0.1 "POST /s/…/ HTTP/1.1" 302 0 "https://files.example/s/…/" "Firefox"'


# --- editing with the fake Document Server, over real HTTP ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_guest_co_edits_with_a_member_and_their_save_is_a_version_by_the_guest(editing_setup, share_link):
    personas, attachment, fake_ds = editing_setup
    _link, url = share_link(attachment, "edit")
    guest_config = config_of(open_as_guest(url, "Alice")[1])
    member_config = config_of(personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])))
    guest_uid = guest_config["editorConfig"]["user"]["id"]
    member_uid = member_config["editorConfig"]["user"]["id"]

    session = fake_ds.open(guest_config)
    assert fake_ds.open(member_config) is session  # one key: one co-editing session
    presence = personas.client_for("owner").get(reverse("onlyoffice-presence", args=[attachment.pk])).json()
    session.edit(guest_uid, b"typed by a guest")
    session.close(member_uid)
    record = session.close(guest_uid)

    assert record.response_json == {"error": 0}
    assert sorted(presence["editors"]) == ["Alice (guest)", "Eddie Editor"]
    stored = Attachment.objects.get(pk=attachment.pk)
    version = stored.versions.get(number=2)
    assert version.file.open("rb").read() == b"typed by a guest"
    assert version.created_by == guest_of(guest_config)
    assert is_guest(version.created_by) and user_name(version.created_by) == "Alice (guest)"
    history = personas.client_for("editor").get(reverse("onlyoffice-history", args=[attachment.pk])).json()
    assert history["history"][-1]["user"]["name"] == "Alice (guest)"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("access", "name"), [("review", "Rita"), ("comment", "Carl")])
def test_a_review_or_comment_guest_s_save_is_a_version_by_them(editing_setup, share_link, access, name):
    _personas, attachment, fake_ds = editing_setup
    _link, url = share_link(attachment, access)
    config = config_of(open_as_guest(url, name)[1])
    uid = config["editorConfig"]["user"]["id"]
    permissions = config["document"]["permissions"]
    assert permissions["edit"] is False
    assert permissions["review"] is (access == "review") and permissions["comment"] is True

    session = fake_ds.open(config)
    session.edit(uid, f"{access}ed by a guest".encode())
    record = session.close(uid)

    assert record.response_json == {"error": 0}
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == f"{access}ed by a guest".encode()
    assert user_name(version.created_by) == f"{name} (guest)"


@pytest.mark.django_db(transaction=True)
def test_a_view_guest_reads_without_a_callback(editing_setup, share_link):
    _personas, attachment, fake_ds = editing_setup
    _link, url = share_link(attachment, "view")
    config = config_of(open_as_guest(url)[1])

    session = fake_ds.open(config)

    assert config["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in config["editorConfig"]
    assert session.document == b"original bytes"  # the DS fetched the file with the guest's signed link
    assert session.editors == []


@pytest.mark.django_db(transaction=True)
def test_a_fill_guest_s_form_is_saved_as_a_version_by_them(editing_setup, make_attachment, share_link):
    personas, _attachment, fake_ds = editing_setup
    # No real PDF form in tests/data: the fake Document Server never parses the file, so placeholder bytes do.
    form = make_attachment(personas.space, "Form.pdf", content=b"%PDF-1.7 form", user=personas.owner)
    _link, url = share_link(form, "fill")
    config = config_of(open_as_guest(url, "Fiona")[1])
    uid = config["editorConfig"]["user"]["id"]
    assert config["document"]["permissions"]["fillForms"] is True
    assert config["document"]["permissions"]["edit"] is False

    session = fake_ds.open(config)
    session.edit(uid, b"%PDF-1.7 filled in")
    session.close(uid)

    version = Attachment.objects.get(pk=form.pk).versions.get(number=2)
    assert user_name(version.created_by) == "Fiona (guest)"


def guest_typing(share_link, attachment: Attachment, fake_ds):
    """Alice, a guest on an edit link, in the editor, with something typed that is not saved yet."""
    link, url = share_link(attachment, "edit")
    config = config_of(open_as_guest(url, "Alice")[1])
    uid = config["editorConfig"]["user"]["id"]
    session = fake_ds.open(config)
    session.edit(uid, b"typed while the link worked")
    return link, url, config, session


@pytest.mark.django_db(transaction=True)
def test_revoking_a_link_disconnects_its_guests_and_saves_what_they_typed(editing_setup, share_link):
    personas, attachment, fake_ds = editing_setup
    link, url, config, session = guest_typing(share_link, attachment, fake_ds)
    uid = config["editorConfig"]["user"]["id"]
    member = fake_ds.open(
        config_of(personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])))
    )

    assert personas.client_for("owner").delete(reverse("api-share-link-detail", args=[link.pk])).status_code == 204

    # The DS is told to drop the guest, and only the guest: the member goes on editing.
    drop = fake_ds.requests_to("/command")[-1].json()
    assert (drop["c"], drop["users"]) == ("drop", [uid])
    poll_until(lambda: uid not in session.editors, what="the guest to be disconnected", timeout=10)
    assert member.editors == session.editors != []
    # An accepted edit is never lost: what the guest typed is saved when the last editor leaves, as theirs too.
    record = member.close(session.editors[0])
    assert record.response_json == {"error": 0}
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"typed while the link worked"
    # Nothing opens anew: not the page, not the file for the Document Server.
    assert Client().get(url).status_code == 404
    assert ds_fetch(config["document"]["url"], fake_ds.secret).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_guest_alone_in_the_editor_is_disconnected_on_revoke_and_the_save_is_theirs(editing_setup, share_link):
    personas, attachment, fake_ds = editing_setup
    link, _url, _config, session = guest_typing(share_link, attachment, fake_ds)

    services.link_revoke(link=link, revoked_by=personas.owner)

    # The last one out: the DS saves the session (status 2), through the callback that needs no link.
    poll_until(
        lambda: Attachment.objects.get(pk=attachment.pk).current_version == 2, what="the guest's save", timeout=10
    )
    assert session.editors == []
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.file.open("rb").read() == b"typed while the link worked"
    assert user_name(version.created_by) == "Alice (guest)"
    # The API names the author as the pages do; the username is only an opaque id.
    listed = personas.client_for("owner").get(f"/api/attachments/{attachment.pk}/versions/").json()["results"]
    assert listed[0]["created_by_name"] == "Alice (guest)"


@pytest.mark.django_db(transaction=True)
def test_revoking_a_link_nobody_has_open_asks_nothing_of_the_document_server(editing_setup, share_link):
    personas, attachment, fake_ds = editing_setup
    link, url = share_link(attachment, "edit")
    open_as_guest(url, "Alice")  # the page, never the editor's connection

    services.link_revoke(link=link, revoked_by=personas.owner)

    assert fake_ds.requests_to("/command") == []
    assert Client().get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_review_link_made_through_the_api_brings_a_guest_s_suggestions_back_as_their_version(editing_setup):
    personas, attachment, fake_ds = editing_setup
    links_url = reverse("api-attachment-share-links", args=[attachment.pk])
    made = personas.client_for("editor").post(links_url, {"access": "review"}, content_type="application/json")
    assert made.status_code == 201

    # Someone without an account opens the address they were sent and gives a name.
    _guest, page = open_as_guest(urlsplit(made.json()["url"]).path, "Rita")
    config = config_of(page)
    claims = signed(config, fake_ds.secret)
    permissions = claims["document"]["permissions"]
    assert (permissions["edit"], permissions["review"], permissions["comment"]) == (False, True, True)
    assert claims["editorConfig"]["customization"]["review"] == {"trackChanges": True}
    uid = config["editorConfig"]["user"]["id"]
    session = fake_ds.open(config)
    session.edit(uid, b"suggested by a guest")
    record = session.close(uid)  # status 2, through the real callback; the save task runs inline

    assert record.response_json == {"error": 0}
    owner = personas.client_for("owner")
    versions = owner.get(reverse("api-attachment-versions", args=[attachment.pk])).json()
    newest = max(versions["results"], key=lambda version: version["number"])
    assert newest["number"] == 2
    guest = guest_of(config)
    assert newest["created_by"] == guest.username
    file_page = owner.get(reverse("attachment_detail", args=[attachment.pk]))
    assert "Rita (guest)" in file_page.text
    assert Attachment.objects.get(pk=attachment.pk).versions.get(number=2).file.open("rb").read() == (
        b"suggested by a guest"
    )
