"""The live list: GET /spaces/<id>/rows/ and static/js/live.js on the space and attachment pages.

Presence comes from real status 1/4/2 callbacks: the fake Document Server opens editors against the live server.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection, reset_queries
from django.urls import reverse

from attachments import services
from attachments.models import Role, VersionSource
from connector.models import DocumentKey, SaveRequest
from tests.conftest import make_user
from tests.support.browser import TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)


def editor_config(client, attachment) -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def rows_url(space_id: int, ids: str) -> str:
    return reverse("space_rows", args=[space_id]) + "?ids=" + ids


def rows(client, space_id: int, ids: str) -> dict[int, dict]:
    response = client.get(rows_url(space_id, ids))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return {row["id"]: row for row in response.json()["rows"]}


def test_it_gives_a_viewer_the_state_of_each_row(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    row = rows(personas.client_for("viewer"), personas.space.id, str(attachment.pk))[attachment.pk]
    assert row["current_version"] == 1
    assert row["size_display"] == "14 B"
    assert row["updated_by"] == "Olivia Owner"
    assert row["updated_display"]
    assert row["statuses_html"].strip() == ""


def test_it_hides_the_space_from_an_outsider(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    response = personas.client_for("outsider").get(rows_url(personas.space.id, str(attachment.pk)))
    assert response.status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login_page(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup
    response = personas.client_for("anonymous").get(rows_url(personas.space.id, str(attachment.pk)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_ignores_ids_outside_the_space(editing_setup, make_attachment) -> None:
    personas, attachment, _fake_ds = editing_setup
    elsewhere = services.space_create(name="Elsewhere", created_by=personas.owner)
    foreign = make_attachment(elsewhere, "Secret.docx")
    found = rows(personas.client_for("owner"), personas.space.id, f"{attachment.pk},{foreign.pk},999999")
    assert list(found) == [attachment.pk]


@pytest.mark.parametrize("ids", ["", "abc", "1,x", "1;2", "-1", "1.5", "٣", ",".join(str(n) for n in range(1, 102))])
def test_it_refuses_bad_ids_with_a_json_error(editing_setup, ids: str) -> None:
    personas, _attachment, _fake_ds = editing_setup
    response = personas.client_for("viewer").get(rows_url(personas.space.id, ids))
    assert response.status_code == 400
    assert response.json()["error"]


def test_it_names_who_is_editing_and_forgets_them_once_they_leave(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    owner_cfg = editor_config(personas.client_for("owner"), attachment)
    session = fake_ds.open(owner_cfg)  # status 1: Olivia joins
    fake_ds.open(editor_config(personas.client_for("editor"), attachment))  # status 1: Eddie joins
    viewer = personas.client_for("viewer")

    html = rows(viewer, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]
    assert "Being edited by Olivia Owner, Eddie Editor" in html
    page = viewer.get(reverse("space_detail", args=[personas.space.id])).content.decode()
    assert "Being edited by Olivia Owner, Eddie Editor" in page

    session.close(owner_cfg["editorConfig"]["user"]["id"])  # status 1 with Eddie only
    html = rows(viewer, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]
    assert "Being edited by Eddie Editor" in html
    assert "Olivia" not in html

    eddie = next(uid for uid in session.editors)
    record = session.close(eddie)  # no changes: status 4
    assert record.response_json == {"error": 0}
    assert "Being edited" not in rows(viewer, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]


def test_it_names_three_editors_then_counts_the_others(editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    for number in range(5):
        user = make_user(f"user{number}", first_name=f"Person{number}")
        services.membership_set(space=personas.space, user=user, role=Role.EDITOR)
        client = personas.client_for("anonymous")
        client.force_login(user)
        fake_ds.open(editor_config(client, attachment))
    html = rows(personas.client_for("viewer"), personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]
    assert "Being edited by Person0, Person1, Person2 and 2 others" in html


def test_it_shows_saving_while_a_save_request_is_pending(editing_setup) -> None:
    personas, attachment, _fake_ds = editing_setup

    editor_config(personas.client_for("editor"), attachment)  # issues the live key
    key = DocumentKey.objects.get(attachment=attachment, retired_at__isnull=True)
    # Test data: a save the worker has not claimed yet (the state a busy or stopped worker leaves).
    save = SaveRequest.objects.create(attachment=attachment, document_key=key, callback_status=2, dedupe_key="t1")
    viewer = personas.client_for("viewer")
    assert "Saving…" in rows(viewer, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]
    SaveRequest.objects.filter(pk=save.pk).update(state=SaveRequest.State.SAVED)
    assert "Saving…" not in rows(viewer, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]


def test_it_answers_with_a_constant_number_of_queries(
    editing_setup, make_attachment, django_assert_max_num_queries
) -> None:
    personas, attachment, fake_ds = editing_setup
    client = personas.client_for("viewer")
    fake_ds.open(editor_config(personas.client_for("editor"), attachment))
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # Counted at the cursor: the request resets connection.queries, which CaptureQueriesContext slices.
    with connection.execute_wrapper(count):
        assert "Being edited by" in rows(client, personas.space.id, str(attachment.pk))[attachment.pk]["statuses_html"]
    ids = [attachment.pk]
    for number in range(29):
        other = make_attachment(personas.space, f"other-{number}.docx")
        persona = "editor" if number % 2 else "owner"
        fake_ds.open(editor_config(personas.client_for(persona), other))
        ids.append(other.pk)

    # The request empties connection.queries when it starts: begin from an empty log so none are missed.
    reset_queries()
    with django_assert_max_num_queries(len(executed)):
        found = rows(client, personas.space.id, ",".join(map(str, ids)))
    assert len(found) == 30
    assert all("Being edited by" in row["statuses_html"] for row in found.values())


@pytest.mark.browser
def test_it_updates_a_row_without_a_reload_when_an_edit_is_saved(editing_setup, browser_page) -> None:
    personas, attachment, fake_ds = editing_setup
    browser_page.login(personas.client_for("viewer"))
    browser_page.goto(reverse("space_detail", args=[personas.space.id]))
    page = browser_page.page
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    row = f'tr[data-attachment-id="{attachment.pk}"]'
    assert page.locator(f"{row} .col-version").text_content().strip() == "v1"

    cfg = editor_config(personas.client_for("editor"), attachment)
    session = fake_ds.open(cfg)
    page.wait_for_function(
        "(row) => document.querySelector(row + ' [data-row-statuses]').textContent.includes('Being edited by Eddie')",
        arg=row,
        timeout=TIMEOUT_MS,
    )
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, b"edited bytes, somewhat longer")
    assert session.close(uid).response_json == {"error": 0}  # status 2; the save runs inline
    page.wait_for_function(
        "(row) => document.querySelector(row + ' .col-version').textContent.trim() === 'v2'",
        arg=row,
        timeout=TIMEOUT_MS,
    )
    assert "Being edited" not in page.locator(f"{row} [data-row-statuses]").text_content()
    assert page.locator(f"{row} .col-modified .who").text_content() == "Eddie Editor"
    assert page.evaluate("window.__sameDocument") is True


@pytest.mark.browser
def test_it_offers_a_reload_on_the_attachment_page_when_a_new_version_arrives(editing_setup, browser_page) -> None:
    personas, attachment, _fake_ds = editing_setup
    browser_page.login(personas.client_for("viewer"))
    browser_page.goto(reverse("attachment_detail", args=[attachment.pk]))
    page = browser_page.page
    assert page.locator("[data-live-notice]").count() == 0

    services.version_create(
        attachment=attachment, chunks=[b"uploaded elsewhere"], source=VersionSource.UPLOAD, created_by=personas.editor
    )
    notice = page.locator("[data-live-notice]")
    notice.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "A new version of this file was saved." in notice.text_content()
    assert notice.locator("a").text_content() == "Reload"
