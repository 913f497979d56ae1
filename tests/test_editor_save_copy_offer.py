"""The editor offers "Save copy as" only to people who have somewhere to save the copy.

The Document Server shows the button only when the page answers ``onRequestSaveAs``; the page answers it when
the user may take a copy of the file and is an editor or admin of at least one space (what the save-as dialog
lists, ``/onlyoffice/editor/<id>/spaces/``). A viewer with no such space is not offered a dialog that can only
say there is nowhere to save.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from attachments import services
from attachments.models import Role
from connector import ds_settings
from tests.conftest import Personas
from tests.support.screens import screens


def save_as_offered(personas: Personas, persona: str, attachment) -> bool:
    html = personas.client_for(persona).get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'data-save-as="([a-z]*)"', html)
    assert match, "the editor page says whether to offer Save copy as"
    return match.group(1) == "true"


@pytest.fixture
def onlyoffice(db) -> None:
    ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test")


def test_it_does_not_offer_save_copy_as_to_a_viewer_with_no_space_to_save_in(
    personas: Personas, make_attachment, onlyoffice
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")

    assert not save_as_offered(personas, "viewer", attachment)
    spaces = personas.client_for("viewer").get(reverse("onlyoffice-event-spaces", args=[attachment.pk])).json()
    assert spaces["spaces"] == []


def test_it_offers_save_copy_as_to_a_viewer_who_edits_another_space(
    personas: Personas, make_attachment, onlyoffice
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    other = services.space_create(name="Drafts", created_by=personas.owner)
    services.membership_set(space=other, user=personas.viewer, role=Role.EDITOR)

    assert save_as_offered(personas, "viewer", attachment)


def test_it_offers_save_copy_as_to_editors_and_staff(personas: Personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")

    assert save_as_offered(personas, "editor", attachment)
    assert save_as_offered(personas, "staff", attachment)


def test_it_does_not_offer_save_copy_as_to_a_viewer_when_downloads_are_blocked(
    personas: Personas, make_attachment, onlyoffice
) -> None:
    ds_settings.update(block_download=True)
    attachment = make_attachment(personas.space, "Plan.docx")
    other = services.space_create(name="Drafts", created_by=personas.owner)
    services.membership_set(space=other, user=personas.viewer, role=Role.EDITOR)

    assert not save_as_offered(personas, "viewer", attachment)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("persona", "offered"), [("viewer", False), ("editor", True)])
def test_it_leaves_the_save_as_handler_out_of_a_viewers_editor(
    personas: Personas, make_attachment, browser, live_server, fake_ds, persona: str, offered: bool
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx")

    def check(screen) -> None:
        screen.page.wait_for_selector("iframe#onlyoffice-editor")
        # The config handed to DocsAPI.DocEditor: without the handler the Document Server hides the button.
        events = screen.page.evaluate("Object.keys(window.OnlyofficeEditorPage.config.events)")
        assert ("onRequestSaveAs" in events) is offered
        assert "onAppReady" in events  # the page did start the editor

    screens(
        browser,
        live_server,
        personas.client_for(persona),
        reverse("onlyoffice-editor", args=[attachment.pk]),
        folder="editor-save-copy",
        state=f"editor-{persona}",
        check=check,
    )
