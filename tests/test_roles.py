"""The commenter and reviewer roles, between viewer and editor (attachments.models.ROLE_RANK).

In the editor a commenter comments and a reviewer suggests tracked changes (docs/settings.md, "Access modes");
everywhere else they are viewers: they see and download files as the download policy lets viewers, and upload,
rename, trash, restore, share and write through a desktop app no more than viewers do.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jwt
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from attachments import services, trash
from attachments.models import ROLE_RANK, Attachment, Membership, Role
from attachments.permissions import can_comment, can_download, can_edit, can_review, can_view
from connector import ds_settings
from desktop import links
from sharing import services as sharing
from sharing.models import LinkAccess, ShareLink
from tests.conftest import Personas, make_user
from tests.desktop.dav import Dav

SECRET = "roles-test-secret-0123456789abcdef"
NEW_ROLES = ["commenter", "reviewer"]
RANK_ORDER = ["viewer", "commenter", "reviewer", "editor", "admin"]


@pytest.fixture
def onlyoffice(db: None) -> ds_settings.DocServerConfig:
    # Never contacted: the tests read the config the editor page hands the browser.
    return ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def members(personas: Personas) -> dict[str, Client]:
    """A commenter and a reviewer of the personas' space, logged in; and the other personas for comparison."""
    clients = {}
    for role, username, first_name in [(Role.COMMENTER, "cora", "Cora"), (Role.REVIEWER, "rey", "Rey")]:
        user = make_user(username, first_name=first_name)
        services.membership_set(space=personas.space, user=user, role=role)
        clients[role.value] = Client()
        clients[role.value].force_login(user)
    clients["viewer"] = personas.client_for("viewer")
    clients["editor"] = personas.client_for("editor")
    return clients


def member(personas: Personas, role: str):
    """The ``members`` fixture's user of this role."""
    return Membership.objects.get(space=personas.space, role=role).user


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"first version", user=personas.owner)


def editor_config(client: Client, attachment: Attachment) -> dict:
    """The config the editor page embeds, as the Document Server reads it: the claims of its JWT."""
    response = client.get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status_code == 200
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match
    config = json.loads(match.group(1))
    claims = jwt.decode(config.pop("token"), SECRET, algorithms=["HS256"])
    assert {name: value for name, value in claims.items() if name not in {"iat", "exp"}} == config
    return claims


# --- the rank rule -------------------------------------------------------------------------------------------------


def test_it_ranks_the_new_roles_between_viewer_and_editor() -> None:
    assert [role.value for role in sorted(ROLE_RANK, key=ROLE_RANK.__getitem__)] == RANK_ORDER
    assert [value for value, _label in Role.choices] == RANK_ORDER


@pytest.mark.parametrize(
    ("role", "comment", "review", "edit"),
    [
        ("viewer", False, False, False),
        ("commenter", True, False, False),
        ("reviewer", True, True, False),
        ("editor", True, True, True),
        ("admin", True, True, True),
    ],
)
def test_each_role_includes_what_the_ones_below_it_may_do(role: str, comment: bool, review: bool, edit: bool) -> None:
    assert can_view(role)
    assert (can_comment(role), can_review(role), can_edit(role)) == (comment, review, edit)


# --- the editor ----------------------------------------------------------------------------------------------------


def test_a_commenter_s_editor_only_comments(onlyoffice, members, plan) -> None:
    claims = editor_config(members["commenter"], plan)

    permissions = claims["document"]["permissions"]
    assert claims["editorConfig"]["mode"] == "edit"
    assert (permissions["edit"], permissions["comment"], permissions["review"]) == (False, True, False)
    assert permissions["fillForms"] is False
    # Comments are stored in the document: they come back through the callback like edits.
    assert claims["editorConfig"]["callbackUrl"].startswith(f"http://connector.test/onlyoffice/callback/{plan.pk}/")
    assert "review" not in claims["editorConfig"]["customization"]


def test_a_reviewer_s_editor_tracks_every_change(onlyoffice, members, plan) -> None:
    claims = editor_config(members["reviewer"], plan)

    permissions = claims["document"]["permissions"]
    assert claims["editorConfig"]["mode"] == "edit"
    assert (permissions["edit"], permissions["review"], permissions["comment"]) == (False, True, True)
    assert claims["editorConfig"]["customization"]["review"] == {"trackChanges": True}
    assert "callbackUrl" in claims["editorConfig"]


@pytest.mark.parametrize(("role", "authors_only"), [("commenter", True), ("reviewer", True), ("editor", False)])
def test_only_editors_may_change_or_delete_other_people_s_comments(onlyoffice, members, plan, role, authors_only):
    permissions = editor_config(members[role], plan)["document"]["permissions"]

    assert permissions["editCommentAuthorOnly"] is authors_only
    assert permissions["deleteCommentAuthorOnly"] is authors_only


