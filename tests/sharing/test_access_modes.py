"""Access modes (docs/settings.md, "Access modes"): for each of view, comment, review, fill and edit and each kind of
file, what the editor opens it for (``editor.decide_mode``) and the DocEditor config that says so, read back from its
JWT as the Document Server reads it (protocol §4: with tokenRequiredParams only the token's values count).

The table below is the contract: ONLYOFFICE's own formats list (``connector/data/onlyoffice-formats.json``) decides
which formats take comments (``comment``), tracked changes (``review``) and form filling (``fill``); review falls
back to comment where a format has no tracked changes, anything else the format cannot do falls back to view.
"""

from __future__ import annotations

import json

import jwt
import pytest
from django.conf import settings
from django.test import RequestFactory

from attachments.models import Attachment, Role
from connector import ds_settings, editor
from connector.editor import ACCESS_MODES, Access
from tests.conftest import Personas

SECRET = "access-modes-secret-0123456789abcdef"
DS_URL = "http://127.0.0.1:9"  # never contacted: these tests read the config the page would hand the browser
FORMATS = ["docx", "xlsx", "pptx", "pdf", "odt", "txt", "csv"]
# What each access opens each format for, with the admin's default (no format edited at a loss).
OPENS_AS: dict[Access, dict[str, Access]] = {
    "view": dict.fromkeys(FORMATS, "view"),
    "comment": {"docx": "comment", "xlsx": "comment", "pptx": "comment", "pdf": "comment"},
    "review": {"docx": "review", "xlsx": "comment", "pptx": "comment", "pdf": "comment"},
    "fill": {"pdf": "fill"},
    "edit": {"docx": "edit", "xlsx": "edit", "pptx": "edit", "pdf": "edit"},
}
# The same where the admin lets odt, txt and csv be edited at a loss: txt and csv take no comments all the same.
OPENS_AS_LOSSY: dict[Access, dict[str, Access]] = {
    "view": {"odt": "view", "txt": "view", "csv": "view"},
    "comment": {"odt": "comment"},
    "review": {"odt": "review"},
    "fill": {},
    "edit": {"odt": "edit", "txt": "edit", "csv": "edit"},
}
NOT_COMMENTED = "This file type can be viewed but not commented on or changed here."
NOT_EDITED = "This file type can be viewed but not edited in ONLYOFFICE."
# The permissions each access gives, before the format's own abilities (review, comment, fill) are applied.
ON = {
    "view": set(),
    "comment": {"comment", "chat"},
    "review": {"review", "comment", "chat"},
    "fill": {"fillForms", "chat"},
    "edit": {"edit", "review", "comment", "fillForms", "modifyFilter", "modifyContentControl", "chat", "protect"},
}
CAN = {"review": "review", "comment": "comment", "fillForms": "fill"}  # permission → the format's action
COPIES = ("download", "print", "copy")
AUTHOR_ONLY = ("editCommentAuthorOnly", "deleteCommentAuthorOnly")


@pytest.fixture
def onlyoffice(db: None) -> ds_settings.DocServerConfig:
    return ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def files(personas: Personas, make_attachment) -> dict[str, Attachment]:
    return {ext: make_attachment(personas.space, f"File.{ext}", b"content", user=personas.owner) for ext in FORMATS}


def expected_access(access: Access, ext: str, *, lossy: bool = False) -> Access:
    table = OPENS_AS_LOSSY if lossy and ext in ("odt", "txt", "csv") else OPENS_AS
    return table[access].get(ext, "view")


def decide(attachment: Attachment, access: Access) -> editor.EditorDecision:
    return editor.decide_mode(
        attachment=attachment, role=Role.VIEWER, cfg=ds_settings.current(), wants_view=False, access=access
    )


def signed_config(personas: Personas, attachment: Attachment, access: Access, *, guest: bool = False) -> dict:
    """The config for ``access``, as the Document Server reads it: the JWT's claims, which must be the whole config."""
    config = editor.build_config(
        RequestFactory().get("/"),
        attachment=attachment,
        user=personas.viewer,
        access=access,
        cfg=ds_settings.current(),
        guest=guest,
    )
    claims = jwt.decode(config.pop("token"), SECRET, algorithms=["HS256"])
    assert {name: value for name, value in claims.items() if name not in {"iat", "exp"}} == config
    return claims


def permissions_for(access: Access, ext: str) -> dict[str, bool]:
    actions = {"docx": {"review", "comment"}, "xlsx": {"comment"}, "pptx": {"comment"}, "pdf": {"comment", "fill"}}
    on = {name for name in ON[access] if name not in CAN or CAN[name] in actions.get(ext, set())}
    names = ("edit", "review", "comment", "fillForms", "modifyFilter", "modifyContentControl", "chat", "protect")
    # Below edit, comments are changed and deleted by their authors only.
    authors_only = dict.fromkeys(AUTHOR_ONLY, access != "edit")
    return {**{name: name in on for name in names}, **dict.fromkeys(COPIES, True), **authors_only}


