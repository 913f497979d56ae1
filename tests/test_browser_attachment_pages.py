"""The attachment pages in a real browser, at laptop (1280 px) and phone (390 px) width, in English and German: the
version table keeps every column readable, comments show on a phone, every menu opens inside the screen with its
destructive entries last, and menus work from the keyboard as menu buttons do.

Screenshots of each state: tests/artifacts/attachment-pages/ (for people; the assertions check geometry and text).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from attachments import ooxml, services
from attachments.models import Attachment
from connector import ds_settings
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "attachment-pages"
HEIGHT = {1280: 800, 390: 844}
CASES = [
    pytest.param(width, language, id=f"{language}-{width}px") for language in ("en", "de") for width in (1280, 390)
]

# Comments as people write them: a sentence that fits two lines of a readable column, and a longer one.
SHORT_COMMENT = "Zahlen für das dritte Quartal ergänzt"
LONG_COMMENT = "Überarbeitete Fassung nach der Besprechung mit dem Vertrieb, Abschnitt drei ergänzt"

# The text lines an element's contents take (distinct tops of its line boxes).
LINES = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}"""

# The element that has the focus, described for an assertion message.
FOCUSED = "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : ''"


def open_page(browser_page: Any, personas: Personas, *, width: int, language: str, persona: str = "owner") -> Any:
    browser_page.login(personas.client_for(persona))
    browser_page.page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": browser_page.base_url}]
    )
    browser_page.page.set_viewport_size({"width": width, "height": HEIGHT[width]})
    return browser_page.page


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def assert_inside_the_viewport(page: Any, locator: Any) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)