def test_a_reviewer_comments_where_the_format_has_no_tracked_changes(onlyoffice, personas, members, make_attachment):
    budget = make_attachment(personas.space, "Budget.xlsx", b"cells", user=personas.owner)

    claims = editor_config(members["reviewer"], budget)

    permissions = claims["document"]["permissions"]
    assert (permissions["edit"], permissions["review"], permissions["comment"]) == (False, False, True)
    assert "review" not in claims["editorConfig"]["customization"]


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_view_a_format_that_takes_no_comments_and_are_told_why(
    onlyoffice, personas, members, make_attachment, role
):
    notes = make_attachment(personas.space, "Notes.txt", b"plain text", user=personas.owner)

    response = members[role].get(reverse("onlyoffice-editor", args=[notes.pk]))

    assert "This file type can be viewed but not commented on or changed here." in response.text
    assert editor_config(members[role], notes)["editorConfig"]["mode"] == "view"


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_get_view_mode_when_they_ask_for_it_and_can_switch_back(onlyoffice, members, plan, role) -> None:
    url = reverse("onlyoffice-editor", args=[plan.pk])
    response = members[role].get(url + "?mode=view")

    assert f'data-edit-url="{url}"' in response.text
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match
    assert json.loads(match.group(1))["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in json.loads(match.group(1))["editorConfig"]


# --- everything but the editor: as viewers -------------------------------------------------------------------------


def _upload() -> dict:
    return {"file": SimpleUploadedFile("notes.txt", b"hello")}


# (name, method, url, data): each needs an editor (or, for the members page, an admin).
PAGES = [
    ("upload", "post", lambda p, a: reverse("attachment_upload", args=[p.space.pk]), _upload),
    ("new version", "post", lambda p, a: reverse("version_upload", args=[a.pk]), _upload),
    ("restore version", "post", lambda p, a: reverse("version_restore", args=[a.pk, 1]), dict),
    ("rename form", "get", lambda p, a: reverse("attachment_rename", args=[a.pk]), dict),
    ("rename", "post", lambda p, a: reverse("attachment_rename", args=[a.pk]), lambda: {"title": "b.docx"}),
    ("trash form", "get", lambda p, a: reverse("attachment_delete", args=[a.pk]), dict),
    ("trash", "post", lambda p, a: reverse("attachment_delete", args=[a.pk]), dict),
    ("trash page", "get", lambda p, a: reverse("space_trash", args=[p.space.pk]), dict),
    ("members page", "get", lambda p, a: reverse("space_members", args=[p.space.pk]), dict),
    ("space settings", "get", lambda p, a: reverse("space_settings", args=[p.space.pk]), dict),
]
API = [
    ("upload", "post", lambda p, a: "/api/attachments/", lambda p: {"space": p.space.pk, **_upload()}),
    ("new version", "post", lambda p, a: f"/api/attachments/{a.pk}/versions/", lambda p: _upload()),
    ("rename", "patch", lambda p, a: f"/api/attachments/{a.pk}/", lambda p: {"title": "b.docx"}),
    ("trash", "delete", lambda p, a: f"/api/attachments/{a.pk}/", lambda p: {}),
    ("trash list", "get", lambda p, a: f"/api/spaces/{p.space.pk}/trash/", lambda p: {}),
    ("members", "post", lambda p, a: f"/api/spaces/{p.space.pk}/members/", lambda p: {"username": "oscar"}),
    ("space rename", "patch", lambda p, a: f"/api/spaces/{p.space.pk}/", lambda p: {"name": "Renamed"}),
]


@pytest.mark.parametrize("role", NEW_ROLES)
@pytest.mark.parametrize(("name", "method", "url", "data"), PAGES, ids=[page[0] for page in PAGES])
def test_they_cannot_change_files_or_the_space_through_the_pages(
    personas, members, plan, role, name, method, url, data
):
    response = getattr(members[role], method)(url(personas, plan), data())

    assert response.status_code == 403, name
    plan.refresh_from_db()
    assert (plan.title, plan.current_version, plan.deleted_at) == ("Plan.docx", 1, None)


@pytest.mark.parametrize("role", NEW_ROLES)
@pytest.mark.parametrize(("name", "method", "url", "data"), API, ids=[call[0] for call in API])
def test_they_cannot_change_files_or_the_space_through_the_api(personas, members, plan, role, name, method, url, data):
    client = members[role]
    if method == "post":
        response = client.post(url(personas, plan), data(personas))
    else:
        response = getattr(client, method)(url(personas, plan), data(personas), content_type="application/json")

    assert response.status_code == 403, (name, response.content[:300])
    assert "detail" in response.json()
    plan.refresh_from_db()
    assert (plan.title, plan.current_version, plan.deleted_at) == ("Plan.docx", 1, None)


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_cannot_restore_a_file_from_the_trash(personas, members, plan, role) -> None:
    trash.attachment_trash(attachment=plan, deleted_by=personas.editor)

    page = members[role].post(reverse("trash_restore", args=[plan.pk]))
    api = members[role].post(f"/api/attachments/{plan.pk}/restore/")
    purge = members[role].post(f"/api/attachments/{plan.pk}/purge/")

    assert (page.status_code, api.status_code, purge.status_code) == (403, 403, 403)
    plan.refresh_from_db()
    assert plan.deleted_at is not None


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_see_the_files_and_are_offered_what_viewers_are(personas, members, plan, role) -> None:
    space_page = members[role].get(reverse("space_detail", args=[personas.space.pk]))
    viewer_page = members["viewer"].get(reverse("space_detail", args=[personas.space.pk]))

    assert space_page.status_code == 200
    assert reverse("attachment_detail", args=[plan.pk]) in space_page.text
    assert reverse("attachment_upload", args=[personas.space.pk]) not in space_page.text
    assert reverse("attachment_upload", args=[personas.space.pk]) not in viewer_page.text
    assert members[role].get(reverse("attachment_detail", args=[plan.pk])).status_code == 200
    assert members[role].get(f"/api/attachments/?space={personas.space.pk}").json()["count"] == 1
    assert members[role].get(f"/api/spaces/{personas.space.pk}/members/").status_code == 200


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_download_while_viewers_may(onlyoffice, members, plan, role) -> None:
    page = members[role].get(reverse("attachment_download", args=[plan.pk]))
    api = members[role].get(f"/api/attachments/{plan.pk}/download/")

    assert (page.status_code, api.status_code) == (200, 200)
    assert b"".join(api.streaming_content) == b"first version"
    permissions = editor_config(members[role], plan)["document"]["permissions"]
    assert (permissions["download"], permissions["print"], permissions["copy"]) == (True, True, True)


@pytest.mark.parametrize("role", NEW_ROLES)
def test_block_download_refuses_them_every_copy_as_it_refuses_viewers(onlyoffice, members, plan, role) -> None:
    ds_settings.update(block_download=True)

    page = members[role].get(reverse("attachment_download", args=[plan.pk]))
    api = members[role].get(f"/api/attachments/{plan.pk}/download/")

    assert (page.status_code, api.status_code) == (403, 403)
    assert not can_download(role)
    permissions = editor_config(members[role], plan)["document"]["permissions"]
    assert (permissions["download"], permissions["print"], permissions["copy"]) == (False, False, False)
    # What they may do in the editor is the same.
    assert permissions["comment"] is True
    assert editor_config(members["editor"], plan)["document"]["permissions"]["download"] is True


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_cannot_share_a_file_nor_revoke_an_editor_s_link(personas, members, plan, role) -> None:
    link, _secret = sharing.link_create(
        attachment=plan, access=LinkAccess.VIEW, expires_at=None, password="", created_by=personas.editor
    )
    client = members[role]
    create = reverse("share-link-create", args=[plan.pk])
    api = f"/api/attachments/{plan.pk}/share-links/"

    statuses = [
        client.get(create).status_code,
        client.post(create, {"access": "comment"}).status_code,
        client.get(api).status_code,
        client.post(api, {"access": "comment"}).status_code,
        client.post(reverse("share-link-revoke", args=[link.pk])).status_code,
        client.delete(f"/api/share-links/{link.pk}/").status_code,
        client.get(reverse("space-share-links", args=[personas.space.pk])).status_code,
    ]

    assert statuses == [403] * len(statuses)
    assert ShareLink.objects.filter(attachment=plan).count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None
    assert "share-links" not in client.get(reverse("attachment_detail", args=[plan.pk])).text


@pytest.mark.parametrize("role", NEW_ROLES)
def test_a_link_made_by_them_never_opens(personas, members, plan, role) -> None:
    # Made by a service call as no page or API would (above), or made while they were editors: a link works only
    # while its creator is an editor or admin of the space (sharing/services.py).
    _link, secret = sharing.link_create(
        attachment=plan, access=LinkAccess.COMMENT, expires_at=None, password="", created_by=member(personas, role)
    )

    with pytest.raises(sharing.LinkGone):
        sharing.link_open(secret)
    assert not sharing.live_links(Attachment.objects.filter(pk=plan.pk)).exists()


# --- desktop apps: read-only -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NEW_ROLES)
def test_their_desktop_link_opens_the_file_read_only(personas, members, plan, role) -> None:
    response = members[role].get(reverse("desktop-open-office", args=[plan.pk]))

    assert response.status_code == 302
    scheme, _colon, rest = response["Location"].partition(":")
    command, _kind, url = rest.split("|", 2)
    token = urlsplit(url).path.split("/")[2]
    assert (scheme, command) == ("ms-word", "ofv")
    assert links.read_token(token).access == "view"

    dav = Dav(user=member(personas, role), attachment=plan, token=token)
    assert dav.get().body == b"first version"
    assert not {"LOCK", "PUT"} & set(dav.options().headers["allow"].split(", "))
    assert dav.lock().status == 403
    assert dav.put(b"overwritten", with_lock=False).status == 403
    plan.refresh_from_db()
    assert plan.current_version == 1


@pytest.mark.parametrize("role", NEW_ROLES)
def test_an_edit_link_in_their_hands_writes_nothing(personas, members, plan, role) -> None:
    # Made while they were an editor, or forged: the access is capped by their role now (desktop/access.py).
    dav = Dav(user=member(personas, role), attachment=plan, access="edit")

    assert dav.put(b"overwritten", with_lock=False).status == 403
    plan.refresh_from_db()
    assert plan.current_version == 1


@pytest.mark.parametrize("role", NEW_ROLES)
def test_they_get_no_desktop_link_while_viewers_may_not_download(onlyoffice, members, plan, role) -> None:
    ds_settings.update(block_download=True)

    for app in ("office", "libreoffice"):
        assert members[role].get(reverse(f"desktop-open-{app}", args=[plan.pk])).status_code == 404


# --- setting the roles ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NEW_ROLES)
def test_the_members_page_adds_and_changes_members_to_the_new_roles(personas, role) -> None:
    owner = personas.client_for("owner")
    url = reverse("space_members", args=[personas.space.pk])

    added = owner.post(url, {"username": "oscar", "role": role})
    changed = owner.post(reverse("space_member_role", args=[personas.space.pk, personas.viewer.pk]), {"role": role})

    assert (added.status_code, changed.status_code) == (302, 302)
    roles = dict(Membership.objects.filter(space=personas.space).values_list("user__username", "role"))
    assert (roles["oscar"], roles["vera"]) == (role, role)


def test_the_members_page_offers_the_roles_in_rank_order_and_says_what_the_new_ones_do(personas) -> None:
    html = personas.client_for("owner").get(reverse("space_members", args=[personas.space.pk])).text

    add_form = html[html.index('<select name="role"') :]
    offered = re.findall(r'<option value="([a-z]+)"', add_form[: add_form.index("</select>")])
    assert offered == RANK_ORDER
    each_member = re.search(rf'<select id="role-{personas.viewer.pk}" name="role">(.*?)</select>', html, re.S)
    assert each_member and re.findall(r'<option value="([a-z]+)"', each_member.group(1)) == RANK_ORDER
    assert "Commenters also add comments in the editor." in html
    assert "Reviewers also suggest changes in text documents, which editors accept or reject." in html


@pytest.mark.parametrize("role", NEW_ROLES)
def test_the_api_adds_and_changes_members_to_the_new_roles_and_lists_them(personas, role) -> None:
    owner = personas.client_for("owner")
    url = f"/api/spaces/{personas.space.pk}/members/"

    added = owner.post(url, {"username": "oscar", "role": role})
    changed = owner.post(url, {"username": "vera", "role": role})
    listed = {row["username"]: row["role"] for row in owner.get(url).json()["results"]}

    assert (added.status_code, added.json()["role"]) == (201, role)
    assert (changed.status_code, changed.json()["role"]) == (200, role)
    assert (listed["oscar"], listed["vera"]) == (role, role)


def test_the_api_refuses_a_role_it_does_not_know(personas) -> None:
    response = personas.client_for("owner").post(
        f"/api/spaces/{personas.space.pk}/members/", {"username": "oscar", "role": "suggester"}
    )

    assert response.status_code == 400
    assert "role" in response.json()


def test_the_api_schema_lists_the_roles_in_rank_order(personas) -> None:
    schema = personas.client_for("owner").get("/api/schema/", {"format": "json"}).json()

    enums = [
        component["enum"]
        for component in schema["components"]["schemas"].values()
        if "viewer" in component.get("enum", [])
    ]
    assert enums and all(enum == RANK_ORDER for enum in enums)
