"""The "Watermark" section of a space's settings page in Chromium, at 1280 and 390 px (tests/artifacts/)."""

from __future__ import annotations

import pytest

from tests.conftest import Personas
from tests.support.screens import screens


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_watermark_section_in_every_screen(personas: Personas, browser, live_server) -> None:
    def act(screen) -> None:
        page = screen.page
        page.check("#id_enabled")
        page.fill("#id_text", "{name} {phone}")
        page.click("#watermark button[type=submit]")
        page.wait_for_selector("#watermark .errors")

    def check(screen) -> None:
        page = screen.page
        assert page.locator("#watermark").is_visible()
        assert "{phone}" in page.inner_text("#watermark .errors")
        # Nothing sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= screen.width

    taken = screens(
        browser,
        live_server,
        personas.client_for("owner"),
        f"/spaces/{personas.space.pk}/settings/",
        folder="space-watermark",
        state="refused-placeholder",
        act=act,
        check=check,
    )
    assert len(taken) == 4

    def saved(screen) -> None:
        page = screen.page
        page.check("#id_enabled")
        page.fill("#id_text", "{name} · {email} · {date}")
        page.click("#watermark button[type=submit]")
        page.wait_for_selector(".flash")

    screens(
        browser,
        live_server,
        personas.client_for("owner"),
        f"/spaces/{personas.space.pk}/settings/",
        folder="space-watermark",
        state="saved",
        act=saved,
        check=lambda screen: None,
    )
