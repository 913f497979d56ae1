"""The space page's per-row shortcuts (issue 8, row 5): links built once per page, settings read once per request."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from attachments.actions import id_url
from connector import ds_settings
from tests.conftest import make_user


@pytest.mark.parametrize("viewname", ["attachment_detail", "attachment_download", "onlyoffice-editor"])
def test_it_builds_the_same_url_as_reverse_for_any_id(viewname: str) -> None:
    build = id_url(viewname)
    for pk in (1, 7, 42, 2_147_483_645, 10**12):
        assert build(pk) == reverse(viewname, args=[pk])


def test_it_links_every_row_of_the_space_page_to_its_own_attachment(personas, make_attachment) -> None:
    ds_settings.update(public_url="http://ds.test", connector_url="http://connector.test", jwt_secret="s" * 40)
    files = [make_attachment(personas.space, title=f"file-{n}.docx") for n in range(3)]
    client = Client()
    client.force_login(personas.owner)
    html = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    rows = re.findall(r'<tr data-attachment-id="(\d+)".*?</tr>', html, re.S)
    assert sorted(int(pk) for pk in rows) == sorted(item.pk for item in files)
    for item in files:
        row = re.search(rf'<tr data-attachment-id="{item.pk}".*?</tr>', html, re.S).group(0)
        for viewname in ("attachment_detail", "attachment_download", "attachment_rename", "attachment_delete"):
            assert f'href="{reverse(viewname, args=[item.pk])}' in row
        assert f'href="{reverse("onlyoffice-editor", args=[item.pk])}"' in row
        other = next(f for f in files if f.pk != item.pk)
        assert f'href="{reverse("attachment_detail", args=[other.pk])}"' not in row


def test_it_keeps_the_settings_for_one_request_and_sees_a_change_in_the_next(db) -> None:
    ds_settings.update(public_url="http://ds-one.test", jwt_secret="s" * 40)
    first = RequestFactory().get("/")
    assert ds_settings.for_request(first).public_url == "http://ds-one.test"
    ds_settings.update(public_url="http://ds-two.test")
    # One page reads one consistent set of settings, however many providers ask.
    assert ds_settings.for_request(first).public_url == "http://ds-one.test"
    assert ds_settings.for_request(RequestFactory().get("/")).public_url == "http://ds-two.test"


def _row(html: str, pk: int) -> str:
    found = re.search(rf'<tr data-attachment-id="{pk}".*?</tr>', html, re.S)
    assert found, f"no row for attachment {pk}"
    return found.group(0)


def test_it_names_each_rows_icon_buttons_after_its_file_escaped_once(personas, make_attachment) -> None:
    item = make_attachment(personas.space, title="Q&A <draft>.docx", user=personas.owner)

    html = personas.client_for("viewer").get(reverse("space_detail", args=[personas.space.pk])).content.decode()

    row = _row(html, item.pk)
    assert 'aria-label="Download Q&amp;A &lt;draft&gt;.docx"' in row
    assert 'aria-label="More actions for Q&amp;A &lt;draft&gt;.docx"' in row
    assert "<draft>" not in row


def test_it_names_the_rows_of_a_deleted_account_alike_on_the_page_and_in_the_live_list(
    personas, make_attachment
) -> None:
    kept = make_attachment(personas.space, title="kept.docx", user=personas.editor)
    gone = make_attachment(personas.space, title="gone.docx", user=make_user("leaver", first_name="Lea"))
    gone.updated_by.delete()
    client = personas.client_for("viewer")
    client.cookies["django_language"] = "de"

    html = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    live = client.get(reverse("space_rows", args=[personas.space.pk]) + f"?ids={kept.pk},{gone.pk}").json()["rows"]

    assert '<span class="who">Eddie Editor</span>' in _row(html, kept.pk)
    assert '<span class="who">Gelöschter Benutzer</span>' in _row(html, gone.pk)
    assert {row["id"]: row["updated_by"] for row in live} == {kept.pk: "Eddie Editor", gone.pk: "Gelöschter Benutzer"}
