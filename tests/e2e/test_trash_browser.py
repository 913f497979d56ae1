"""The trash in a real browser, in English and German, at laptop and phone width: a file moved to the trash from its
page, the space's trash with who deleted what and when it goes for good, Restore, and Delete for good.

Screenshots: tests/artifacts/trash-<language>-<width>px/. The assertions check state, not wording, so that they hold
in both languages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from attachments import trash
from attachments.models import Attachment
from tests.e2e.conftest import LAPTOP, PHONE, assert_fits, open_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_it_moves_a_file_to_the_trash_restores_one_and_deletes_one_for_good(
    personas, make_attachment, open_browser, make_shots, language: str, viewport: dict[str, int]
) -> None:
    shots = make_shots(f"trash-{language}-{viewport['width']}px")
    budget = make_attachment(personas.space, "Budget 2027, second draft for the board.xlsx", user=personas.owner)
    plan = make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)
    notes = make_attachment(personas.space, "Old notes.txt", b"notes", user=personas.owner)
    trash.attachment_trash(attachment=plan, deleted_by=personas.editor)
    trash.attachment_trash(attachment=notes, deleted_by=personas.owner)
    _user, tab = open_in(open_browser, personas.owner, language, viewport)

    # From the file's page: "Move to trash…", then the confirmation.
    tab.goto(reverse("attachment_detail", args=[budget.pk]))
    tab.page.locator(f".danger-zone a[href='{reverse('attachment_delete', args=[budget.pk])}']").click()
    tab.page.wait_for_url(f"**{reverse('attachment_delete', args=[budget.pk])}")
    assert_fits(tab, language)
    shots(tab.page, "move-to-trash-confirm")
    tab.page.locator("form.danger-zone button[type=submit]").click()
    tab.page.wait_for_url(f"**{reverse('space_detail', args=[personas.space.pk])}")
    expect(tab.page.locator(f"tr[data-attachment-id='{budget.pk}']")).to_have_count(0)

    # The space page links its trash: three files, each with who deleted it and when it goes for good.
    trash_url = reverse("space_trash", args=[personas.space.pk])
    tab.page.locator(f".toolbar a[href='{trash_url}']").click()
    tab.page.wait_for_url(f"**{trash_url}")
    rows = tab.page.locator("tr[data-trashed-id]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-trashed-id", str(budget.pk))  # most recently deleted first
    expect(tab.page.locator(f"tr[data-trashed-id='{plan.pk}']")).to_contain_text("Eddie Editor")
    assert_fits(tab, language)
    shots(tab.page, "trash")

    # Restore: the file is back in the space.
    tab.page.locator(f"tr[data-trashed-id='{plan.pk}'] form[action$='/restore/'] button").click()
    expect(tab.page.locator(f"tr[data-trashed-id='{plan.pk}']")).to_have_count(0)
    expect(tab.page.locator(".flash-success")).to_be_visible()
    assert Attachment.objects.get(pk=plan.pk).deleted_at is None
    assert_fits(tab, language)
    shots(tab.page, "restored")

    # Delete for good, after a confirmation.
    tab.page.locator(f"tr[data-trashed-id='{notes.pk}'] a[href$='/purge/']").click()
    tab.page.wait_for_url("**/purge/")
    assert_fits(tab, language)
    shots(tab.page, "purge-confirm")
    tab.page.locator("form.danger-zone button[type=submit]").click()
    tab.page.wait_for_url(f"**{trash_url}")
    expect(tab.page.locator("tr[data-trashed-id]")).to_have_count(1)
    assert not Attachment.objects.filter(pk=notes.pk).exists()
    assert_fits(tab, language)
    shots(tab.page, "trash-after-purge")
    assert tab.problems == []
    assert tab.csp_violations() == []


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_it_shows_an_editor_only_the_files_they_deleted(
    personas, make_attachment, open_browser, make_shots, language: str, viewport: dict[str, int]
) -> None:
    shots = make_shots(f"trash-editor-{language}-{viewport['width']}px")
    mine = make_attachment(personas.space, "Mine.docx", user=personas.editor)
    theirs = make_attachment(personas.space, "Theirs.docx", user=personas.owner)
    trash.attachment_trash(attachment=mine, deleted_by=personas.editor)
    trash.attachment_trash(attachment=theirs, deleted_by=personas.owner)
    _user, tab = open_in(open_browser, personas.editor, language, viewport)

    tab.goto(reverse("space_trash", args=[personas.space.pk]))

    expect(tab.page.locator("tr[data-trashed-id]")).to_have_count(1)
    expect(tab.page.locator(f"tr[data-trashed-id='{mine.pk}'] form[action$='/restore/'] button")).to_be_visible()
    expect(tab.page.locator("a[href$='/purge/']")).to_have_count(0)
    assert_fits(tab, language)
    shots(tab.page, "trash")
