"""The WebDAV endpoint as the desktop apps see it: what it answers, what a PUT stores, and which links it refuses.

Through Django's test client and the whole request cycle (middleware, the WsgiDAV bridge, the database)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attachments import services
from attachments.models import Attachment, Membership, Role, VersionSource
from connector import ds_settings
from desktop import links, locks
from desktop.models import DesktopLock
from tests.conftest import Personas
from tests.desktop.dav import Dav, prop
from tests.support.storage_run import stored_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"first version", personas.owner)


def test_options_says_webdav_class_2_and_ms_author_via_on_the_folder_the_file_and_the_root(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    for path in (dav.folder, dav.folder.rstrip("/"), dav.file, "/dav/", "/dav"):
        answer = dav.options(path)
        assert answer.status == 200, path
        assert answer.headers["ms-author-via"] == "DAV"
        assert "2" in answer.headers["dav"].replace(" ", "").split(",")
        assert "LOCK" in answer.headers["allow"]


def test_options_offers_the_link_s_methods_only(personas, plan) -> None:
    edit = Dav(user=personas.editor, attachment=plan).options()
    view = Dav(user=personas.viewer, attachment=plan, access="view").options()
    assert {"LOCK", "PUT", "UNLOCK", "GET"} <= set(edit.headers["allow"].split(", "))
    assert not {"DELETE", "MOVE", "COPY", "MKCOL"} & set(edit.headers["allow"].split(", "))
    assert not {"LOCK", "PUT"} & set(view.headers["allow"].split(", "))


def test_a_name_with_spaces_and_accents_round_trips(personas, make_attachment, rf) -> None:
    from urllib.parse import unquote

    attachment = make_attachment(personas.space, "Plan B ü.docx", b"accented", personas.owner)
    url = links.dav_url(rf.get("/"), user=personas.editor, attachment=attachment, access="edit")
    assert url.endswith("/Plan%20B%20%C3%BC.docx")
    dav = Dav(user=personas.editor, attachment=attachment)
    dav.folder, dav.file = (
        unquote(url.rsplit("/", 1)[0].removeprefix("http://testserver")) + "/",
        unquote(url.removeprefix("http://testserver")),
    )
    assert dav.get().body == b"accented"
    assert "Plan%20B%20%C3%BC.docx</D:href>" in dav.propfind(dav.folder, depth="1").text
    assert dav.lock().status == 200
    assert dav.put(b"saved").status == 204


def test_propfind_lists_the_one_file_in_its_folder_with_and_without_the_trailing_slash(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    for folder in (dav.folder, dav.folder.rstrip("/")):
        answer = dav.propfind(folder, depth="1")
        assert answer.status == 207
        assert answer.text.count("<D:response>") == 2  # the folder and its one file
        assert f"{dav.folder}Plan.docx</D:href>" in answer.text


def test_propfind_gives_the_current_version_as_etag_and_a_stable_last_modified(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    first, second = dav.propfind(), dav.propfind()

    assert prop(first, "getetag") == f"{plan.pk}-1"
    assert prop(first, "getlastmodified") and prop(first, "getlastmodified") == prop(second, "getlastmodified")
    assert prop(first, "getcontentlength") == str(len(b"first version"))
    services.version_upload(attachment=plan, uploaded_name="Plan.docx", chunks=[b"second"], created_by=personas.owner)
    assert prop(dav.propfind(), "getetag") == f"{plan.pk}-2"


def test_word_s_query_string_is_ignored(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    answer = dav.send("PROPFIND", dav.file + "?OR=ProtocolHandler&e=ofe", HTTP_DEPTH="0")
    assert answer.status == 207
    assert dav.send("GET", dav.file + "?OR=ProtocolHandler").body == b"first version"


def test_get_and_head_serve_the_current_version(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    get, head = dav.get(), dav.send("HEAD", dav.file)
    assert (get.status, get.body, get.headers["etag"]) == (200, b"first version", f'"{plan.pk}-1"')
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", str(len(b"first version")))


@pytest.mark.parametrize(("asked", "granted"), [("Second-10", 60), ("Second-1800", 1800), ("Infinite", 3600)])
def test_a_lock_gets_the_timeout_asked_within_bounds(personas, plan, asked: str, granted: int) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    answer = dav.lock(timeout=asked)
    assert answer.status == 200
    lock = DesktopLock.objects.get(token=dav.lock_token)
    assert lock.timeout == granted
    assert int(prop(answer, "timeout").removeprefix("Second-")) in (granted, granted - 1)


def test_lock_refresh_and_unlock(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock(timeout="Second-120")
    before = DesktopLock.objects.get(token=dav.lock_token).expires_at

    assert dav.refresh("Second-3600").status == 200
    assert DesktopLock.objects.get(token=dav.lock_token).expires_at > before
    assert dav.unlock().status == 204
    assert not DesktopLock.objects.exists()


def test_a_put_stores_a_desktop_version_by_the_user_and_answers_the_new_etag(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock()
    answer = dav.put(b"saved in Word")

    plan.refresh_from_db()
    version = plan.versions.get(number=2)
    assert (answer.status, answer.headers["etag"]) == (204, f'"{plan.pk}-2"')
    assert (version.source, version.created_by, version.size) == (VersionSource.DESKTOP, personas.editor, 13)
    assert dav.get().body == b"saved in Word"


def test_a_put_of_the_current_bytes_or_of_nothing_adds_no_version(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock()
    assert dav.put(b"first version").status == 204
    assert dav.put(b"").status == 204
    plan.refresh_from_db()
    assert plan.current_version == 1


def test_a_put_over_the_upload_limit_is_refused_and_stores_nothing(personas, plan, settings) -> None:
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = 1000
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock()
    before = stored_names()

    answer = dav.put(b"x" * 1001)

    plan.refresh_from_db()
    assert answer.status == 413
    assert plan.current_version == 1
    # Not even a partial file: the body is refused while it is spooled, before anything reaches the storage.
    assert stored_names() == before


def test_nothing_else_of_the_store_is_reachable(personas, plan, make_attachment) -> None:
    other = make_attachment(personas.space, "Budget.xlsx", b"numbers", personas.owner)
    dav = Dav(user=personas.editor, attachment=plan)

    assert dav.send("GET", f"{dav.folder}Budget.xlsx").status == 404
    assert dav.send("GET", f"/dav/{dav.token}/{other.pk}").status == 404
    assert dav.send("PUT", f"{dav.folder}new.docx", b"x").status == 403
    assert dav.send("LOCK", f"{dav.folder}.~lock.Plan.docx#", "<x/>").status in (400, 403, 404, 409)
    for method in ("DELETE", "MOVE", "COPY", "MKCOL"):
        assert dav.send(method, dav.file).status == 405, method
    assert dav.propfind(dav.folder, depth="1").text.count("Budget") == 0
    assert Attachment.objects.filter(space=personas.space).count() == 2


def test_a_viewer_s_link_reads_but_never_locks_or_writes(personas, plan) -> None:
    dav = Dav(user=personas.viewer, attachment=plan, access="view")
    assert dav.get().body == b"first version"
    assert dav.lock().status == 403
    assert dav.put(b"overwritten", with_lock=False).status == 403
    # An editor's edit link, in a viewer's hands (or a viewer who was an editor when it was made): read-only too.
    forged = Dav(user=personas.viewer, attachment=plan, access="edit")
    assert forged.put(b"overwritten", with_lock=False).status == 403
    plan.refresh_from_db()
    assert (plan.current_version, DesktopLock.objects.count()) == (1, 0)


def test_a_viewer_gets_no_copy_when_viewers_may_not_download(personas, plan) -> None:
    from connector import ds_settings

    ds_settings.update(block_download=True)
    answer = Dav(user=personas.viewer, attachment=plan, access="view").get()
    assert answer.status == 403
    assert Dav(user=personas.editor, attachment=plan).get().status == 200


def test_refused_links_change_nothing_and_never_ask_for_a_password(personas, plan, monkeypatch) -> None:
    good = Dav(user=personas.editor, attachment=plan)
    altered = Dav(user=personas.editor, attachment=plan, token=good.token[:-2] + "xx")
    foreign = Dav(user=personas.outsider, attachment=plan)
    answers = [altered.put(b"x", with_lock=False), foreign.put(b"x", with_lock=False), foreign.get()]

    real_time = time.time
    monkeypatch.setattr(links.time, "time", lambda: real_time() + 3600)
    answers.append(good.put(b"x", with_lock=False))

    assert [answer.status for answer in answers] == [404, 404, 404, 403]
    assert "expired" in answers[-1].text
    assert all("www-authenticate" not in answer.headers for answer in answers)
    plan.refresh_from_db()
    assert plan.current_version == 1


def _leaves_the_space(personas: Personas) -> None:
    Membership.objects.filter(user=personas.editor).delete()


def _is_deactivated(personas: Personas) -> None:
    get_user_model().objects.filter(pk=personas.editor.pk).update(is_active=False)


@pytest.mark.parametrize("revoke", [_leaves_the_space, _is_deactivated], ids=["leaves", "deactivated"])
def test_a_link_stops_working_when_its_user_is_deactivated_or_leaves_the_space(
    personas, plan, revoke: Callable[[Personas], None]
) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    assert dav.get().status == 200
    before = stored_names()

    revoke(personas)

    assert dav.get().status == 404
    assert dav.lock().status == 404
    assert dav.put(b"saved after leaving", with_lock=False).status == 404
    plan.refresh_from_db()
    assert (plan.current_version, DesktopLock.objects.count()) == (1, 0)
    assert stored_names() == before


def test_an_editor_demoted_to_viewer_can_no_longer_write_through_an_edit_link(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    before = stored_names()
    services.membership_set(space=personas.space, user=personas.editor, role=Role.VIEWER)

    assert dav.lock().status == 403
    assert dav.put(b"x", with_lock=False).status == 403
    assert dav.get().status == 200
    plan.refresh_from_db()
    assert (plan.current_version, DesktopLock.objects.count()) == (1, 0)
    assert stored_names() == before


def test_a_lock_keeps_its_link_working_after_the_link_expired(personas, plan, monkeypatch) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock()
    real_time = time.time
    monkeypatch.setattr(links.time, "time", lambda: real_time() + 3000)

    assert dav.refresh().status == 200
    assert dav.put(b"saved an hour later").status == 204
    assert dav.unlock().status == 204
    # Released: the expired link opens nothing any more.
    assert dav.get().status == 403


def test_no_link_token_reaches_the_logs(personas, plan, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    dav = Dav(user=personas.editor, attachment=plan)
    Dav(user=personas.outsider, attachment=plan, token=dav.token[:-2] + "xx").get()
    dav.send("DELETE", dav.file)
    signature = dav.token.rsplit(".", 1)[1]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/dav/…/" in logged
    assert signature not in logged and signature not in caplog.text


def test_an_expired_lock_frees_the_file_and_its_holder_s_save_is_refused(personas, plan) -> None:
    ds_settings.update(public_url="http://127.0.0.1:9", jwt_secret="s" * 32)  # never contacted
    owner = personas.client_for("owner")
    first = Dav(user=personas.editor, attachment=plan)
    assert first.lock().status == 200
    assert editor_config(owner, plan)["document"]["permissions"]["edit"] is False

    # Word crashed: nothing refreshes the lock, and it runs out.
    DesktopLock.objects.filter(token=first.lock_token).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert editor_config(owner, plan)["document"]["permissions"]["edit"] is True
    second = Dav(user=personas.owner, attachment=plan)
    assert second.lock().status == 200
    before = stored_names()
    late = first.put(b"saved through the ended lock")
    # The If: header names a lock that has ended (the lock storage knows live locks only): its condition fails.
    assert late.status == 412
    plan.refresh_from_db()
    assert plan.current_version == 1
    assert stored_names() == before
    assert [lock.user for lock in locks.live()] == [personas.owner]


def editor_config(client: Client, attachment: Attachment) -> dict[str, dict[str, dict[str, object]]]:
    """The DocEditor config the editor page embeds."""
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return json.loads(match.group(1))


def test_the_lock_sweep_deletes_expired_and_old_broken_locks(personas, make_attachment) -> None:
    expired, live, old_broken, recently_broken = (
        _locked(personas, make_attachment(personas.space, f"{name}.docx", name.encode(), personas.owner))
        for name in ("Expired", "Live", "Old", "Recent")
    )
    for lock in (old_broken, recently_broken):
        locks.lock_break(attachment=lock.attachment, broken_by=personas.owner)
    now = timezone.now()
    DesktopLock.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(seconds=1))
    # Both broken locks' own timeouts have run out too: for a broken lock only BROKEN_KEPT counts, so that its
    # owner's next save is still told why it is refused.
    DesktopLock.objects.filter(pk=old_broken.pk).update(
        broken_at=now - locks.BROKEN_KEPT - timedelta(minutes=1), expires_at=now - timedelta(days=3)
    )
    DesktopLock.objects.filter(pk=recently_broken.pk).update(
        broken_at=now - locks.BROKEN_KEPT + timedelta(minutes=1), expires_at=now - timedelta(days=1)
    )

    assert locks.locks_sweep() == 2

    assert set(DesktopLock.objects.values_list("pk", flat=True)) == {live.pk, recently_broken.pk}


def _locked(personas: Personas, attachment: Attachment) -> DesktopLock:
    dav = Dav(user=personas.editor, attachment=attachment)
    assert dav.lock().status == 200
    return DesktopLock.objects.get(token=dav.lock_token)


def test_a_large_put_streams_to_storage_with_memory_that_does_not_grow_with_the_file(
    personas, plan, settings, monkeypatch
) -> None:
    import tracemalloc

    from desktop import views

    megabyte = 1024 * 1024
    # Both past what the storage keeps in memory, so that the smaller one already shows all of it.
    sizes = (64 * megabyte, 128 * megabyte)
    settings.ATTACHMENTS_MAX_UPLOAD_SIZE = sizes[-1]
    dav = Dav(user=personas.editor, attachment=plan)
    dav.lock()
    peaks: list[int] = []
    handle = views._call_wsgidav

    def measured(*args, **kwargs):
        # The server's side only: the test client's own copy of the body is not the server's memory.
        tracemalloc.start()
        try:
            return handle(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(views, "_call_wsgidav", measured)
    for number, size in enumerate(sizes, start=2):
        answer = dav.put(bytes([number]) * size)
        assert answer.status == 204
        assert plan.versions.get(number=number).size == size

    small, large = peaks
    # Flat: twice the file, and the memory does not follow (the slack: when boto3's threads free their parts).
    assert large - small < 16 * megabyte, peaks
    # The body is spooled to disk past 1 MB and stored in 1 MB chunks: a few MB on disk; on S3, boto3's parts too.
    assert large < 8 * megabyte + 2 * _upload_buffers(settings), peaks


def _upload_buffers(settings) -> int:
    """What the default storage holds in memory while it takes a file: boto3's upload parts on S3 (the transfer
    config of config.settings._s3_storage), nothing on disk."""
    transfer = settings.STORAGES["default"].get("OPTIONS", {}).get("transfer_config")
    if transfer is None:
        return 0
    return transfer.max_in_memory_upload_chunks * transfer.multipart_chunksize


def test_a_put_without_a_length_the_server_cannot_read_to_its_end_is_refused_not_stored_empty(personas, plan) -> None:
    dav = Dav(user=personas.editor, attachment=plan)
    answer = dav.send("PUT", dav.file, b"", content_type="application/octet-stream", CONTENT_LENGTH="")
    assert answer.status == 411
    plan.refresh_from_db()
    assert plan.current_version == 1
