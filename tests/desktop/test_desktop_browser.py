"""Desktop editing on the attachment pages in a real browser, at laptop (1280 px) and phone (390 px) width: the file
page's "Open in a desktop app" section and its "How does this work?" dialog (opened and closed every way, the help
page without JavaScript), and "Break desktop lock" from a row's menu; never a Content-Security-Policy violation.

The "Open in …" links themselves are not followed: they hand the browser an ms-word: or vnd.libreoffice.command:
URI for an app the test machine does not have (tests/desktop/test_desktop_pages.py checks the URI).

Screenshots of each state: tests/artifacts/desktop-pages/ (for people; the assertions check what they show).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from attachments.models import Attachment
from desktop import locks
from desktop.models import DesktopLock
from tests.conftest import Personas
from tests.support.browser import CSP_WATCH, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "desktop-pages"
VIEWPORTS = {1280: {"width": 1280, "height": 800}, 390: {"width": 390, "height": 844}}
CASES = [pytest.param(width, language, id=f"{language}-{width}px") for language in ("en", "de") for width in VIEWPORTS]


class Browser:
    """One person's browser context at one width and language, which notes what went wrong in it."""

    def __init__(self, browser: Any, live_server: Any, client: Any, *, width: int, language: str, **options: Any):
        self.base_url = live_server.url
        self.context = browser.new_context(viewport=VIEWPORTS[width], **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(CSP_WATCH)
        self.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.base_url,
                },
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": self.base_url},
            ]
        )
        self.problems: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self._console(message))
        self.page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        self.width = width

    def _console(self, message: Any) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, path

    def shot(self, name: str, *, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def assert_clean(self) -> None:
        """Nothing broke: no CSP violation, no script error, and nothing wider than the screen."""
        assert self.page.evaluate("window.__cspViolations") == []
        assert self.problems == []
        assert self.page.evaluate("document.documentElement.scrollWidth") <= self.width


@pytest.fixture
def open_as(browser: Any, live_server: Any, personas: Personas):
    opened: list[Browser] = []

    def _open(persona: str, *, width: int, language: str = "en", **options: Any) -> Browser:
        person = Browser(browser, live_server, personas.client_for(persona), width=width, language=language, **options)
        opened.append(person)
        return person

    yield _open
    for person in opened:
        person.context.close()


@pytest.fixture
def plan(personas: Personas, make_attachment: Any) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"docx bytes", user=personas.owner)


def assert_inside_the_viewport(page: Any, locator: Any) -> None:
    expect(locator).to_be_visible()
    box, viewport = locator.bounding_box(), page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_offers_the_desktop_apps_and_explains_them_in_a_dialog(
    open_as: Any, plan: Attachment, width: int, language: str
) -> None:
    person = open_as("editor", width=width, language=language)
    page = person.page
    path = reverse("attachment_detail", args=[plan.pk])
    person.goto(path)
    section = page.locator("section.desktop-open")
    dialog = page.locator("dialog#desktop-help-dialog")
    help_link = section.locator("[data-dialog='desktop-help-dialog']")

    office, libreoffice = (reverse(f"desktop-open-{app}", args=[plan.pk]) for app in ("office", "libreoffice"))
    # Located by what they do, in either language; named as the English page names them.
    expect(section.locator("a.btn")).to_have_count(2)
    expect(section.locator(f"a.btn[href='{office}']")).to_be_visible()
    expect(section.locator(f"a.btn[href='{libreoffice}']")).to_be_visible()
    if language == "en":
        expect(section.locator("a.btn")).to_have_text(["Open in Word", "Open in LibreOffice"])
    # The apps' icon is drawn (the sprite has it), at the icons' size.
    icon = section.locator("a.btn svg.icon").first
    assert icon.evaluate("(el) => !!document.querySelector(el.querySelector('use').getAttribute('href'))")
    assert icon.bounding_box()["width"] == 18
    expect(dialog).to_be_hidden()
    person.shot(f"file-page-{language}-{width}px")

    # "How does this work?" opens the dialog over the page instead of going to the help page.
    help_link.click()
    expect(dialog).to_be_visible()
    assert page.url == person.base_url + path
    assert dialog.evaluate("(el) => el.open && el.matches(':modal')")
    expect(dialog.locator("h2")).to_be_visible()
    expect(dialog).to_contain_text("Office 2013")
    expect(dialog).to_contain_text("LibreOffice 7.2")
    if language == "en":
        expect(dialog.locator("h2")).to_have_text("Editing in a desktop app")
        expect(dialog).to_contain_text("Your browser asks whether to open the app")
    expect(dialog.locator(".dialog-actions a")).to_have_attribute("href", reverse("desktop-help"))
    close = dialog.locator(".dialog-actions button[type='submit']")
    expect(close).to_be_focused()
    assert_inside_the_viewport(page, dialog)
    person.shot(f"help-dialog-{language}-{width}px", full_page=False)

    # It closes with Escape, giving the focus back to the link; with its button; and with a click beside it.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(help_link).to_be_focused()
    help_link.click()
    close.click()
    expect(dialog).to_be_hidden()
    help_link.click()
    expect(dialog).to_be_visible()
    page.mouse.click(4, page.viewport_size["height"] - 4)
    expect(dialog).to_be_hidden()
    assert page.url == person.base_url + path
    person.assert_clean()


