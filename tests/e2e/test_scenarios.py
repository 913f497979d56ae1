"""The whole flow in a real browser, from logging in to a saved version (issue 7, scenarios 1-8).

Chromium drives the pages; the fake Document Server's api.js frames its editor from another origin; its
Python side "edits" with the config the frame received, exactly as the real editor would with the same JWT.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from attachments import ooxml
from attachments.models import Attachment
from connector import ds_settings
from connector.models import SaveRequest
from tests.e2e.conftest import LIVE_TIMEOUT_MS, Tab, User, log_in
from tests.support.workers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_BYTES = b"PK\x03\x04 an odt the fake Document Server does not read, so it converts a placeholder"
EDITED_BYTES = b"PK\x03\x04 the document as the fake Document Server assembled it after both users edited"
WRONG_SECRET = "a-secret-the-document-server-does-not-know-" + "0" * 24


# ---- helpers ---------------------------------------------------------------------------------------------


def editor_frame(tab: Tab) -> Any:
    """The DS editor frame, once it has received its config from api.js by postMessage."""
    # The frame from its element: page.frame(name=...) may not know a frame that has only just been attached.
    frame = tab.page.wait_for_selector("iframe#onlyoffice-editor").content_frame()
    assert frame is not None
    frame.wait_for_function("window.__fakeDsConfig !== null")
    tab.page.locator("#onlyoffice-loading").wait_for(state="hidden")
    return frame


def frame_config(tab: Tab) -> dict[str, Any]:
    return editor_frame(tab).evaluate("window.__fakeDsConfig")


def send_event(frame: Any, name: str, data: Any) -> None:
    """What the DS editor does to raise an event in the page that framed it."""
    script = "([name, data]) => window.parent.postMessage({frameEditorId: 'onlyoffice-editor', event: name, data}, '*')"
    frame.evaluate(script, [name, data])


def file_row(tab: Tab, title: str) -> Any:
    return tab.page.locator("tr[data-attachment-id]", has=tab.page.get_by_role("link", name=title, exact=True))


def open_in_editor(user: User, list_tab: Tab, title: str, action: str = "Edit in ONLYOFFICE") -> Tab:
    """Click the row's editor action: the editor opens in a new tab."""
    link = file_row(list_tab, title).get_by_role("link", name=re.compile(f"^{action}"))
    return user.new_tab_from(list_tab, link)


def space_path(personas: Any) -> str:
    return reverse("space_detail", args=[personas.space.pk])


def no_page_problems(user: User, *tabs: Tab) -> None:
    assert user.problems == [], user.problems
    for tab in tabs:
        assert tab.csp_violations() == []


def join_editing(fake_ds: Any, tab: Tab) -> tuple[Any, str]:
    """The DS side of an opened editor: it connects the user (status 1) with the config the frame got."""
    cfg = frame_config(tab)
    session = fake_ds.open(cfg)
    return session, cfg["editorConfig"]["user"]["id"]


def both_editing(personas: Any, make_attachment: Any, open_browser: Any, fake_ds: Any) -> dict[str, Any]:
    """Eddie and Olivia open the same file from their lists, each in their own browser."""
    make_attachment(personas.space, "Plan.docx", ooxml.blank("docx"), user=personas.owner)
    people: dict[str, Any] = {}
    for name in ("editor", "owner"):
        user = open_browser(getattr(personas, name))
        list_tab = user.tab()
        list_tab.goto(space_path(personas))
        editor = open_in_editor(user, list_tab, "Plan.docx")
        session, uid = join_editing(fake_ds, editor)
        people[name] = {"user": user, "list": list_tab, "editor": editor, "session": session, "uid": uid}
    return people


# ---- scenarios -------------------------------------------------------------------------------------------


