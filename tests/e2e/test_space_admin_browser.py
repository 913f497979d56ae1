"""Space administration in a real browser, in English and German, at laptop and phone width: adding a member from
the suggestions with the keyboard alone (static/js/member-search.js), the settings page, and deleting the space
(refused while a file is being edited, then done once the name is typed).

Screenshots: tests/artifacts/space-admin-<language>-<width>px/. The assertions check state, not wording, so that
they hold in both languages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from attachments.models import Membership, Role, Space
from connector.keys import editor_uid
from connector.models import DocumentKey
from tests.conftest import make_user
from tests.e2e.conftest import LAPTOP, PHONE, Tab, assert_fits, open_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(tab: Tab, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus, as a keyboard user gets there."""
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} not reached with Tab in {limit} presses")


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_it_administers_a_space_with_the_keyboard_and_deletes_it(
    personas, make_attachment, open_browser, make_shots, language: str, viewport: dict[str, int]
) -> None:
    shots = make_shots(f"space-admin-{language}-{viewport['width']}px")
    make_user("frida", first_name="Frida", last_name="Kahlo")
    make_user("fridolin", first_name="Fridolin", last_name="Gone", is_active=False)
    plan = make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)
    user, tab = open_in(open_browser, personas.owner, language, viewport)

    # Members: two letters suggest people; ArrowDown picks one, Enter takes it without submitting the form.
    tab.goto(reverse("space_members", args=[personas.space.pk]))
    field = tab.page.locator("#id_username")
    listbox = tab.page.locator("#member-suggestions")
    tab_to(tab, "#id_username")
    tab.page.keyboard.type("fri")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)  # the deactivated Fridolin is never offered
    expect(field).to_have_attribute("aria-expanded", "true")
    tab.page.keyboard.press("ArrowDown")
    option = listbox.get_by_role("option").first
    expect(option).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(option).to_contain_text("Frida Kahlo")
    assert_fits(tab, language)
    shots(tab.page, "members-suggestions")
    tab.page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("frida")
    assert not Membership.objects.filter(user__username="frida").exists()
    tab.page.locator("#id_role").select_option(Role.EDITOR.value)
    tab_to(tab, "form.panel button[type=submit]", limit=3)
    tab.page.keyboard.press("Enter")
    expect(tab.page.locator("tr[data-user-id] .muted", has_text="frida")).to_be_visible()
    assert Membership.objects.get(space=personas.space, user__username="frida").role == Role.EDITOR
    shots(tab.page, "members-added")

    # Settings: reached from the space page; a new name shows on the space page.
    tab.goto(reverse("space_detail", args=[personas.space.pk]))
    tab.page.locator(f'a[href="{reverse("space_settings", args=[personas.space.pk])}"]').click()
    expect(tab.page.locator("#id_name")).to_have_value("Engineering")
    assert_fits(tab, language)
    shots(tab.page, "settings")
    tab.page.locator("#id_name").fill("Platform")
    # The settings form is the one with the name field (the page also has sections of other apps, a watermark say).
    tab.page.locator("form.form", has=tab.page.locator("#id_name")).locator("button[type=submit]").click()
    expect(tab.page.locator("h1")).to_contain_text("Platform")
    assert Space.objects.get(pk=personas.space.pk).name == "Platform"

    # Delete: refused while Plan.docx is being edited (test data: the session's live key lists an editor).
    key = DocumentKey.objects.create(attachment=plan, key="live", base_version=1, editors=[editor_uid(personas.editor)])
    tab.goto(reverse("space_delete", args=[personas.space.pk]))
    warning = tab.page.locator("[data-being-edited]")
    expect(warning).to_contain_text("Plan.docx")
    expect(warning).to_contain_text("Eddie Editor")
    expect(tab.page.locator("button.btn-danger[type=submit]")).to_be_disabled()
    expect(tab.page.locator('[data-fact="files"]')).to_contain_text("1")
    assert_fits(tab, language)
    shots(tab.page, "delete-while-edited")

    # The session ends; typing the name and confirming deletes the space.
    DocumentKey.objects.filter(pk=key.pk).update(editors=[])
    tab.goto(reverse("space_delete", args=[personas.space.pk]))
    expect(tab.page.locator("[data-being-edited]")).to_have_count(0)
    tab.page.locator("#id_confirm").fill("Platform")
    assert_fits(tab, language)
    shots(tab.page, "delete-confirm")
    tab.page.locator("button.btn-danger[type=submit]").click()
    tab.page.wait_for_url(tab.base_url + reverse("home"))
    expect(tab.page.locator(".flash-success")).to_contain_text("Platform")
    assert not Space.objects.filter(pk=personas.space.pk).exists()
    shots(tab.page, "deleted")
    assert user.problems == [] and tab.csp_violations() == []