# --- what each access opens each format for --------------------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_opens_each_format_for_what_it_can_do(onlyoffice, files, access: Access, ext: str) -> None:
    decision = decide(files[ext], access)

    assert decision.access == expected_access(access, ext)
    assert decision.mode == ("view" if decision.access == "view" else "edit")


@pytest.mark.parametrize("ext", ["odt", "txt", "csv"])
@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_opens_formats_edited_at_a_loss_for_more_only_where_the_admin_allows(
    onlyoffice, files, access: Access, ext: str
) -> None:
    ds_settings.update(lossy_edit=["odt", "txt", "csv"])

    assert decide(files[ext], access).access == expected_access(access, ext, lossy=True)


@pytest.mark.parametrize(
    ("access", "ext", "reason"),
    [
        ("comment", "txt", NOT_COMMENTED),
        ("review", "csv", NOT_COMMENTED),
        ("fill", "docx", NOT_COMMENTED),
        # Comments and suggestions are saved into the file: odt would be written back at a loss the admin refused.
        ("comment", "odt", NOT_COMMENTED),
        ("review", "odt", NOT_COMMENTED),
        ("edit", "odt", NOT_EDITED),
        ("edit", "txt", NOT_EDITED),
        ("view", "docx", ""),
    ],
)
def test_it_says_why_it_opens_a_file_for_viewing_only(onlyoffice, files, access: Access, ext: str, reason: str):
    decision = decide(files[ext], access)

    assert (decision.access, decision.reason) == ("view", reason)


def test_it_lets_review_fall_back_to_comments_without_a_reason(onlyoffice, files) -> None:
    decision = decide(files["xlsx"], "review")

    assert (decision.access, decision.reason) == ("comment", "")


@pytest.mark.parametrize("access", ["comment", "review", "fill"])
def test_it_opens_a_file_over_the_size_limit_for_viewing_only(onlyoffice, personas, make_attachment, access):
    ds_settings.update(max_edit_size=1024 * 1024)
    form = make_attachment(personas.space, "Form.pdf", b"x" * (1024 * 1024 + 1), user=personas.owner)

    decision = decide(form, access)

    assert (decision.access, decision.reason) == ("view", "This file is larger than the editing size limit.")


@pytest.mark.parametrize("access", ["comment", "review", "fill", "edit"])
def test_it_asks_for_view_only_when_the_page_asks_for_it(onlyoffice, files, access: Access) -> None:
    decision = editor.decide_mode(
        attachment=files["pdf"], role=Role.EDITOR, cfg=ds_settings.current(), wants_view=True, access=access
    )

    assert decision.access == "view"


@pytest.mark.parametrize(
    ("role", "access"),
    [
        (Role.VIEWER, "view"),
        (Role.COMMENTER, "comment"),
        (Role.REVIEWER, "review"),
        (Role.EDITOR, "edit"),
        (Role.ADMIN, "edit"),
    ],
)
def test_it_gives_each_space_role_its_access_and_back(role: Role, access: Access) -> None:
    assert editor.access_of_role(role) == access
    if role != Role.ADMIN:
        assert editor.role_of_access(access) == role


def test_it_counts_a_form_filler_as_a_viewer_for_every_role_rule() -> None:
    assert editor.role_of_access("fill") == Role.VIEWER


# --- the config the Document Server reads ----------------------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_signs_each_access_s_mode_and_permissions_into_the_config(
    onlyoffice, personas, files, access: Access, ext: str
) -> None:
    opened = decide(files[ext], access).access

    claims = signed_config(personas, files[ext], opened)

    assert claims["editorConfig"]["mode"] == ("view" if opened == "view" else "edit")
    assert claims["document"]["permissions"] == permissions_for(opened, ext)


def opens_as(access: Access, actions: set[str]) -> Access:
    """What an access opens a format for, read from the format's actions in ONLYOFFICE's list (nothing lossy)."""
    if access == "view" or "edit" not in actions:
        return "view"
    if access == "review" and "review" not in actions:
        access = "comment"  # no tracked changes outside text documents: a reviewer comments there
    return access if access == "edit" or access in actions else "view"