def test_it_uploads_a_docx_through_the_page_with_progress(personas, connected, open_browser, make_shots) -> None:
    shots = make_shots("1-upload")
    user = open_browser()
    tab = user.tab()
    log_in(tab, "olivia", shots)
    page = tab.page
    expect(page.get_by_role("heading", name="My spaces")).to_be_visible()
    shots(page, "home")

    page.get_by_role("link", name=re.compile("Engineering")).click()
    expect(page.get_by_role("heading", name="No files yet")).to_be_visible()
    shots(page, "space-empty")
    content = ooxml.blank("docx")
    page.set_input_files(
        "#upload-file", files=[{"name": "Quarterly plan.docx", "mimeType": DOCX_MIME, "buffer": content}]
    )

    upload = page.locator(".upload-item", has_text="Quarterly plan.docx")
    expect(upload).to_have_class(re.compile("is-done"))
    expect(upload.locator("progress")).to_have_attribute("value", "100")
    expect(upload).to_contain_text("Uploaded")
    row = file_row(tab, "Quarterly plan.docx")
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("^Edit in ONLYOFFICE"))).to_be_visible()
    shots(page, "uploaded")
    stored = Attachment.objects.get(space=personas.space, title="Quarterly plan.docx")
    with stored.versions.get(number=1).file.open("rb") as file:
        assert file.read() == content
    no_page_problems(user, tab)


def test_it_opens_the_editor_in_a_new_tab_with_a_config_signed_by_the_secret(
    personas, connected, make_attachment, open_browser, make_shots
) -> None:
    shots = make_shots("2-edit-in-onlyoffice")
    fake_ds = connected
    attachment = make_attachment(personas.space, "Quarterly plan.docx", ooxml.blank("docx"), user=personas.owner)
    user = open_browser(personas.editor)
    list_tab = user.tab()
    list_tab.goto(space_path(personas))
    shots(list_tab.page, "list")

    editor = open_in_editor(user, list_tab, "Quarterly plan.docx")
    assert editor.page.url.endswith(reverse("onlyoffice-editor", args=[attachment.pk]))
    received = frame_config(editor)
    frame = editor.page.frame(name="frameEditor")
    expect(frame.locator("#fake-ds-title")).to_have_text("Quarterly plan.docx")
    expect(frame.locator("#fake-ds-mode")).to_have_text("edit")
    shots(editor.page, "editor")

    # api.js came from the Document Server's origin, which is not the app's.
    api_url = f"{fake_ds.url}/web-apps/apps/api/documents/api.js"
    assert editor.page.locator("script[src$='/api.js']").get_attribute("src") == api_url
    assert fake_ds.url != list_tab.base_url and fake_ds.requests_to("/web-apps/apps/api/documents/api.js")
    claims = jwt.decode(received["token"], fake_ds.secret, algorithms=["HS256"])
    for section in ("document", "editorConfig"):
        assert claims[section] == received[section]
    assert claims["editorConfig"]["callbackUrl"].startswith(list_tab.base_url)
    no_page_problems(user, list_tab, editor)


def test_it_shows_two_people_editing_the_same_key_in_the_list(
    personas, connected, make_attachment, open_browser, make_shots
) -> None:
    shots = make_shots("3-co-editing")
    people = both_editing(personas, make_attachment, open_browser, connected)
    eddie, olivia = people["editor"], people["owner"]
    assert frame_config(eddie["editor"])["document"]["key"] == frame_config(olivia["editor"])["document"]["key"]
    assert eddie["session"] is olivia["session"]
    shots(eddie["editor"].page, "eddie-editor")
    shots(olivia["editor"].page, "olivia-editor")

    # Olivia's list was open before either joined: live.js brings the names without a reload.
    status = file_row(olivia["list"], "Plan.docx").locator("[data-row-statuses]")
    expect(status).to_contain_text("Being edited by Eddie Editor, Olivia Owner", timeout=LIVE_TIMEOUT_MS)
    shots(olivia["list"].page, "list-both-editing")
    no_page_problems(olivia["user"], olivia["list"], olivia["editor"])
    no_page_problems(eddie["user"], eddie["list"], eddie["editor"])


