"""Without ONLYOFFICE set up, the space's pages tell those who can act why no file offers the editor.

Staff get a link to the settings page, space admins who are not staff are told to ask an administrator, and
editors and viewers see the files as they are. The connector adds the hint through the pages' notice slot
(attachments.actions.register_space_notice).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connector import ds_settings
from tests.conftest import Personas
from tests.support.onlyoffice_env import clear_onlyoffice_environment
from tests.support.screens import screens

SETTINGS_URL = "/onlyoffice/settings/"


@pytest.fixture(autouse=True)
def _no_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    clear_onlyoffice_environment(monkeypatch, settings)


def notices(html: str) -> list[str]:
    """The text of each notice on the page, tags removed."""
    found = re.findall(r"<p class=\"flash\" data-space-notice>(.*?)</p>", html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", notice).split()) for notice in found]


def space_page(personas: Personas, persona: str) -> str:
    response = personas.client_for(persona).get(reverse("space_detail", args=[personas.space.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_tells_staff_why_no_file_offers_the_editor_and_links_the_settings(personas: Personas) -> None:
    html = space_page(personas, "staff")

    assert notices(html) == [
        "ONLYOFFICE is not set up, so no file can be opened in the editor. Open the ONLYOFFICE settings"
    ]
    assert f'<a href="{SETTINGS_URL}">Open the ONLYOFFICE settings</a>' in html


def test_it_tells_a_space_admin_who_is_not_staff_to_ask_an_administrator(personas: Personas) -> None:
    html = space_page(personas, "owner")

    assert notices(html) == [
        "ONLYOFFICE is not set up, so no file can be opened in the editor. "
        "Ask an administrator to set the Document Server address."
    ]
    assert SETTINGS_URL not in html


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_it_shows_editors_and_viewers_no_hint(personas: Personas, persona: str) -> None:
    assert notices(space_page(personas, persona)) == []


def test_it_shows_no_hint_once_onlyoffice_is_set_up(personas: Personas) -> None:
    ds_settings.update(public_url="https://docs.example.com")

    assert notices(space_page(personas, "staff")) == []
    assert notices(space_page(personas, "owner")) == []


def test_it_shows_the_hint_on_a_files_page_too(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")

    owner = personas.client_for("owner").get(reverse("attachment_detail", args=[attachment.pk])).content.decode()
    viewer = personas.client_for("viewer").get(reverse("attachment_detail", args=[attachment.pk])).content.decode()

    assert len(notices(owner)) == 1 and "Ask an administrator" in notices(owner)[0]
    assert notices(viewer) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("persona", "expected"), [("staff", 1), ("owner", 1), ("viewer", 0)])
def test_it_shows_the_hint_in_every_screen_to_admins_only(
    personas: Personas, make_attachment, browser, live_server, persona: str, expected: int
) -> None:
    make_attachment(personas.space, "Welcome.docx", user=personas.owner)
    client = personas.client_for(persona)

    def check(screen) -> None:
        hint = screen.page.locator("[data-space-notice]")
        assert screen.status == 200
        assert hint.count() == expected
        if expected:
            assert hint.is_visible()
            assert (hint.locator("a").count() == 1) is (persona == "staff")
        # Nothing looks broken for anyone: the file is listed as usual.
        assert screen.page.get_by_role("link", name="Welcome.docx", exact=True).first.is_visible()

    shots = screens(
        browser,
        live_server,
        client,
        reverse("space_detail", args=[personas.space.pk]),
        folder="onlyoffice-setup-hint",
        state=f"space-{persona}",
        check=check,
    )
    assert len(shots) == 4