def test_it_signs_every_format_s_config_for_every_access_as_the_format_allows(
    onlyoffice, personas, make_attachment
) -> None:
    # Every format ONLYOFFICE opens (connector/data/onlyoffice-formats.json), with the admin's default: nothing edited
    # at a loss. The typical ones above are checked one by one; this holds the rule to the whole list.
    names = ("edit", "review", "comment", "fillForms", "modifyFilter", "modifyContentControl", "chat", "protect")
    listed = json.loads((settings.BASE_DIR / "connector" / "data" / "onlyoffice-formats.json").read_text())
    viewable = {entry["name"]: set(entry["actions"]) for entry in listed if "view" in entry["actions"]}
    assert len(viewable) > 70  # the list as shipped, not an empty one
    for ext, actions in viewable.items():
        attachment = make_attachment(personas.space, f"File.{ext}", b"content", user=personas.owner)
        for access in ACCESS_MODES:
            opened = decide(attachment, access).access
            assert opened == opens_as(access, actions), (ext, access)

            claims = signed_config(personas, attachment, opened)

            on = {name for name in ON[opened] if name not in CAN or CAN[name] in actions}
            permissions = claims["document"]["permissions"]
            assert {name: permissions[name] for name in names} == {name: name in on for name in names}, (ext, access)
            assert claims["editorConfig"]["mode"] == ("view" if opened == "view" else "edit"), (ext, access)
            assert bool(claims["editorConfig"].get("callbackUrl")) is (opened != "view"), (ext, access)


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_gives_a_callback_url_to_every_access_but_view(onlyoffice, personas, files, access: Access) -> None:
    # A pdf opens for every access as asked: comments and filled fields come back through the callback as edits do.
    claims = signed_config(personas, files["pdf"], access)

    callback = claims["editorConfig"].get("callbackUrl", "")
    assert bool(callback) is (access != "view")
    if callback:
        assert callback.startswith(f"http://connector.test/onlyoffice/callback/{files['pdf'].pk}/?token=")


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_lets_only_editors_change_or_delete_other_people_s_comments(
    onlyoffice, personas, files, access: Access
) -> None:
    attachment = files["pdf"]  # every access opens a pdf as asked, fill included

    member = signed_config(personas, attachment, access)["document"]["permissions"]
    guest = signed_config(personas, attachment, access, guest=True)["document"]["permissions"]

    for permissions in (member, guest):
        assert {name: permissions[name] for name in AUTHOR_ONLY} == dict.fromkeys(AUTHOR_ONLY, access != "edit")


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_turns_tracked_changes_on_for_review_only(onlyoffice, personas, files, access: Access) -> None:
    claims = signed_config(personas, files["docx"], access)

    review = claims["editorConfig"]["customization"].get("review")
    assert review == ({"trackChanges": True} if access == "review" else None)


@pytest.mark.parametrize(("display", "reviewer_sees"), [("final", "markup"), ("original", "markup"), ("simple", None)])
def test_it_opens_a_reviewer_in_a_display_they_can_suggest_in(onlyoffice, personas, files, display, reviewer_sees):
    # "final" and "original" are read-only previews in the editor: fine for viewers, a dead end for a reviewer.
    ds_settings.update(customization={"reviewDisplay": display})

    reviewer = signed_config(personas, files["docx"], "review")["editorConfig"]["customization"]
    viewer = signed_config(personas, files["docx"], "view")["editorConfig"]["customization"]

    assert reviewer["review"].get("reviewDisplay") == reviewer_sees
    assert reviewer["review"]["trackChanges"] is True
    assert viewer["reviewDisplay"] == display
    assert "review" not in viewer


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_it_shows_a_guest_nothing_of_the_space(onlyoffice, personas, files, access: Access) -> None:
    member = signed_config(personas, files["pdf"], access)
    guest = signed_config(personas, files["pdf"], access, guest=True)

    assert member["editorConfig"]["customization"]["goback"]["text"] == personas.space.name
    assert "goback" not in guest["editorConfig"]["customization"]
    assert personas.space.name not in str(guest)
    # Apart from the way back to the space, a guest's editor is a member's with the same access.
    assert guest["document"]["permissions"] == member["document"]["permissions"]
    assert guest["editorConfig"]["mode"] == member["editorConfig"]["mode"]


@pytest.mark.parametrize("access", ["comment", "review", "fill"])
def test_it_turns_chat_off_for_every_access_when_the_admin_does(onlyoffice, personas, files, access: Access) -> None:
    ds_settings.update(customization={"chat": False})

    assert signed_config(personas, files["pdf"], access)["document"]["permissions"]["chat"] is False


# --- Block download --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_block_download_takes_download_print_and_copy_from_everyone_below_edit(
    onlyoffice, personas, files, access: Access
) -> None:
    ds_settings.update(block_download=True)
    attachment = files["docx"] if access != "fill" else files["pdf"]

    permissions = signed_config(personas, attachment, access)["document"]["permissions"]

    assert {name: permissions[name] for name in COPIES} == dict.fromkeys(COPIES, access == "edit")
    # What they may do to the document itself is unchanged.
    assert permissions["edit"] is (access == "edit")
    assert permissions["comment"] is (access != "view" and access != "fill")


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_everyone_keeps_download_print_and_copy_while_download_is_not_blocked(onlyoffice, personas, files, access):
    permissions = signed_config(personas, files["pdf"], access)["document"]["permissions"]

    assert {name: permissions[name] for name in COPIES} == dict.fromkeys(COPIES, True)