@pytest.mark.worker
def test_it_stores_the_closed_session_as_a_new_version_without_a_reload(
    personas, connected, make_attachment, open_browser, make_shots, celery_worker_process
) -> None:
    shots = make_shots("4-save-on-close")
    people = both_editing(personas, make_attachment, open_browser, connected)
    eddie, olivia = people["editor"], people["owner"]
    attachment = Attachment.objects.get(title="Plan.docx")
    detail = olivia["user"].tab()
    detail.goto(reverse("attachment_detail", args=[attachment.pk]))

    eddie["session"].edit(eddie["uid"], EDITED_BYTES)
    eddie["session"].close(eddie["uid"])
    record = olivia["session"].close(olivia["uid"])
    assert record.response_json == {"error": 0}
    # No worker yet: the save waits in the broker, and the list says so.
    row = file_row(olivia["list"], "Plan.docx")
    expect(row.locator("[data-row-statuses]")).to_contain_text("Saving…", timeout=LIVE_TIMEOUT_MS)
    shots(olivia["list"].page, "list-saving")

    worker = celery_worker_process.start()
    poll_until(
        lambda: SaveRequest.objects.filter(attachment=attachment, state=SaveRequest.State.SAVED).exists(),
        what="the save stored by the worker",
        workers=[worker],
    )
    expect(row.locator(".col-version")).to_have_text("v2", timeout=LIVE_TIMEOUT_MS)
    expect(row.locator("[data-row-statuses]")).not_to_contain_text("Saving…", timeout=LIVE_TIMEOUT_MS)
    shots(olivia["list"].page, "list-version-2")
    expect(detail.page.locator("[data-live-notice]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    shots(detail.page, "attachment-page-notice")

    # The editor still open in Olivia's tab lists the new version in its history.
    send_event(editor_frame(olivia["editor"]), "onRequestHistory", None)
    history = (
        olivia["editor"]
        .page.wait_for_function(
            "() => (window.__fakeDsCalls || []).filter(c => c.method === 'refreshHistory').map(c => c.args[0])[0]"
        )
        .json_value()
    )
    assert history["currentVersion"] == 2
    assert [entry["version"] for entry in history["history"]] == [1, 2]
    assert history["history"][1]["user"]["name"] == "Olivia Owner"

    with olivia["list"].page.expect_download() as download:
        row.get_by_role("link", name="Download Plan.docx").click()
    assert Path(download.value.path()).read_bytes() == EDITED_BYTES
    no_page_problems(olivia["user"], olivia["list"], detail)


def test_it_gives_a_viewer_a_view_only_editor_without_callback(
    personas, connected, make_attachment, open_browser, make_shots
) -> None:
    shots = make_shots("5-viewer")
    fake_ds = connected
    make_attachment(personas.space, "Budget.docx", ooxml.blank("docx"), user=personas.owner)
    user = open_browser(personas.viewer)
    list_tab = user.tab()
    list_tab.goto(space_path(personas))
    row = file_row(list_tab, "Budget.docx")
    expect(row.get_by_role("link", name=re.compile("^View in ONLYOFFICE"))).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("^Edit in ONLYOFFICE"))).to_have_count(0)
    shots(list_tab.page, "list")

    editor = open_in_editor(user, list_tab, "Budget.docx", action="View in ONLYOFFICE")
    received = frame_config(editor)
    expect(editor.page.frame(name="frameEditor").locator("#fake-ds-mode")).to_have_text("view")
    shots(editor.page, "viewer-editor")
    claims = jwt.decode(received["token"], fake_ds.secret, algorithms=["HS256"])
    for cfg in (received, claims):
        assert cfg["editorConfig"]["mode"] == "view"
        assert "callbackUrl" not in cfg["editorConfig"]
    no_page_problems(user, list_tab, editor)


def test_it_explains_on_the_editor_page_that_the_document_server_is_down(
    personas, connected, make_attachment, open_browser, make_shots
) -> None:
    shots = make_shots("6-docserver-down")
    fake_ds = connected
    make_attachment(personas.space, "Budget.docx", ooxml.blank("docx"), user=personas.owner)
    fake_ds.down()
    user = open_browser(personas.editor)
    list_tab = user.tab()
    list_tab.goto(space_path(personas))
    editor = open_in_editor(user, list_tab, "Budget.docx")

    alert = editor.page.locator("#onlyoffice-unreachable")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("The ONLYOFFICE Document Server could not be reached.")
    expect(alert).to_contain_text("“Budget.docx” cannot be opened in the editor right now.")
    # An editor cannot open the settings: told whom to ask, not the address (staff: tests/test_editor_error_pages.py).
    expect(alert).to_contain_text("ask an administrator")
    expect(alert).not_to_contain_text(fake_ds.url)
    expect(alert.get_by_role("link", name="Back to the file")).to_be_visible()
    expect(editor.page.locator("#onlyoffice-loading")).to_be_hidden()
    shots(editor.page, "editor-unreachable")


