"""Desktop editing and ONLYOFFICE know about each other, both ways, and nobody overwrites anybody.

ONLYOFFICE runs as the fake Document Server over real HTTP (its callbacks reach the live server); the desktop app
is the test's WebDAV client. A live session refuses desktop locks and says who is editing; a desktop lock opens the
editor view-only with the holder's name, shows in the list, and refuses other people's uploads; an admin breaks a
lock and the owner's next save is refused; saves that raced are both kept, the later marked a conflict."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from attachments.models import Version, VersionSource
from desktop.models import DesktopLock, DesktopSave
from tests.desktop.dav import Dav, prop

pytestmark = pytest.mark.django_db(transaction=True)


def editor_page(personas, attachment, persona: str = "editor") -> tuple[str, dict]:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return html, json.loads(match.group(1))


def test_a_live_onlyoffice_session_refuses_a_desktop_lock_and_names_its_editors(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    _html, cfg = editor_page(personas, attachment, "owner")
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    dav = Dav(user=personas.editor, attachment=attachment)

    refused = dav.lock(owner="eddie")
    put = dav.put(b"from Word", with_lock=False)
    discovery = dav.propfind()

    assert (refused.status, put.status) == (423, 423)
    assert "Olivia Owner (ONLYOFFICE)" in prop(discovery, "owner")
    assert dav.get().status == 200  # it still opens, read-only
    assert (DesktopLock.objects.count(), Version.objects.filter(attachment=attachment).count()) == (0, 1)

    session.close(uid)
    assert dav.lock().status == 200


def test_a_desktop_lock_opens_the_editor_view_only_with_the_holder_s_name(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    dav = Dav(user=personas.editor, attachment=attachment)
    assert dav.lock().status == 200

    html, cfg = editor_page(personas, attachment, "owner")
    assert cfg["document"]["permissions"]["edit"] is False
    assert "Eddie Editor is editing this in a desktop app." in html
    # The holder too: their own two apps would overwrite each other.
    _html, own = editor_page(personas, attachment, "editor")
    assert own["document"]["permissions"]["edit"] is False

    dav.unlock()
    _html, after = editor_page(personas, attachment, "owner")
    assert after["document"]["permissions"]["edit"] is True


def test_a_desktop_lock_shows_in_the_list_and_refuses_other_people_s_uploads_restores_and_renames(editing_setup):
    personas, attachment, _fake_ds = editing_setup
    dav = Dav(user=personas.editor, attachment=attachment)
    dav.lock()
    owner = personas.client_for("owner")

    listing = owner.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    upload = owner.post(
        reverse("version_upload", args=[attachment.pk]),
        {"file": _file("Plan.docx", b"uploaded meanwhile")},
        HTTP_ACCEPT="application/json",
    )
    api = owner.post(f"/api/attachments/{attachment.pk}/versions/", {"file": _file("Plan.docx", b"via the API")})
    rename = owner.post(reverse("attachment_rename", args=[attachment.pk]), {"title": "Renamed.docx"}, follow=True)
    restore = owner.post(reverse("version_restore", args=[attachment.pk, 1]), follow=True)

    assert "Being edited in a desktop app by Eddie Editor" in listing
    assert upload.status_code == 400
    assert "Eddie Editor is editing this in a desktop app." in upload.content.decode()
    assert api.status_code == 400
    assert "Eddie Editor is editing this in a desktop app." in json.dumps(api.json())
    assert "Eddie Editor is editing this in a desktop app." in rename.content.decode()
    assert "Eddie Editor is editing this in a desktop app." in restore.content.decode()
    attachment.refresh_from_db()
    assert (attachment.current_version, attachment.title) == (1, "Plan.docx")

    # The holder's own upload is theirs to make.
    mine = personas.client_for("editor").post(
        reverse("version_upload", args=[attachment.pk]), {"file": _file("Plan.docx", b"my upload")}
    )
    assert mine.status_code == 302


def test_two_desktop_users_one_holds_the_other_is_refused_and_told_who(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    first, second = Dav(user=personas.editor, attachment=attachment), Dav(user=personas.owner, attachment=attachment)

    assert first.lock(owner="eddie").status == 200
    assert second.lock(owner="olivia").status == 423
    assert second.put(b"olivia's", with_lock=False).status == 423
    assert "Eddie Editor" in prop(second.propfind(), "owner")
    assert "eddie" in prop(first.propfind(), "owner")  # its own app sees the owner it sent
    assert first.put(b"eddie's").status == 204
    attachment.refresh_from_db()
    assert attachment.current_version == 2


def test_an_admin_breaks_a_lock_and_the_owner_s_next_save_is_refused_not_merged(editing_setup, mailoutbox) -> None:
    personas, attachment, _fake_ds = editing_setup
    dav = Dav(user=personas.editor, attachment=attachment)
    dav.lock()

    broken = personas.client_for("owner").post(reverse("desktop-lock-break", args=[attachment.pk]))
    refused = dav.put(b"after the break")
    refused_without_if = dav.put(b"after the break", with_lock=False)

    assert broken.status_code == 302
    assert refused.status == 412
    assert refused_without_if.status == 412
    assert "broken" in refused_without_if.text
    attachment.refresh_from_db()
    assert attachment.current_version == 1
    assert [mail.to for mail in mailoutbox] == [["eddie@example.com"]]
    assert "next save" in mailoutbox[0].body
    # Anyone may lock it now; a fresh link of the same user works again.
    fresh = Dav(user=personas.editor, attachment=attachment)
    assert fresh.lock().status == 200
    assert fresh.put(b"saved through a fresh link").status == 204


def test_opening_again_takes_over_the_user_s_own_lock_and_the_old_app_can_no_longer_save(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    crashed, again = Dav(user=personas.editor, attachment=attachment), Dav(user=personas.editor, attachment=attachment)
    crashed.lock()

    assert again.lock().status == 200
    assert crashed.put(b"stale app").status == 412
    assert again.put(b"new app").status == 204


def test_a_desktop_save_after_an_onlyoffice_save_it_never_saw_is_kept_and_marked_a_conflict(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    dav = Dav(user=personas.editor, attachment=attachment)  # the link is made at version 1
    _html, cfg = editor_page(personas, attachment, "owner")
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"edited in ONLYOFFICE")
    assert session.close(uid).response_json == {"error": 0}  # stored as version 2

    assert dav.put(b"edited in Word from version 1", with_lock=False).status == 204

    third = Version.objects.get(attachment=attachment, number=3)
    assert third.source == VersionSource.DESKTOP
    assert third.comment == "Edited from version 1 while version 2 was edited"
    assert DesktopSave.objects.get(version=third).conflict_with == 2
    listing = personas.client_for("owner").get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    assert "Conflicting edits" in listing


def test_an_onlyoffice_save_that_raced_a_desktop_save_is_kept_and_marked_a_conflict(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    # The editor page opened (edit mode) a moment before the desktop lock; the session's first callback came after.
    _html, cfg = editor_page(personas, attachment, "owner")
    uid = cfg["editorConfig"]["user"]["id"]
    dav = Dav(user=personas.editor, attachment=attachment)
    assert dav.lock().status == 200
    session = fake_ds.open(cfg)

    assert dav.put(b"saved in Word").status == 204  # the lock's owner is not locked out by the late session
    session.edit(uid, b"edited in ONLYOFFICE")
    assert session.close(uid).response_json == {"error": 0}

    versions = list(Version.objects.filter(attachment=attachment).order_by("number"))
    assert [(v.number, v.source) for v in versions] == [(1, "upload"), (2, "desktop"), (3, "editor")]
    assert versions[2].comment == "Edited from version 1 while version 2 was saved from a desktop app"
    assert DesktopSave.objects.get(version=versions[1]).conflict_with is None


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_file_held_by_a_desktop_app_is_neither_trashed_nor_deleted_with_its_space(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    Dav(user=personas.editor, attachment=attachment).lock()
    owner = personas.client_for("owner")

    trash = owner.post(reverse("attachment_delete", args=[attachment.pk]))
    space = owner.post(reverse("space_delete", args=[personas.space.pk]), {"confirm": personas.space.name})

    assert trash.status_code == 409
    assert "Eddie Editor" in trash.content.decode()
    assert space.status_code == 409
    assert "Plan.docx" in space.content.decode()
    attachment.refresh_from_db()
    assert attachment.deleted_at is None
