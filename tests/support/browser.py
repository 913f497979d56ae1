"""A real browser for tests: Debian's chromium driven by Playwright, never a downloaded browser.

``browser`` is one headless chromium per test session; ``browser_page`` is a fresh context and page per
test, with helpers to log a persona in through the session cookie and to collect what the page logged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Every wait in a browser test is bounded by this (ms): generous for a loaded CI machine, never a sleep.
TIMEOUT_MS = 15_000
# An init script (``context.add_init_script``): runs in every frame before the page's own scripts and collects CSP
# violations in ``window.__cspViolations``; they are events, not always console lines.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
}, true);
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@dataclass
class BrowserPage:
    page: Any
    base_url: str
    console: list[str] = field(default_factory=list)

    def login(self, client: Any) -> None:
        """Give the browser the session of a logged-in Django test client."""
        from django.conf import settings

        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": self.base_url}]
        )

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)


@pytest.fixture
def browser_page(browser: Any, live_server: Any) -> Iterator[BrowserPage]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    wrapper = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: wrapper.console.append(f"{message.type}: {message.text}"))
    yield wrapper
    context.close()
