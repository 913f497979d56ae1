"""What the editor and convert pages show when ONLYOFFICE cannot help: the file, why, and what to do next.

Each says which file it is about, leads back to the file's page and offers its download to whoever may take a
copy. Only staff can open the ONLYOFFICE settings, so only they are given the technical detail (the Document
Server's address, the command) and a link to the settings; everyone else is told to ask an administrator.
"""

from __future__ import annotations

import re
import socket

import pytest
from django.urls import reverse

from connector import ds_settings
from tests.conftest import Personas
from tests.support.onlyoffice_env import clear_onlyoffice_environment
from tests.support.screens import screens

SETTINGS_URL = "/onlyoffice/settings/"
TITLE = "Quarterly plan.docx"


@pytest.fixture(autouse=True)
def _no_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    clear_onlyoffice_environment(monkeypatch, settings)


@pytest.fixture
def closed_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens: loading api.js from it fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def block(html: str, element_id: str) -> str:
    """The HTML of the element with this id up to its section's end (the pages nest no such element)."""
    match = re.search(rf'<(section|div) [^>]*id="{element_id}".*?</\1>\n', html, re.S)
    assert match, f"no #{element_id} on the page"
    return match.group(0)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def links(attachment) -> dict[str, str]:
    return {
        "back": f'href="{reverse("attachment_detail", args=[attachment.pk])}"',
        "download": f'href="{reverse("attachment_download", args=[attachment.pk])}"',
        "settings": f'href="{SETTINGS_URL}"',
    }


# --- not set up ------------------------------------------------------------------------------------------------


def test_it_names_the_file_and_leads_a_viewer_back_and_to_the_download(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, TITLE)
    response = personas.client_for("viewer").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    html = block(response.content.decode(), "onlyoffice-unavailable")
    assert response.status_code == 503
    assert f'<h1 class="file-heading">{TITLE}</h1>' in html
    expected = links(attachment)
    assert expected["back"] in html and expected["download"] in html
    assert "Ask an administrator to set the Document Server address." in text(html)
    assert expected["settings"] not in html and "manage.py" not in html


def test_it_offers_no_download_to_a_viewer_when_downloads_are_blocked(personas: Personas, make_attachment) -> None:
    ds_settings.update(block_download=True)
    attachment = make_attachment(personas.space, TITLE)

    response = personas.client_for("viewer").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    html = block(response.content.decode(), "onlyoffice-unavailable")
    expected = links(attachment)
    assert expected["back"] in html
    assert expected["download"] not in html


def test_it_gives_staff_the_settings_and_the_command(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, TITLE)

    response = personas.client_for("staff").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    html = block(response.content.decode(), "onlyoffice-unavailable")
    assert links(attachment)["settings"] in html
    assert "manage.py onlyoffice settings" in html
    assert "Ask an administrator" not in html


def test_it_says_on_the_convert_page_that_onlyoffice_is_not_set_up(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Minutes.odt", b"PK\x03\x04 odt")

    response = personas.client_for("editor").get(reverse("onlyoffice-convert", args=[attachment.pk]))

    html = text(block(response.content.decode(), "onlyoffice-unavailable"))
    assert response.status_code == 503
    assert "ONLYOFFICE is not set up yet, so this file cannot be converted." in html
    assert "opened in the editor" not in html
    assert "Ask an administrator to set the Document Server address." in html


# --- the Document Server does not answer ---------------------------------------------------------------------


def test_it_tells_a_viewer_to_ask_an_administrator_without_the_servers_address(
    personas: Personas, make_attachment, closed_url: str
) -> None:
    ds_settings.update(public_url=closed_url)
    attachment = make_attachment(personas.space, TITLE)

    response = personas.client_for("viewer").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    html = block(response.content.decode(), "onlyoffice-unreachable")
    assert response.status_code == 200
    assert TITLE in text(html)
    assert "ask an administrator" in text(html)
    assert closed_url not in html and "settings" not in text(html).lower()
    expected = links(attachment)
    assert expected["back"] in html and expected["download"] in html


def test_it_gives_staff_the_address_tried_and_the_settings(
    personas: Personas, make_attachment, closed_url: str
) -> None:
    ds_settings.update(public_url=closed_url)
    attachment = make_attachment(personas.space, TITLE)

    response = personas.client_for("staff").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    html = block(response.content.decode(), "onlyoffice-unreachable")
    assert f"<code>{closed_url}/web-apps/apps/api/documents/api.js</code>" in html
    assert "Check that the Document Server is running" in html
    assert links(attachment)["settings"] in html


# --- in the browser, at both widths and in both languages --------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["viewer", "staff"])
def test_it_shows_the_unreachable_server_state_in_every_screen(
    personas: Personas, make_attachment, browser, live_server, closed_url: str, persona: str
) -> None:
    ds_settings.update(public_url=closed_url, connector_url=live_server.url)
    attachment = make_attachment(personas.space, TITLE)

    def check(screen) -> None:
        box = screen.page.locator("#onlyoffice-unreachable")
        box.wait_for(state="visible")
        assert screen.page.locator("#onlyoffice-loading").is_hidden()
        assert TITLE in box.inner_text()
        assert box.locator("[data-action=back]").is_visible()
        assert box.locator("[data-action=download]").is_visible()
        assert (closed_url in box.inner_text()) is (persona == "staff")
        assert box.locator("[data-action=settings]").count() == (1 if persona == "staff" else 0)

    screens(
        browser,
        live_server,
        personas.client_for(persona),
        reverse("onlyoffice-editor", args=[attachment.pk]),
        folder="editor-error-page",
        state=f"unreachable-{persona}",
        check=check,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("persona", "page"), [("viewer", "editor"), ("staff", "editor"), ("editor", "convert")])
def test_it_shows_the_not_set_up_state_in_every_screen(
    personas: Personas, make_attachment, browser, live_server, persona: str, page: str
) -> None:
    attachment = make_attachment(personas.space, "Minutes.odt", b"PK\x03\x04 odt")
    path = reverse("onlyoffice-editor" if page == "editor" else "onlyoffice-convert", args=[attachment.pk])

    def check(screen) -> None:
        box = screen.page.locator("#onlyoffice-unavailable")
        assert screen.status == 503
        assert box.get_by_role("heading", name="Minutes.odt").is_visible()
        assert box.locator("[data-action=back]").is_visible()
        assert box.locator("[data-action=download]").is_visible()
        assert box.locator("[data-action=settings]").count() == (1 if persona == "staff" else 0)
        assert screen.page.evaluate("document.documentElement.scrollWidth") <= screen.width

    screens(
        browser,
        live_server,
        personas.client_for(persona),
        path,
        folder="editor-error-page",
        state=f"not-set-up-{page}-{persona}",
        check=check,
    )
