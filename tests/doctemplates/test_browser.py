"""“New document” with templates in Chromium, 1280 and 390 px wide, English and German (tests/artifacts/); and a new
document made from a template, opened in the (fake) Document Server's editor."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw

from attachments.models import Attachment
from connector import ds_settings
from doctemplates.models import DocumentTemplate
from doctemplates.services import builtin_templates_install, template_create
from tests.conftest import Personas
from tests.doctemplates.conftest import builtin_bytes
from tests.support.screens import screens


def thumbnail_png() -> bytes:
    """A page-like picture: white with a few grey lines and a blue title bar."""
    image = Image.new("RGB", (96, 72), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 6, 88, 14), fill="#2456c7")
    for top in range(22, 66, 8):
        draw.line((8, top, 80, top), fill="#b0b7c3", width=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def team_weekly(personas: Personas) -> DocumentTemplate:
    """A template of the space with a picture of its own."""
    return template_create(
        name="Team weekly",
        filename="weekly.docx",
        chunks=[builtin_bytes("meeting-notes-en")],
        space=personas.space,
        created_by=personas.owner,
        thumbnail_name="weekly.png",
        thumbnail_chunks=[thumbnail_png()],
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_new_document_shows_the_templates_in_every_screen(personas: Personas, browser, live_server) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret="a-secret-long-enough-for-hs256-0123456789")
    builtin_templates_install()
    team_weekly(personas)

    def check(screen) -> None:
        page = screen.page
        assert screen.status == 200
        choices = page.locator("[data-template-choices] label")
        assert choices.count() == 9
        # The reader's language first: the German templates lead for a German reader.
        leading = [choices.nth(index).inner_text() for index in range(4)]
        expected = "Brief" if screen.language == "de" else "Letter"
        assert any(expected in label for label in leading), leading
        # Every template has a picture: the shipped ones theirs, and "Team weekly" the one it was given.
        assert page.locator("img.template-thumb").count() == 9
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.template-thumb')].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= screen.width
        choices.first.click()
        assert choices.first.locator("input").is_checked()

    shots = screens(
        browser,
        live_server,
        personas.client_for("editor"),
        reverse("onlyoffice-new", args=[personas.space.pk]),
        folder="doctemplates-new-document",
        state="with-templates",
        check=check,
    )
    assert len(shots) == 4


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_new_document_from_a_template_opens_the_editor_on_a_copy(
    personas: Personas, live_server, fake_ds, browser_page
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    builtin_templates_install()
    browser_page.login(personas.client_for("editor"))
    page = browser_page.page
    assert browser_page.goto(reverse("onlyoffice-new", args=[personas.space.pk])).status == 200

    page.locator("[data-template-choices] label", has_text="Meeting notes").click()
    page.fill("input[name=name]", "Team minutes")
    page.click(".form-actions button[type=submit]")
    page.wait_for_url(re.compile(r"/onlyoffice/editor/\d+/$"))

    attachment = Attachment.objects.get(space=personas.space)
    assert page.url == live_server.url + reverse("onlyoffice-editor", args=[attachment.pk])
    assert attachment.title == "Team minutes.docx"
    with default_storage.open(attachment.versions.get().file.name, "rb") as handle:
        assert handle.read() == builtin_bytes("meeting-notes-en")
    # The editor opened on the copy: the (fake) Document Server was handed it. The frame from its element:
    # page.frame(name=...) may not know a frame that has only just been attached.
    editor = page.wait_for_selector("iframe[name=frameEditor]").content_frame()
    assert editor is not None
    editor.wait_for_function("window.__fakeDsConfig !== null")
    assert editor.evaluate("window.__fakeDsConfig.document.title") == "Team minutes.docx"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_template_picture_gone_from_storage_shows_the_type_icon_not_a_broken_image(
    personas: Personas, live_server, browser_page
) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret="a-secret-long-enough-for-hs256-0123456789")
    template = team_weekly(personas)
    default_storage.delete(template.thumbnail.name)  # named, but gone (files restored from an older backup)
    browser_page.login(personas.client_for("editor"))
    page = browser_page.page

    assert browser_page.goto(reverse("onlyoffice-new", args=[personas.space.pk])).status == 200

    choice = page.locator("[data-template-choices] label", has_text="Team weekly")
    choice.locator("span.template-thumb.template-icon svg.ficon.ft-word use[href='#ft-word']").wait_for(
        state="attached"
    )
    assert choice.locator("img").count() == 0
