"""Share links managed in Chromium, at 1280 and 390 px: an editor makes a link on the file page and copies it in one
click (read back from the clipboard), the reload no longer shows it; an admin revokes it from the space's list.
Screenshots: tests/artifacts/share-links-manage/."""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sharing import services
from sharing.models import ShareLink
from tests.support.browser import CSP_WATCH, TIMEOUT_MS
from tests.support.screens import ARTIFACTS, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "share-links-manage"


@pytest.fixture(scope="module", autouse=True)
def _empty_folder() -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)


class Person:
    """One person's browser at one width, signed in with a test client's session, with what its pages logged."""

    def __init__(self, browser: Any, base_url: str, user: Any, width: int) -> None:
        self.width = width
        self.base_url = base_url
        self.context = browser.new_context(viewport=VIEWPORTS[width])
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(CSP_WATCH)
        # The page copies with navigator.clipboard; reading it back is the test's own, granted, permission.
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        self.page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, path

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(FOLDER / f"{step}-{self.width}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.page.evaluate("document.documentElement.scrollWidth") <= self.width
        assert self.page.evaluate("window.__cspViolations") == []
        assert self.problems == []


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_an_editor_makes_and_copies_a_link_and_an_admin_revokes_it(
    personas, make_attachment, browser, live_server, width: int
) -> None:
    plan = make_attachment(personas.space, "Quarterly plan for the board, second draft.docx", user=personas.owner)
    # An older link of the owner's, expired, shows how a stopped link reads.
    old, _secret = services.link_create(
        attachment=plan,
        access="view",
        expires_at=timezone.now() + timedelta(minutes=1),
        password="",
        created_by=personas.owner,
    )
    ShareLink.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    editor = Person(browser, live_server.url, personas.editor, width)
    page = editor.page

    editor.goto(reverse("attachment_detail", args=[plan.pk]))
    section = page.locator("[data-share-links]")
    expect(section).to_be_visible()
    editor.shot("01-file-page")
    section.get_by_label("Access").select_option("comment")
    section.get_by_label("Works until").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    section.get_by_label("Password").fill("open sesame")
    section.get_by_role("button", name="Create link").click()

    new = page.locator("[data-share-new]")
    expect(new).to_be_visible()
    copy = new.locator("button[data-copy]")
    expect(copy).to_be_visible()  # shown by static/js/app.js
    expect(copy).to_have_text("Copy")
    address = copy.get_attribute("data-copy")
    assert address is not None and address.startswith(f"{live_server.url}/s/")
    assert new.locator("input[data-copy-source]").input_value() == address
    assert "/s/" not in page.url  # the secret never travels in the page's own address
    link = ShareLink.objects.get(created_by=personas.editor)
    assert link.secret_hash == services.digest(address.rstrip("/").rsplit("/", 1)[1])
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == address
    expect(page.locator(f'tr[data-share-link="{link.pk}"] [data-share-state="works"]')).to_be_visible()
    expect(page.locator(f'tr[data-share-link="{old.pk}"] [data-share-state="expired"]')).to_be_visible()
    editor.assert_clean()
    editor.shot("02-link-created-and-copied")

    page.reload()
    expect(page.locator(f'tr[data-share-link="{link.pk}"]')).to_be_visible()
    expect(page.locator("[data-share-new]")).to_have_count(0)
    assert address not in page.content()
    editor.assert_clean()
    editor.shot("03-reloaded")

    admin = Person(browser, live_server.url, personas.owner, width)
    admin.goto(reverse("space_detail", args=[personas.space.pk]))
    admin.page.locator(f".toolbar a[href='{reverse('space-share-links', args=[personas.space.pk])}']").click()
    rows = admin.page.locator("tr[data-share-link]")
    expect(rows).to_have_count(1)  # the expired one is no live link
    admin.assert_clean()
    admin.shot("04-space-links")
    rows.first.get_by_role("button", name="Revoke").click()
    expect(admin.page.locator(".flash-success")).to_be_visible()
    expect(admin.page.locator("tr[data-share-link]")).to_have_count(0)
    link.refresh_from_db()
    assert link.revoked_at is not None
    admin.assert_clean()
    admin.shot("05-revoked")
    editor.context.close()
    admin.context.close()