@pytest.fixture
def file_with_history(personas: Personas, make_attachment: Any) -> Attachment:
    """A report with four versions: two with comments, one without, the current one with a long comment."""
    attachment = make_attachment(personas.space, "Quartalsbericht.docx", ooxml.blank("docx"), user=personas.owner)
    for comment in (SHORT_COMMENT, "", LONG_COMMENT):
        services.version_upload(
            attachment=attachment,
            uploaded_name=attachment.title,
            chunks=[ooxml.blank("docx") + comment.encode()],
            created_by=personas.editor,
            comment=comment,
            max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
        )
    return attachment


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_keeps_every_column_of_the_version_table_readable(
    personas: Personas, file_with_history: Attachment, browser_page: Any, width: int, language: str
) -> None:
    page = open_page(browser_page, personas, width=width, language=language)
    browser_page.goto(reverse("attachment_detail", args=[file_with_history.pk]))
    table = page.locator("table.versions")
    short = table.locator("tr[data-version='2'] td.col-comment")
    long = table.locator("tr[data-version='4'] td.col-comment")
    shot(page, f"versions-{language}-{width}px")

    # Comments show at every width, as sentences: a short one in at most two lines, a long one in a few.
    expect(short).to_have_text(SHORT_COMMENT)
    expect(long).to_have_text(LONG_COMMENT)
    assert short.evaluate(LINES) <= 2, short.bounding_box()
    assert long.evaluate(LINES) <= 4, long.bounding_box()
    assert short.bounding_box()["width"] >= 180
    # Who and when stay on their lines; nothing is cut off or needs scrolling sideways.
    for created in table.locator("td.col-created time").all():
        assert created.evaluate(LINES) == 1
    wrapper = page.locator(".table-scroll")
    assert wrapper.evaluate("(el) => el.scrollWidth <= el.clientWidth"), wrapper.evaluate("(el) => el.scrollWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width > 640:
        # Each column's heading on one line: no column is squeezed below its own name.
        for heading in table.locator("thead th:not(.col-actions)").all():
            if heading.is_visible():
                assert heading.evaluate(LINES) <= 1, heading.text_content()
    else:
        # On a phone each version is a block: its comment under who and when, across the block's width.
        row = table.locator("tr[data-version='4']").bounding_box()
        assert long.bounding_box()["width"] >= row["width"] - 20


@pytest.fixture
def space_with_files(personas: Personas, make_attachment: Any) -> dict[str, Attachment]:
    """Files whose rows carry different buttons, so that the "More actions" button sits at different places."""
    # The editor's buttons need ONLYOFFICE set up; the list page itself never calls the Document Server.
    ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://127.0.0.1:9", jwt_secret="s" * 40)
    return {
        "docx": make_attachment(
            personas.space,
            "Quarterly planning for the infrastructure migration project, final draft.docx",
            ooxml.blank("docx"),
            user=personas.owner,
        ),
        "xlsx": make_attachment(personas.space, "Budget.xlsx", ooxml.blank("xlsx"), user=personas.editor),
        "txt": make_attachment(personas.space, "notes.txt", b"notes", user=personas.owner),
        "zip": make_attachment(personas.space, "photos.zip", b"PK\x05\x06" + bytes(18), user=personas.owner),
    }


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_opens_every_row_menu_inside_the_screen_with_destructive_entries_last(
    personas: Personas, space_with_files: dict[str, Attachment], browser_page: Any, width: int, language: str
) -> None:
    page = open_page(browser_page, personas, width=width, language=language)
    browser_page.goto(reverse("space_detail", args=[personas.space.pk]))
    rows = page.locator("tr[data-attachment-id]")
    assert rows.count() == len(space_with_files)
    for index in range(rows.count()):
        row = rows.nth(index)
        row.locator("summary").click()
        panel = row.locator(".menu-panel")
        assert_inside_the_viewport(page, panel)
        # The destructive entry comes last, after a separator.
        entries = panel.locator(".menu-item")
        expect(entries.last).to_have_class(re.compile(r"\bdanger\b"))
        assert panel.evaluate("(el) => el.lastElementChild.previousElementSibling.tagName") == "HR"
        expect(panel.locator("hr.menu-separator")).to_be_visible()
        if index in (0, rows.count() - 1):
            shot(page, f"row-menu-{index + 1}-{language}-{width}px", full_page=False)
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()

    # The account menu too, whose button sits at the right edge.
    page.locator("details.user-menu > summary").click()
    assert_inside_the_viewport(page, page.locator("details.user-menu .menu-panel"))
    shot(page, f"account-menu-{language}-{width}px", full_page=False)


def _focused_text(page: Any) -> str:
    return page.evaluate("() => document.activeElement.textContent.trim()")


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_works_every_menu_with_the_keyboard(
    personas: Personas, space_with_files: dict[str, Attachment], browser_page: Any, width: int, language: str
) -> None:
    page = open_page(browser_page, personas, width=width, language=language)
    browser_page.goto(reverse("space_detail", args=[personas.space.pk]))
    row = page.locator(f"tr[data-attachment-id='{space_with_files['xlsx'].pk}']")
    menu, button = row.locator("details.menu"), row.locator("details.menu > summary")
    entries = row.locator(".menu-panel .menu-item")
    first, last = entries.first.text_content().strip(), entries.last.text_content().strip()
    button.focus()

    # ArrowDown opens the menu on its first entry; the arrows move, round at either end; Home and End jump.
    page.keyboard.press("ArrowDown")
    expect(menu).to_have_attribute("open", "")
    expect(entries.first).to_be_focused()
    assert_inside_the_viewport(page, row.locator(".menu-panel"))
    shot(page, f"keyboard-row-menu-{language}-{width}px", full_page=False)
    page.keyboard.press("ArrowDown")
    expect(entries.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(entries.first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(entries.last).to_be_focused()
    assert _focused_text(page) == last
    page.keyboard.press("Home")
    expect(entries.first).to_be_focused()
    page.keyboard.press("End")
    expect(entries.last).to_be_focused()

    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(button).to_be_focused()

    # Enter and Space open it on the first entry too.
    for key in ("Enter", "Space"):
        page.keyboard.press(key)
        expect(menu).to_have_attribute("open", "")
        expect(entries.first).to_be_focused()
        assert _focused_text(page) == first
        page.keyboard.press("Escape")
        expect(button).to_be_focused()

    # Tab leaves the menu: it closes, and the focus moves on past its button, to the next row's file.
    page.keyboard.press("ArrowDown")
    expect(entries.first).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu).not_to_have_attribute("open", "")
    next_row = row.locator("xpath=following-sibling::tr[1]")
    expect(next_row.locator("a.file-title")).to_be_focused()

    # The account menu works the same way.
    account, account_button = page.locator("details.user-menu"), page.locator("details.user-menu > summary")
    account_entries = account.locator(".menu-item")
    account_button.focus()
    page.keyboard.press("ArrowDown")
    expect(account).to_have_attribute("open", "")
    expect(account_entries.first).to_be_focused()
    assert account_entries.first.get_attribute("href") == reverse("home")
    page.keyboard.press("End")
    expect(account_entries.last).to_be_focused()
    shot(page, f"keyboard-account-menu-{language}-{width}px", full_page=False)
    page.keyboard.press("Escape")
    expect(account).not_to_have_attribute("open", "")
    expect(account_button).to_be_focused()


def chromium_control(page: Any, selector: str) -> tuple[str, str, bool]:
    """How Chromium itself exposes an element to assistive technology: role, accessible name, expanded."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    found = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]
    expanded = {item["name"]: item["value"].get("value") for item in found.get("properties", [])}.get("expanded")
    return found["role"]["value"], found["name"]["value"], bool(expanded)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_names_the_account_button_after_the_user(
    personas: Personas, browser_page: Any, width: int, language: str
) -> None:
    page = open_page(browser_page, personas, width=width, language=language, persona="staff")
    browser_page.goto(reverse("home"))
    # The button is a <summary>: Chromium exposes it as a button that expands (a "disclosure triangle"), and
    # Playwright's get_by_role gives a summary no role at all, so the name is read from Chromium's own tree.
    # On a phone the button shows only an icon: its name still says whose account it is.
    button = page.locator("details.user-menu > summary")
    role, name, expanded = chromium_control(page, "details.user-menu > summary")
    assert (role, expanded) == ("DisclosureTriangle", False)
    assert name.startswith("Stella Staff, ") and name != "Stella Staff, "
    if language == "en":
        assert name == "Stella Staff, account menu"
        expect(button).to_have_accessible_name("Stella Staff, account menu")
    button.click()
    assert chromium_control(page, "details.user-menu > summary")[2] is True
    # Administration and the ONLYOFFICE settings, one under the other in the menu, have icons of their own.
    administration = page.get_by_role("link", name=re.compile("^(Administration|Verwaltung)$"))
    onlyoffice = page.get_by_role("link", name=re.compile("^ONLYOFFICE"))
    expect(administration).to_be_visible()
    expect(onlyoffice).to_be_visible()
    icons = [link.locator("use").get_attribute("href") for link in (administration, onlyoffice)]
    assert icons[0] != icons[1], icons
    shot(page, f"account-menu-staff-{language}-{width}px", full_page=False)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_it_writes_the_size_of_a_file_being_uploaded_as_the_list_writes_it(
    personas: Personas, browser_page: Any, width: int, language: str
) -> None:
    page = open_page(browser_page, personas, width=width, language=language, persona="editor")
    browser_page.goto(reverse("space_detail", args=[personas.space.pk]))
    page.locator("#upload-file").set_input_files(
        {"name": "Zahlen.csv", "mimeType": "text/csv", "buffer": b"1;2\n" * 384}  # 1536 bytes
    )
    written = {"en": "1.5 KiB", "de": "1,5 KiB"}[language]
    expect(page.locator(".upload-item .upload-size")).to_have_text(written)
    # Once stored, the list shows the file with the size the server writes: the same text.
    row = page.locator("tr[data-attachment-id]", has_text="Zahlen.csv")
    expect(row.locator("td.col-size")).to_have_text(written)
    expect(row.locator(".mobile-meta")).to_contain_text(f"{written} · v1 · ")
    shot(page, f"upload-size-{language}-{width}px")