def test_it_saves_and_checks_the_settings_step_by_step(
    personas, live_server, fake_ds, open_browser, make_shots
) -> None:
    shots = make_shots("7-settings")
    user = open_browser(personas.staff)
    tab = user.tab()
    tab.goto(reverse("home"))
    page = tab.page
    page.get_by_label("Account menu").click()
    page.get_by_role("link", name="ONLYOFFICE settings").click()
    expect(page.get_by_role("heading", name="ONLYOFFICE settings", exact=True)).to_be_visible()
    shots(page, "settings-empty")

    page.get_by_label("Document Server URL (public)").fill(fake_ds.url)
    page.get_by_label("Connector URL").fill(live_server.url)
    page.get_by_label("JWT secret", exact=True).fill(fake_ds.secret)
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#browser-check")).to_have_attribute("data-outcome", "pass")
    steps = page.locator("[data-check]")
    outcomes = dict(
        zip(
            steps.evaluate_all("els => els.map(e => e.dataset.check)"),
            steps.evaluate_all("els => els.map(e => e.dataset.outcome)"),
            strict=True,
        )
    )
    assert set(outcomes) >= {"healthcheck", "secret", "reach_connector", "reach_docserver", "browser"}
    assert set(outcomes.values()) == {"pass"}, outcomes
    expect(page.get_by_role("status").filter(has_text="The ONLYOFFICE settings were saved.")).to_be_visible()
    shots(page, "check-passed")
    assert ds_settings.current().public_url == fake_ds.url

    page.get_by_label("JWT secret", exact=True).fill(WRONG_SECRET)
    page.get_by_role("button", name="Save and check").click()
    secret_step = page.locator('[data-check="secret"]')
    expect(secret_step).to_have_attribute("data-outcome", "fail")
    expect(secret_step).to_contain_text("The secret key does not match the Document Server's")
    # Checked before storing: the failing secret is not stored unless the admin chooses "Save anyway".
    expect(page.get_by_role("button", name="Save anyway")).to_be_visible()
    assert ds_settings.current().jwt_secret == fake_ds.secret
    shots(page, "check-wrong-secret")
    html = page.content()
    assert fake_ds.secret not in html and WRONG_SECRET not in html
    no_page_problems(user, tab)


@pytest.mark.worker
def test_it_converts_with_progress_and_opens_a_new_blank_document(
    personas, connected, make_attachment, open_browser, make_shots, celery_worker_process
) -> None:
    shots = make_shots("8-conversion-and-new-document")
    make_attachment(personas.space, "Minutes.odt", ODT_BYTES, user=personas.owner)
    user = open_browser(personas.editor)
    list_tab = user.tab()
    list_tab.goto(space_path(personas))
    page = list_tab.page
    row = file_row(list_tab, "Minutes.odt")
    row.locator("summary").click()
    expect(row.get_by_role("link", name="Convert to DOCX")).to_be_visible()
    shots(page, "row-menu")
    row.get_by_role("link", name="Convert to DOCX").click()
    shots(page, "convert-page")
    page.get_by_role("button", name="Convert to DOCX").click()

    # The job waits in the broker until a worker starts: the page shows its progress indicator meanwhile.
    panel = page.locator("#conversion")
    expect(panel).to_have_attribute("data-conversion-state", re.compile("pending|running"))
    expect(page.locator("#conversion-progress")).to_be_visible()
    shots(page, "conversion-progress")
    worker = celery_worker_process.start()
    expect(panel).to_have_attribute("data-conversion-state", "done", timeout=30_000)
    expect(page.locator("#conversion-progress")).to_have_attribute("value", "100")
    shots(page, "conversion-done")
    converted = user.new_tab_from(list_tab, page.get_by_role("link", name=re.compile("^Open in ONLYOFFICE")))
    expect(editor_frame(converted).locator("#fake-ds-title")).to_have_text("Minutes.docx")
    shots(converted.page, "converted-in-editor")
    assert worker.is_alive()

    list_tab.goto(space_path(personas))
    page.get_by_role("link", name="New document").click()
    page.get_by_role("radio", name=re.compile("^Document")).check()
    page.get_by_label("Name").fill("Team notes")
    shots(page, "new-document-form")
    page.get_by_role("button", name="Create and open").click()
    page.wait_for_url(re.compile(r"/onlyoffice/editor/\d+/$"))
    expect(editor_frame(list_tab).locator("#fake-ds-title")).to_have_text("Team notes.docx")
    expect(editor_frame(list_tab).locator("#fake-ds-mode")).to_have_text("edit")
    shots(page, "new-document-in-editor")
    no_page_problems(user, list_tab, converted)
