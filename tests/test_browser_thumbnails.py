"""The space list with thumbnails in Chromium, at 1280 and 390 px (tests/artifacts/thumbnails/): ready ones show the
first page, a failed one and a type the Document Server does not draw show their type icon, never a broken image."""

from __future__ import annotations

import pytest

from attachments import services
from tests.support.documents import docx_bytes
from tests.support.screens import screens


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_thumbnails_on_the_list_in_every_screen(settings, editing_setup, browser, live_server) -> None:
    personas, _plan, fake_ds = editing_setup
    settings.CONNECTOR_THUMBNAILS = True
    for title, lines in [
        ("Quarterly report.docx", ["Quarterly report", "Revenue grew in every region", "Outlook"]),
        ("Minutes 2026-03.docx", ["Minutes", "Present: everyone", "Decisions", "Actions", "Next meeting"]),
    ]:
        services.attachment_create(
            space=personas.space, title=title, chunks=[docx_bytes(*lines)], created_by=personas.owner
        )
    fake_ds.fail_conversion(-3, times=1)
    services.attachment_create(
        space=personas.space, title="Broken.docx", chunks=[docx_bytes("x")], created_by=personas.owner
    )
    services.attachment_create(
        space=personas.space, title="notes.zip", chunks=[b"PK\x05\x06" + bytes(18)], created_by=None
    )

    def check(screen) -> None:
        page = screen.page
        pictures = page.locator("img.fthumb")
        assert pictures.count() == 2
        # Every picture loaded (a broken one has no natural width), and the others kept their icons.
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.fthumb')].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.locator("td.col-icon svg.ficon").count() == 3  # Plan.docx (not a real docx), Broken, notes.zip
        assert page.evaluate("document.documentElement.scrollWidth") <= screen.width

    taken = screens(
        browser,
        live_server,
        personas.client_for("owner"),
        f"/spaces/{personas.space.pk}/",
        folder="thumbnails",
        state="list",
        check=check,
    )
    assert len(taken) == 4
