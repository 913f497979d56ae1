"""A guest opens a password share link in Chromium, at 1280 and 390 px: the password (a wrong one first), the name,
then the editor from the fake Document Server's api.js. Screenshots: tests/artifacts/guest-share-link/."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from tests.support.browser import CSP_WATCH, TIMEOUT_MS
from tests.support.screens import ARTIFACTS, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "guest-share-link"
PASSWORD = "open sesame"
SPACE_NAME = "Engineering"


@pytest.fixture(scope="module", autouse=True)
def _empty_folder() -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)


class Guest:
    """One browser of a guest, with every request it made and everything it logged."""

    def __init__(self, browser: Any, width: int) -> None:
        self.width = width
        self.context = browser.new_context(viewport=VIEWPORTS[width])
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(CSP_WATCH)
        self.page = self.context.new_page()
        self.requests: list[Any] = []
        self.problems: list[str] = []
        self.page.on("request", self._requested)
        self.page.on("console", self._logged)
        self.page.on("pageerror", self._failed)

    def _requested(self, request: Any) -> None:
        self.requests.append(request)

    def _logged(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _failed(self, error: Any) -> None:
        self.problems.append(f"pageerror: {error}")

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(FOLDER / f"{step}-{self.width}.png"), full_page=True)

    def fits(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth") <= self.width


def editor_frame(page: Any) -> Any:
    """The fake Document Server's editor frame, once api.js has handed it the config."""
    page.frame_locator("iframe#onlyoffice-editor").locator("#fake-ds-title").wait_for()
    frame = page.frame(name="frameEditor")
    assert frame is not None
    frame.wait_for_function("window.__fakeDsConfig !== null")
    return frame


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_a_guest_opens_a_password_link_in_the_editor(editing_setup, share_link, live_server, browser, width) -> None:
    _personas, attachment, _fake_ds = editing_setup
    _link, url = share_link(attachment, "edit", password=PASSWORD)
    secret = url.strip("/").rsplit("/", 1)[1]
    guest = Guest(browser, width)
    page = guest.page
    try:
        response = page.goto(live_server.url + url)
        assert response.status == 200
        assert page.get_by_role("heading", name="Password required").is_visible()
        assert guest.fits()
        guest.shot("01-password")

        page.get_by_label("Password").fill("not it")
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("This is not the link's password.").wait_for()
        guest.shot("02-wrong-password")
        # The refusal is a 403 page, which Chromium reports as a resource that failed: the one problem expected.
        assert [problem for problem in guest.problems if "403" not in problem] == []
        guest.problems.clear()

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Your name").wait_for()
        assert page.get_by_role("heading", name="Plan.docx").is_visible()
        assert guest.fits()
        guest.shot("03-name")

        page.get_by_label("Your name").fill("Alice")
        page.get_by_role("button", name="Open the file").click()
        frame = editor_frame(page)
        page.wait_for_selector("#onlyoffice-loading", state="hidden")
        config = frame.evaluate("window.__fakeDsConfig")
        assert frame.locator("#fake-ds-title").text_content() == "Plan.docx"
        assert frame.locator("#fake-ds-mode").text_content() == "edit"
        assert config["editorConfig"]["user"]["name"] == "Alice (guest)"
        assert "goback" not in config["editorConfig"]["customization"]
        guest.shot("04-editor")

        # Back later: the same guest, straight into the editor.
        page.reload()
        uid = config["editorConfig"]["user"]["id"]
        assert editor_frame(page).evaluate("window.__fakeDsConfig.editorConfig.user.id") == uid

        # Nothing of the space, and no way into the app.
        assert SPACE_NAME not in page.content()
        assert page.locator("a.brand").count() == 0
        assert page.locator("summary.btn[aria-label*='account menu']").count() == 0
        # The secret went to nobody in a Referer, and every form carried an Origin the CSRF check accepted.
        assert not [r.url for r in guest.requests if secret in (r.headers.get("referer") or "")]
        posts = [r for r in guest.requests if r.method == "POST"]
        assert len(posts) == 3 and all(r.headers.get("origin") == live_server.url for r in posts)
        assert page.evaluate("window.__cspViolations") == []
        assert not guest.problems
    finally:
        guest.context.close()


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_an_expired_link_says_so_and_names_nothing(editing_setup, share_link, live_server, browser, width) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sharing.models import ShareLink

    _personas, attachment, _fake_ds = editing_setup
    link, url = share_link(attachment, "view", expires_at=timezone.now() + timedelta(days=1))
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    guest = Guest(browser, width)
    try:
        response = guest.page.goto(live_server.url + url)

        assert response.status == 410
        assert guest.page.get_by_role("heading", name="This link has expired").is_visible()
        text = guest.page.locator("main").inner_text()
        assert SPACE_NAME not in text and "Plan.docx" not in text
        assert re.search(r"ask whoever shared", text)
        assert guest.fits()
        guest.shot("05-expired")
    finally:
        guest.context.close()
