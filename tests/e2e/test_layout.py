"""Pages a person can use: at phone width, with the keyboard alone, and with a label on every form control."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from attachments import ooxml
from tests.e2e.conftest import PHONE, Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Elements wider than the viewport, to name the culprit when a page scrolls sideways.
_OVERFLOWING = """(width) => Array.from(document.querySelectorAll("body *"))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width > 0 && (r.right > width + 0.5 || r.left < -0.5))
  .slice(0, 8).map(([el, r]) => el.tagName.toLowerCase() + "." + el.className + " " + Math.round(r.right))"""

# Every visible form control without an accessible name from aria-label, aria-labelledby or <label for>.
_UNLABELLED = """() => Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
  .filter(el => {
    if ((el.getAttribute("aria-label") || "").trim()) return false;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (ids.some(id => (document.getElementById(id)?.textContent || "").trim())) return false;
    return !(el.id && Array.from(document.querySelectorAll("label[for]")).some(
      label => label.htmlFor === el.id && label.textContent.trim()));
  })
  .map(el => el.outerHTML.slice(0, 120))"""


@pytest.fixture
def space_with_files(personas: Any, make_attachment: Any, connected: Any) -> dict[str, Any]:
    """A space with a long-named document, a spreadsheet and an odt, as a team would have."""
    long_title = "Quarterly planning for the infrastructure migration project, final draft.docx"
    files = {
        "docx": make_attachment(personas.space, long_title, ooxml.blank("docx"), user=personas.owner),
        "xlsx": make_attachment(personas.space, "Budget.xlsx", ooxml.blank("xlsx"), user=personas.editor),
        "odt": make_attachment(personas.space, "Minutes.odt", b"PK\x03\x04 odt", user=personas.owner),
    }
    return files


# Elements that stick out of the panel they are in (a control wider than its form).
_OUTSIDE_PANELS = """() => Array.from(document.querySelectorAll(".panel *"))
  .filter(el => {
    const r = el.getBoundingClientRect(), p = el.closest(".panel").getBoundingClientRect();
    return r.width > 1 && (r.right > p.right + 0.5 || r.left < p.left - 0.5);
  })
  .map(el => el.outerHTML.slice(0, 100))"""


def assert_fits_the_phone(tab: Tab) -> None:
    width = PHONE["width"]
    scroll_width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, tab.page.evaluate(_OVERFLOWING, width)
    assert tab.page.evaluate(_OUTSIDE_PANELS) == []


def assert_in_view_horizontally(locator: Any) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_it_fits_home_space_and_attachment_pages_on_a_phone(
    personas, space_with_files, open_browser, make_shots
) -> None:
    shots = make_shots("phone-390px")
    user = open_browser(personas.owner, viewport=PHONE)
    tab = user.tab()

    tab.goto(reverse("home"))
    assert_fits_the_phone(tab)
    assert_in_view_horizontally(tab.page.get_by_role("link", name="New space"))
    shots(tab.page, "home")

    tab.goto(reverse("space_detail", args=[personas.space.pk]))
    assert_fits_the_phone(tab)
    row = tab.page.locator("tr[data-attachment-id]", has_text="Quarterly planning")
    assert_in_view_horizontally(row.get_by_role("link", name=re.compile("^Edit in ONLYOFFICE")))
    assert_in_view_horizontally(tab.page.get_by_text("Choose files"))
    shots(tab.page, "space")
    row.locator("summary").click()
    assert_in_view_horizontally(row.get_by_role("link", name="Rename"))
    assert_fits_the_phone(tab)
    shots(tab.page, "space-row-menu")

    tab.goto(reverse("attachment_detail", args=[space_with_files["docx"].pk]))
    assert_fits_the_phone(tab)
    assert_in_view_horizontally(tab.page.get_by_role("link", name=re.compile("^Edit in ONLYOFFICE")))
    assert_in_view_horizontally(tab.page.get_by_role("link", name="Download", exact=True))
    shots(tab.page, "attachment")


def test_it_fits_the_attachment_page_at_laptop_width(personas, space_with_files, open_browser, make_shots) -> None:
    shots = make_shots("laptop")
    user = open_browser(personas.owner)
    tab = user.tab()
    for name, path in [
        ("home", reverse("home")),
        ("space", reverse("space_detail", args=[personas.space.pk])),
        ("attachment", reverse("attachment_detail", args=[space_with_files["docx"].pk])),
    ]:
        tab.goto(path)
        width = tab.page.viewport_size["width"]
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
        header = tab.page.locator(".topbar-inner").bounding_box()
        # The content lines up with the header: nothing sticks out to the right of the page's column.
        right = tab.page.evaluate(
            "() => Math.max(...Array.from(document.querySelectorAll('main *'), e => e.getBoundingClientRect().right))"
        )
        assert right <= header["x"] + header["width"] + 0.5, (name, right, header)
        assert tab.page.evaluate(_OUTSIDE_PANELS) == [], name
        shots(tab.page, name)


def focus_by_tab(tab: Tab, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (a keyboard user's path to it)."""
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    focused = tab.page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"{selector} not reached with Tab in {limit} presses; focus is on {focused}")


