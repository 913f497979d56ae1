"""End-to-end scenarios in headless Chromium: the app on a live server, the fake Document Server on another
port (another origin, as in production) and, where a scenario stores something, a real Celery worker.

Each scenario saves screenshots under tests/artifacts/<scenario>/ (git-ignored), named by step, so a person
can look at what the browser showed. Every wait is bounded (Playwright's timeouts, ``poll_until``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from connector import ds_settings
from tests.conftest import PASSWORD, Personas
from tests.support.browser import CSP_WATCH, TIMEOUT_MS
from tests.support.onlyoffice_env import clear_onlyoffice_environment

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# The live list (static/js/live.js) polls every 5 s: a change must show within two polls and some slack.
LIVE_TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@dataclass
class Shots:
    """Screenshots of one scenario, numbered in the order taken: 01-login.png, 02-home.png, ..."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, step: str, *, full_page: bool = True) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        return path


@dataclass
class Tab:
    """A page in a browser context of one user, with what it logged."""

    page: Any
    base_url: str
    problems: list[str]

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        return response

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")


@dataclass
class User:
    """One person's browser context (own cookies), logged in through the login page."""

    context: Any
    base_url: str
    problems: list[str] = field(default_factory=list)

    def tab(self, page: Any | None = None) -> Tab:
        return Tab(page=page or self.context.new_page(), base_url=self.base_url, problems=self.problems)

    def new_tab_from(self, tab: Tab, locator: Any) -> Tab:
        """Click a link that opens a new tab (target=_blank) and return that tab once it has loaded."""
        with self.context.expect_page() as info:
            locator.click()
        page = info.value
        page.wait_for_load_state()
        return self.tab(page)


@pytest.fixture(autouse=True)
def _no_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The scenarios set the connector up themselves; none of the machine's ONLYOFFICE_* variables apply."""
    clear_onlyoffice_environment(monkeypatch, settings)


@pytest.fixture
def make_shots() -> Callable[[str], Shots]:
    """``make_shots("scenario-name")``: its screenshot folder, emptied first so that it shows this run only."""

    def _make(scenario: str) -> Shots:
        folder = ARTIFACTS / scenario
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return Shots(folder)

    return _make


@pytest.fixture
def connected(personas: Personas, live_server: Any, fake_ds: Any) -> Any:
    """ONLYOFFICE set up against the fake Document Server, which reaches the app at the live server."""
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    return fake_ds


@pytest.fixture
def open_browser(browser: Any, live_server: Any) -> Iterator[Callable[..., User]]:
    """``open_browser(user, viewport=LAPTOP)``: a fresh context logged in as that user through the login form."""
    contexts: list[Any] = []

    def _open(user: Any = None, *, viewport: dict[str, int] = LAPTOP) -> User:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        person = User(context=context, base_url=live_server.url)
        context.on("console", lambda message: _note_console(person.problems, message))
        context.on("weberror", lambda error: person.problems.append(f"pageerror: {error.error}"))
        if user is not None:
            tab = person.tab()
            log_in(tab, user.get_username())
            tab.page.close()
        return person

    yield _open
    for context in contexts:
        context.close()


def _note_console(problems: list[str], message: Any) -> None:
    if message.type == "error" or "Content Security Policy" in message.text:
        problems.append(f"console {message.type}: {message.text} ({message.location.get('url', '')})")


def open_in(open_browser: Any, user: Any, language: str, viewport: dict[str, int]) -> tuple[User, Tab]:
    """A browser of ``user``'s own, in ``language`` (the language cookie) and ``viewport``, with its first tab."""
    person = open_browser(user, viewport=viewport)
    person.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": person.base_url}])
    return person, person.tab()


def assert_fits(tab: Tab, language: str) -> None:
    """The page is in ``language`` and no wider than the screen."""
    tab.page.wait_for_load_state("domcontentloaded")
    assert tab.page.evaluate("document.documentElement.lang") == language
    width = tab.page.viewport_size["width"]
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width


def log_in(tab: Tab, username: str, shots: Shots | None = None) -> None:
    tab.goto(reverse(settings.LOGIN_URL))
    tab.page.get_by_label(re.compile("^Username")).fill(username)
    tab.page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    if shots is not None:
        shots(tab.page, "login")
    tab.page.get_by_role("button", name="Log in").click()
    tab.page.wait_for_url(lambda url: "/login" not in url)
