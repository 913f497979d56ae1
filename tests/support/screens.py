"""One page state in every screen the issue asks for: 1280 px and 390 px wide, in English and German.

``screens(browser, live_server, client, path, folder=..., state=...)`` opens ``path`` as the Django test client's
user in each combination, lets the test bring the page into the state (``act``: fill a form, click) and assert
it (``check``, with Playwright's bounded waits), and saves a screenshot for a person to look at:
tests/artifacts/<folder>/<state>-<language>-<width>.png (git-ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from tests.support.browser import TIMEOUT_MS

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
VIEWPORTS = {1280: {"width": 1280, "height": 800}, 390: {"width": 390, "height": 844}}
LANGUAGES = ("en", "de")


@dataclass(frozen=True)
class Screen:
    page: Any
    language: str
    width: int
    status: int


def screens(
    browser: Any,
    live_server: Any,
    client: Any,
    path: str,
    *,
    folder: str,
    state: str,
    act: Callable[[Screen], None] = lambda screen: None,
    check: Callable[[Screen], None] = lambda screen: None,
) -> list[Path]:
    """Screenshots of ``path`` in each width and language, each taken after ``act`` and ``check`` on that screen."""
    target = ARTIFACTS / folder
    target.mkdir(parents=True, exist_ok=True)
    taken = []
    for screen in _each_screen(browser, live_server.url, client, path):
        act(screen)
        check(screen)
        shot = target / f"{state}-{screen.language}-{screen.width}.png"
        screen.page.screenshot(path=str(shot), full_page=True)
        taken.append(shot)
    return taken


def _each_screen(browser: Any, base_url: str, client: Any, path: str) -> Iterator[Screen]:
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    for language in LANGUAGES:
        for width, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport)
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies(
                [
                    {"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": base_url},
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
                ]
            )
            try:
                page = context.new_page()
                response = page.goto(base_url + path)
                yield Screen(page=page, language=language, width=width, status=response.status)
            finally:
                context.close()