def test_it_reaches_and_opens_the_row_actions_with_the_keyboard(
    personas, space_with_files, open_browser, make_shots
) -> None:
    shots = make_shots("keyboard")
    user = open_browser(personas.owner)
    tab = user.tab()
    tab.goto(reverse("space_detail", args=[personas.space.pk]))
    row = f'tr[data-attachment-id="{space_with_files["xlsx"].pk}"]'

    focus_by_tab(tab, f"{row} a.btn-primary")
    assert tab.page.evaluate("document.activeElement.textContent").strip().startswith("Edit in ONLYOFFICE")
    focus_by_tab(tab, f"{row} summary", limit=3)
    shots(tab.page, "more-actions-focused")
    menu = tab.page.locator(f"{row} details.menu")
    tab.page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    # The menu opens on its first entry (the arrows move through it: tests/test_browser_attachment_pages.py).
    assert tab.page.evaluate("(s) => document.activeElement.matches(s)", f"{row} .menu-panel a")
    shots(tab.page, "menu-open-with-enter")
    tab.page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    assert tab.page.evaluate("(s) => document.activeElement.matches(s)", f"{row} summary")
    tab.page.keyboard.press("Space")
    expect(menu).to_have_attribute("open", "")
    shots(tab.page, "menu-open-with-space")

    # Enter on a focused menu entry follows it, as a click would.
    for _ in range(6):
        if tab.page.evaluate("(s) => document.activeElement.matches(s)", f"{row} .menu-panel a[href$='/rename/']"):
            break
        tab.page.keyboard.press("ArrowDown")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile(r"/rename/$"))
    expect(tab.page.get_by_role("heading", name=re.compile("Rename"))).to_be_visible()


def test_it_labels_every_form_control(personas, space_with_files, open_browser, make_shots) -> None:
    shots = make_shots("labels")
    docx, odt = space_with_files["docx"], space_with_files["odt"]
    pages = {
        "staff": [reverse("home"), reverse("space_create"), reverse("onlyoffice-settings")],
        "owner": [
            reverse("space_detail", args=[personas.space.pk]),
            reverse("space_members", args=[personas.space.pk]),
            reverse("attachment_detail", args=[docx.pk]),
            reverse("attachment_rename", args=[docx.pk]),
            reverse("attachment_delete", args=[docx.pk]),
            reverse("onlyoffice-convert", args=[odt.pk]),
            reverse("onlyoffice-new", args=[personas.space.pk]),
        ],
    }
    unlabelled: dict[str, list[str]] = {}
    login = open_browser().tab()
    login.goto(reverse("login"))
    unlabelled["login"] = login.page.evaluate(_UNLABELLED)
    for persona, paths in pages.items():
        tab = open_browser(getattr(personas, persona)).tab()
        for path in paths:
            tab.goto(path)
            unlabelled[path] = tab.page.evaluate(_UNLABELLED)
    shots(tab.page, "new-document")
    assert {path: found for path, found in unlabelled.items() if found} == {}


def test_it_shows_an_error_page_with_a_way_back(personas, open_browser, make_shots) -> None:
    shots = make_shots("error-page")
    for viewport, name in [(None, "laptop"), (PHONE, "phone")]:
        user = open_browser(personas.outsider, **({"viewport": viewport} if viewport else {}))
        tab = user.tab()
        response = tab.page.goto(tab.base_url + reverse("space_detail", args=[personas.space.pk]))
        assert response.status == 404
        expect(tab.page.get_by_role("heading", name="Page not found")).to_be_visible()
        tab.page.get_by_role("link", name="Go to my spaces").click()
        tab.page.wait_for_url(tab.base_url + reverse("home"))
        tab.page.go_back()
        shots(tab.page, f"404-{name}")
        if viewport:
            assert_fits_the_phone(tab)
