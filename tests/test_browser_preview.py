"""The file page's preview in a real browser: the file page frames the preview page, which opens the file in the
(fake) Document Server's embedded viewer; with the Document Server down, the frame shows its fallback at once.

Screenshots of both states, in English and German at 1280 and 390 px: tests/artifacts/file-preview/.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from connector import ds_settings, jwt_codec, watermarks
from tests.support.browser import CSP_WATCH
from tests.support.screens import Screen, screens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A port nothing listens on: the browser's request for api.js is refused at once.
DOWN_URL = "http://127.0.0.1:9"
# The fallback must come well before the script's own timeout (preview.js, 8 s): the refusal is immediate.
FALLBACK_WITHIN_MS = 5_000


def preview_frame(page: Any) -> Any:
    """The preview page, framed by the file page."""
    element = page.wait_for_selector("iframe.file-preview-frame")
    frame = element.content_frame()
    assert frame is not None
    frame.wait_for_selector("#preview-shell", state="attached")
    return frame


def viewer_frame(page: Any) -> Any:
    """The fake Document Server's viewer, framed by api.js inside the preview page."""
    # The frame from its element: page.frame(name=...) may not know a frame that has only just been attached.
    frame = preview_frame(page).wait_for_selector("iframe#preview-editor").content_frame()
    assert frame is not None
    frame.wait_for_function("window.__fakeDsConfig !== null")
    return frame


def open_file_page(browser_page: Any, personas: Any, attachment: Any, persona: str = "viewer") -> Any:
    browser_page.login(personas.client_for(persona))
    browser_page.page.add_init_script(CSP_WATCH)
    response = browser_page.goto(reverse("attachment_detail", args=[attachment.pk]))
    assert response.status == 200
    return browser_page.page


def violations(page: Any) -> list[str]:
    """What the CSP blocked in any frame: the file page, the preview page and the viewer (tests.support.browser)."""
    return [entry for frame in page.frames for entry in frame.evaluate("window.__cspViolations || []")]


def test_it_shows_the_document_read_only_in_the_file_page(
    personas, make_attachment, live_server, fake_ds, browser_page
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Quarterly plan.docx", user=personas.owner)
    own_requests_to_ds: list[str] = []
    browser_page.page.on(
        "request",
        lambda request: (
            own_requests_to_ds.append(request.url)
            if request.frame == browser_page.page.main_frame and request.url.startswith(fake_ds.url)
            else None
        ),
    )
    page = open_file_page(browser_page, personas, attachment)
    viewer = viewer_frame(page)

    config = viewer.evaluate("window.__fakeDsConfig")
    assert config["type"] == "embedded"
    assert config["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in config["editorConfig"]
    assert config["token"]
    assert viewer.locator("#fake-ds-title").text_content() == "Quarterly plan.docx"
    preview = preview_frame(page)
    preview.wait_for_selector("#preview-loading", state="hidden")
    assert preview.locator("#preview-fallback").is_hidden()
    # The file page itself asks the Document Server for nothing: only the framed preview page does.
    assert own_requests_to_ds == []
    assert fake_ds.requests_to("/web-apps/apps/api/documents/api.js")
    assert violations(page) == []
    assert not [line for line in browser_page.console if "Content Security Policy" in line]


def test_the_viewer_receives_the_spaces_watermark_with_the_readers_name(
    personas, make_attachment, live_server, fake_ds, browser_page
) -> None:
    cache.clear()  # policies are cached by space id, which another test's space may have had
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    watermarks.space_watermark_update(
        space=personas.space, enabled=True, everyone=False, share_links=False, text="{name} · {email}"
    )
    attachment = make_attachment(personas.space, "Quarterly plan.docx", user=personas.owner)

    config = viewer_frame(open_file_page(browser_page, personas, attachment)).evaluate("window.__fakeDsConfig")

    # What api.js handed the viewer, and the token the Document Server trusts: both carry the reader's name.
    expected = "Vera Viewer · vera@example.com"
    for received in (config, jwt_codec.decode(config["token"], fake_ds.secret)):
        drawn = received["document"]["options"]["watermark_on_draw"]
        assert drawn["paragraphs"][0]["runs"][0]["text"] == expected


def test_it_shows_the_fallback_quickly_when_the_document_server_is_down(
    personas, make_attachment, live_server, browser_page
) -> None:
    ds_settings.update(public_url=DOWN_URL, connector_url=live_server.url)
    attachment = make_attachment(personas.space, "Quarterly plan.docx", user=personas.owner)
    page = open_file_page(browser_page, personas, attachment)
    preview = preview_frame(page)

    fallback = preview.locator("#preview-fallback")
    fallback.wait_for(state="visible", timeout=FALLBACK_WITHIN_MS)
    assert "The preview is not available right now." in fallback.text_content()
    assert preview.locator("#preview-loading").is_hidden()
    open_link = preview.locator("[data-action=open]")
    assert open_link.get_attribute("target") == "_top"
    assert open_link.get_attribute("href") == reverse("onlyoffice-editor", args=[attachment.pk])
    assert preview.locator("[data-action=download]").get_attribute("target") == "_top"
    # The file page around it is whole: its heading and its version list.
    assert page.locator("h1.file-heading").text_content() == "Quarterly plan.docx"
    assert page.locator("#versions-heading").is_visible()
    assert violations(page) == []


def test_it_leaves_the_frame_for_the_editor_from_the_fallback(
    personas, make_attachment, live_server, browser_page
) -> None:
    ds_settings.update(public_url=DOWN_URL, connector_url=live_server.url)
    attachment = make_attachment(personas.space, "Quarterly plan.docx", user=personas.owner)
    page = open_file_page(browser_page, personas, attachment)
    preview = preview_frame(page)
    preview.locator("#preview-fallback").wait_for(state="visible", timeout=FALLBACK_WITHIN_MS)

    preview.locator("[data-action=open]").click()
    page.wait_for_url(f"**{reverse('onlyoffice-editor', args=[attachment.pk])}")


def _check_loaded(screen: Screen) -> None:
    assert screen.status == 200
    viewer_frame(screen.page)
    preview_frame(screen.page).wait_for_selector("#preview-loading", state="hidden")


def _check_fallback(screen: Screen) -> None:
    assert screen.status == 200
    preview_frame(screen.page).locator("#preview-fallback").wait_for(state="visible", timeout=FALLBACK_WITHIN_MS)


def test_screens_of_the_preview_loaded_and_with_the_document_server_down(
    personas, make_attachment, live_server, fake_ds, browser
) -> None:
    attachment = make_attachment(personas.space, "Quarterly plan.docx", user=personas.owner)
    client = personas.client_for("viewer")
    path = reverse("attachment_detail", args=[attachment.pk])

    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    loaded = screens(browser, live_server, client, path, folder="file-preview", state="loaded", check=_check_loaded)
    ds_settings.update(public_url=DOWN_URL, jwt_secret="")
    down = screens(browser, live_server, client, path, folder="file-preview", state="ds-down", check=_check_fallback)

    assert len(loaded) == len(down) == 4
