"""The editor page in a real browser: api.js from the (fake) Document Server, the events, and the failure page.

The fake DS serves a stand-in api.js that frames its editor page and relays events with postMessage, as the
real one does, so these tests exercise our page's script, its CSP and its error handling end to end.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connector import ds_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_TITLE = "</script><script>window.__pwned=1</script>.docx"


@pytest.fixture
def editor_setup(personas, make_attachment, live_server, fake_ds):
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    return personas, fake_ds


def open_editor(browser_page, personas, attachment, persona: str = "editor", query: str = ""):
    browser_page.login(personas.client_for(persona))
    response = browser_page.goto(reverse("onlyoffice-editor", args=[attachment.pk]) + query)
    assert response.status == 200
    return browser_page.page


def editor_frame(page):
    # The frame from its element: page.frame(name=...) may not know a frame that has only just been attached.
    frame = page.wait_for_selector("iframe#onlyoffice-editor").content_frame()
    assert frame is not None
    frame.wait_for_function("window.__fakeDsConfig !== null")
    return frame


def send_event(frame, name: str, data) -> None:
    """What the DS editor does to raise an event in the page that framed it."""
    script = "([name, data]) => window.parent.postMessage({frameEditorId: 'onlyoffice-editor', event: name, data}, '*')"
    frame.evaluate(script, [name, data])


def test_it_opens_the_editor_from_api_js_without_csp_violations(editor_setup, make_attachment, browser_page) -> None:
    personas, fake_ds = editor_setup
    attachment = make_attachment(personas.space, "Quarterly plan.docx")
    page = open_editor(browser_page, personas, attachment)
    frame = editor_frame(page)

    assert frame.locator("#fake-ds-title").text_content() == "Quarterly plan.docx"
    assert frame.locator("#fake-ds-mode").text_content() == "edit"
    page.wait_for_selector("#onlyoffice-loading", state="hidden")
    config_in_editor = frame.evaluate("window.__fakeDsConfig")
    assert config_in_editor["token"]
    assert config_in_editor["editorConfig"]["callbackUrl"].startswith(browser_page.base_url)
    assert not [line for line in browser_page.console if "Content Security Policy" in line]
    assert fake_ds.requests_to("/web-apps/apps/api/documents/api.js")


def test_it_keeps_a_hostile_title_as_text(editor_setup, make_attachment, browser_page) -> None:
    personas, _fake_ds = editor_setup
    attachment = make_attachment(personas.space, HOSTILE_TITLE)
    page = open_editor(browser_page, personas, attachment)
    frame = editor_frame(page)

    assert frame.locator("#fake-ds-title").text_content() == attachment.title
    assert page.evaluate("window.__pwned") is None
    assert frame.evaluate("window.__pwned") is None


def test_it_marks_unsaved_changes_in_the_tab_title(editor_setup, make_attachment, browser_page) -> None:
    personas, _fake_ds = editor_setup
    attachment = make_attachment(personas.space, "Budget.docx")
    page = open_editor(browser_page, personas, attachment)
    frame = editor_frame(page)
    title = page.title()

    send_event(frame, "onDocumentStateChange", True)
    page.wait_for_function("(title) => document.title === '\u2022 ' + title", arg=title)
    send_event(frame, "onDocumentStateChange", False)
    page.wait_for_function("(title) => document.title === title", arg=title)


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("onError", {"errorCode": -4, "errorDescription": "Download failed."}, "Download failed. (-4)"),
        ("onWarning", {"warningCode": -1, "warningDescription": "Connection lost."}, "Connection lost. (-1)"),
    ],
)
def test_it_shows_editor_errors_and_warnings(
    editor_setup, make_attachment, browser_page, event, data, expected
) -> None:
    personas, _fake_ds = editor_setup
    attachment = make_attachment(personas.space, "Budget.docx")
    page = open_editor(browser_page, personas, attachment)
    send_event(editor_frame(page), event, data)

    alert = page.locator("#onlyoffice-alert")
    alert.wait_for(state="visible")
    assert expected in alert.text_content()


def test_it_switches_a_viewer_who_may_edit_to_edit_mode_on_request(editor_setup, make_attachment, browser_page) -> None:
    personas, _fake_ds = editor_setup
    attachment = make_attachment(personas.space, "Budget.docx")
    page = open_editor(browser_page, personas, attachment, query="?mode=view")
    frame = editor_frame(page)
    assert frame.locator("#fake-ds-mode").text_content() == "view"

    send_event(frame, "onRequestEditRights", None)
    page.wait_for_url(re.compile(r"/onlyoffice/editor/\d+/$"))
    assert editor_frame(page).locator("#fake-ds-mode").text_content() == "edit"


def test_it_never_offers_edit_rights_to_a_viewer(editor_setup, make_attachment, browser_page) -> None:
    personas, _fake_ds = editor_setup
    attachment = make_attachment(personas.space, "Budget.docx")
    page = open_editor(browser_page, personas, attachment, persona="viewer")
    frame = editor_frame(page)
    assert frame.locator("#fake-ds-mode").text_content() == "view"
    assert "callbackUrl" not in frame.evaluate("window.__fakeDsConfig.editorConfig")
    assert page.locator("#onlyoffice-shell").get_attribute("data-edit-url") == ""


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:9", "{live_server}/no-document-server"])
def test_it_says_what_to_check_when_api_js_cannot_load(
    personas, make_attachment, live_server, browser_page, public_url
) -> None:
    address = public_url.format(live_server=live_server.url)
    ds_settings.update(public_url=address, connector_url=live_server.url)
    attachment = make_attachment(personas.space, "Budget.docx")
    # Staff are told the address and what to check; others are told to ask them (tests/test_editor_error_pages.py).
    page = open_editor(browser_page, personas, attachment, persona="staff")

    alert = page.locator("#onlyoffice-unreachable")
    alert.wait_for(state="visible")
    text = alert.text_content()
    assert "could not be reached" in text
    assert "Check that the Document Server is running" in text
    assert f"{address}/web-apps/apps/api/documents/api.js" in text
    assert page.locator("#onlyoffice-loading").is_hidden()