def test_it_goes_to_the_help_page_without_javascript(open_as: Any, plan: Attachment) -> None:
    person = open_as("editor", width=1280, java_script_enabled=False)
    person.goto(reverse("attachment_detail", args=[plan.pk]))

    person.page.get_by_role("link", name="How does this work?").click()

    person.page.wait_for_url(person.base_url + reverse("desktop-help"))
    expect(person.page.get_by_role("heading", level=1)).to_have_text("Editing in a desktop app")
    expect(person.page.locator("main")).to_contain_text("LibreOffice 7.2 or newer")
    person.shot("help-page-without-javascript")
    assert person.problems == []


@pytest.mark.parametrize("width", VIEWPORTS)
def test_it_shows_the_desktop_lock_and_breaks_it_from_the_row_menu(
    personas: Personas, open_as: Any, plan: Attachment, width: int
) -> None:
    locks.lock_create(
        attachment_id=plan.pk,
        user_id=personas.editor.pk,
        link_digest="0" * 64,
        owner="",
        scope="exclusive",
        timeout=600,
    )
    person = open_as("owner", width=width)
    page = person.page
    person.goto(reverse("attachment_detail", args=[plan.pk]))
    expect(page.locator(".page-header [data-attachment-status]")).to_have_text(
        re.compile(r"^Being edited in a desktop app by Eddie Editor")
    )
    person.shot(f"file-page-held-{width}px")
    person.goto(reverse("space_detail", args=[personas.space.pk]))
    row = page.locator(f"tr[data-attachment-id='{plan.pk}']")
    status = row.locator("[data-attachment-status]")

    expect(status).to_have_text(re.compile(r"^Being edited in a desktop app by Eddie Editor"))
    row.locator("details.menu > summary").click()
    panel = row.locator(".menu-panel")
    assert_inside_the_viewport(page, panel)
    for name in ("Open in Word", "Open in LibreOffice"):
        entry = panel.get_by_role("link", name=name)
        expect(entry).to_be_visible()
        assert entry.locator("svg.icon").bounding_box()["width"] == 18
    # Breaking a lock is destructive: last, after the separator.
    expect(panel.locator(".menu-item").last).to_have_text("Break desktop lock")
    person.shot(f"row-menu-held-{width}px", full_page=False)

    panel.get_by_role("button", name="Break desktop lock").click()

    expect(page.locator(".flash-success")).to_contain_text(
        "The desktop lock on “Plan.docx” was broken, so others can edit the file again."
    )
    assert page.url == person.base_url + reverse("space_detail", args=[personas.space.pk])
    expect(status).to_have_count(0)
    assert DesktopLock.objects.get().broken_at is not None
    person.shot(f"lock-broken-{width}px")
    person.assert_clean()
