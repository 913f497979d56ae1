"""How the attachment pages write what they show: the order of a space's files, file icons, dates, sizes and numbers
in the page's language, and the order of a row's "More actions" menu.

Layout at phone and laptop widths, and the menus with the keyboard: tests/test_browser_attachment_pages.py.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from attachments import actions
from attachments.actions import Action, RowExtras, menu_sections
from attachments.display import filesize, filesize_scale
from attachments.models import Attachment, Version
from tests.conftest import Personas

# 06:01 UTC on 5 December 2026; the site's time zone is UTC unless DJANGO_TIME_ZONE says otherwise.
MOMENT = datetime.datetime(2026, 12, 5, 6, 1, tzinfo=datetime.UTC)


def _german(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _row_titles(html: str) -> list[str]:
    return [unescape(title) for title in re.findall(r'<a class="file-title" href="[^"]*">([^<]*)</a>', html)]


def _row(html: str, attachment: Attachment) -> str:
    found = re.search(rf'<tr data-attachment-id="{attachment.pk}".*?</tr>', html, re.S)
    assert found, f"no row for {attachment.title}"
    return found.group(0)


# --- The order of a space's files ----------------------------------------------------------------------------------


def test_it_lists_a_spaces_files_by_name_whatever_their_case(personas: Personas, make_attachment) -> None:
    for title in ("Welcome.docx", "empty.txt", "Zebra.pdf", "agenda.md", "Budget.xlsx"):
        make_attachment(personas.space, title)
    expected = ["agenda.md", "Budget.xlsx", "empty.txt", "Welcome.docx", "Zebra.pdf"]
    client = personas.client_for("viewer")

    assert _row_titles(_page(client, reverse("space_detail", args=[personas.space.pk]))) == expected
    # The API lists them in the same order.
    answer = client.get(reverse("api-attachment-list"), {"space": personas.space.pk})
    assert [item["title"] for item in answer.json()["results"]] == expected


def test_it_keeps_the_name_order_when_searching(personas: Personas, make_attachment) -> None:
    for title in ("Plan B.docx", "plan a.docx", "Other.txt"):
        make_attachment(personas.space, title)
    html = _page(personas.client_for("viewer"), reverse("space_detail", args=[personas.space.pk]) + "?q=plan")
    assert _row_titles(html) == ["plan a.docx", "Plan B.docx"]


# --- File icons ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("notes.txt", "text"),
        ("README.md", "text"),
        ("export.csv", "data"),
        ("export.tsv", "data"),
        ("letter.docx", "word"),
        ("old.rtf", "word"),
        ("sheet.xlsx", "cell"),
    ],
)
def test_it_draws_plain_text_and_data_files_with_icons_of_their_own(
    personas: Personas, make_attachment, title: str, kind: str
) -> None:
    attachment = make_attachment(personas.space, title)
    client = personas.client_for("viewer")

    row = _row(_page(client, reverse("space_detail", args=[personas.space.pk])), attachment)
    assert f'<svg class="ficon ft-{kind}"' in row
    detail = _page(client, reverse("attachment_detail", args=[attachment.pk]))
    assert f'<use href="#ft-{kind}">' in detail
    # The sprite on every page draws the icon it names.
    assert f'<symbol id="ft-{kind}"' in detail


# --- Dates ------------------------------------------------------------------------------------------------------------


def _at_moment(attachment: Attachment) -> None:
    Attachment.objects.filter(pk=attachment.pk).update(updated_at=MOMENT)
    Version.objects.filter(attachment=attachment).update(created_at=MOMENT)


def _times(html: str) -> list[str]:
    return [unescape(text).strip() for text in re.findall(r"<time [^>]*>([^<]*)</time>", html)]


@pytest.mark.parametrize(("language", "written"), [("en", "12/05/2026 6:01 a.m."), ("de", "05.12.2026 06:01")])
def test_it_writes_a_moment_the_same_way_on_every_page(
    personas: Personas, make_attachment, language: str, written: str
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    _at_moment(attachment)
    client = personas.client_for("owner")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    space = _page(client, reverse("space_detail", args=[personas.space.pk]))
    detail = _page(client, reverse("attachment_detail", args=[attachment.pk]))
    live = client.get(reverse("space_rows", args=[personas.space.pk]), {"ids": attachment.pk}).json()["rows"][0]

    # The list's column and its phone line, the file's header and its version table, and the live list's JSON.
    assert _times(space) == [written]
    assert f"v1 · {written}</span>" in space
    assert _times(detail) == [written, written]
    assert live["updated_display"] == written


# --- Sizes and numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_bytes", "english", "german"),
    [
        (0, "0 B", "0 B"),
        (1023, "1023 B", "1023 B"),
        (1024, "1 KiB", "1 KiB"),
        (1536, "1.5 KiB", "1,5 KiB"),
        (3000, "2.9 KiB", "2,9 KiB"),
        (100 * 1024**2, "100 MiB", "100 MiB"),
        (104_857_600 + 5 * 1024**2 // 10, "100.5 MiB", "100,5 MiB"),
        (3 * 1024**3 // 2, "1.5 GiB", "1,5 GiB"),
        (2 * 1024**4, "2 TiB", "2 TiB"),
    ],
)
def test_it_writes_sizes_in_the_binary_units_it_names_in_the_languages_number_format(
    num_bytes: int, english: str, german: str
) -> None:
    with translation.override("en"):
        assert filesize(num_bytes) == english
    with translation.override("de"):
        assert filesize(num_bytes) == german


def test_it_writes_sizes_in_german_on_the_pages_and_in_the_live_rows(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", content=b"x" * 1536, user=personas.owner)
    client = _german(personas.client_for("owner"))

    space = _page(client, reverse("space_detail", args=[personas.space.pk]))
    assert '<td class="col-size num">1,5 KiB</td>' in _row(space, attachment)
    assert "Bis 100 MiB pro Datei." in space  # the upload limit
    assert "100.0" not in space and "1.5 KiB" not in space

    detail = _page(client, reverse("attachment_detail", args=[attachment.pk]))
    assert "1,5 KiB ·" in detail  # the header
    assert re.search(r'<td class="col-size num">\s*1,5 KiB\s*<code', detail)  # the version table

    live = client.get(reverse("space_rows", args=[personas.space.pk]), {"ids": attachment.pk}).json()["rows"][0]
    assert live["size_display"] == "1,5 KiB"


def test_it_hands_the_upload_script_the_size_units_of_the_page(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    client = _german(personas.client_for("editor"))
    with translation.override("de"):
        expected = [list(unit) for unit in filesize_scale()]

    for url in (reverse("space_detail", args=[personas.space.pk]), reverse("attachment_detail", args=[attachment.pk])):
        found = re.search(r"data-size-units='([^']*)'", _page(client, url))
        assert found, url
        assert json.loads(unescape(found.group(1))) == expected
    assert expected[0] == [1, "%(size)s B"] and expected[2] == [1024**2, "%(size)s MiB"]


# --- The order of a menu ----------------------------------------------------------------------------------------------


def _entry(label: str, *, danger: bool = False) -> Action:
    return Action(label=label, url=f"/{label}/", in_menu=True, danger=danger)


def test_it_puts_destructive_entries_last_in_a_section_of_their_own() -> None:
    given = [_entry("End", danger=True), _entry("Convert"), _entry("Purge", danger=True), _entry("Retry")]
    assert [[entry.label for entry in section] for section in menu_sections(given)] == [
        ["Convert", "Retry"],
        ["End", "Purge"],
    ]
    assert menu_sections([_entry("Convert")]) == [[_entry("Convert")]]
    assert menu_sections([]) == []
    extras = RowExtras(actions=[_entry("End", danger=True), Action(label="Edit", url="/e/"), _entry("Convert")])
    assert [[entry.label for entry in section] for section in extras.menu_sections] == [["Convert"], ["End"]]


def _menu_labels(html: str) -> list[str]:
    """The entries of the "More actions" menu in ``html``, in order, with "---" for a separator."""
    panel = re.search(
        r'aria-label="More actions[^"]*".*?<div class="menu-panel menu-panel-right">(.*?)</div>', html, re.S
    )
    assert panel
    parts = re.findall(
        r'(<hr class="menu-separator">)|class="menu-item[^"]*">(?:<svg.*?</svg>)?([^<]*)<', panel.group(1)
    )
    return ["---" if separator else unescape(label) for separator, label in parts]


@pytest.fixture
def provider_with_a_destructive_entry_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider, as the connector is one, that lists a destructive entry before a harmless one."""

    def provider(request, attachments: Sequence[Attachment], role) -> dict[int, RowExtras]:
        return {
            attachment.pk: RowExtras(actions=[_entry("Forget it", danger=True), _entry("Convert to DOCX")])
            for attachment in attachments
        }

    monkeypatch.setattr(actions, "_row_providers", [*actions._row_providers, provider])


def test_it_shows_the_destructive_entries_of_a_row_last_after_a_separator(
    personas: Personas, make_attachment, provider_with_a_destructive_entry_first
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")

    editor = _page(personas.client_for("editor"), reverse("space_detail", args=[personas.space.pk]))
    assert _menu_labels(_row(editor, attachment)) == [
        "Versions",
        "Upload new version",
        "Rename",
        "Open in Word",
        "Open in LibreOffice",
        "Convert to DOCX",
        "---",
        "Move to trash…",
        "Forget it",
    ]
    viewer = _page(personas.client_for("viewer"), reverse("space_detail", args=[personas.space.pk]))
    assert _menu_labels(_row(viewer, attachment)) == [
        "Versions",
        "Open in Word",
        "Open in LibreOffice",
        "Convert to DOCX",
        "---",
        "Forget it",
    ]
    # The file's own page orders its menu by the same rule (the desktop apps have a section of their own there).
    detail = _page(personas.client_for("editor"), reverse("attachment_detail", args=[attachment.pk]))
    assert _menu_labels(detail) == ["Convert to DOCX", "---", "Forget it"]


def test_it_draws_a_menu_entry_that_posts_as_a_form_with_its_own_csrf_token(
    personas: Personas, make_attachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    retry = Action(label="Retry <now>", url="/retry/?a=1&b=2", icon="history", method="post", in_menu=True)
    monkeypatch.setattr(
        actions,
        "_row_providers",
        [
            *actions._row_providers,
            lambda request, attachments, role: {a.pk: RowExtras(actions=[retry]) for a in attachments},
        ],
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.editor)

    for url in (reverse("space_detail", args=[personas.space.pk]), reverse("attachment_detail", args=[attachment.pk])):
        html = _page(client, url)
        form = re.search(
            r'<form method="post" action="/retry/\?a=1&amp;b=2" class="menu-form">(.*?)</form>', html, re.S
        )
        assert form, url
        assert re.match(r'<input type="hidden" name="csrfmiddlewaretoken" value="[\w-]{32,}">', form.group(1))
        assert '<button type="submit" class="menu-item"><svg class="icon"' in form.group(1)
        assert "Retry &lt;now&gt;</button>" in form.group(1)


# --- The account menu -------------------------------------------------------------------------------------------------


def test_it_names_the_account_button_after_the_user(personas: Personas) -> None:
    html = _page(personas.client_for("owner"), reverse("home"))
    assert 'aria-label="Olivia Owner, account menu"' in html
    # Someone without a full name is named by username.
    personas.viewer.first_name = personas.viewer.last_name = ""
    personas.viewer.save()
    assert 'aria-label="vera, account menu"' in _page(personas.client_for("viewer"), reverse("home"))


def test_it_gives_administration_and_the_onlyoffice_settings_icons_of_their_own(personas: Personas) -> None:
    html = _page(personas.client_for("staff"), reverse("home"))
    administration = re.search(r'<use href="#i-([a-z-]+)"></use></svg>Administration<', html)
    onlyoffice = re.search(r'<use href="#i-([a-z-]+)"></use></svg>ONLYOFFICE settings<', html)
    assert administration and onlyoffice
    assert administration.group(1) != onlyoffice.group(1)
    for name in (administration.group(1), onlyoffice.group(1)):
        assert f'<symbol id="i-{name}"' in html


def test_it_lists_the_spaces_on_the_home_page_by_name_whatever_their_case(personas) -> None:
    from attachments import services

    services.space_create(name="zebra", created_by=personas.owner)
    services.space_create(name="Apple", created_by=personas.owner)
    services.space_create(name="banana", created_by=personas.owner)

    html = personas.client_for("owner").get("/").content.decode()

    positions = [html.index(name) for name in ("Apple", "banana", "Engineering", "zebra")]
    assert positions == sorted(positions)


def test_it_pages_the_space_list_and_the_trash_keeping_the_search(personas, monkeypatch) -> None:
    from attachments import services, trash_views, views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(trash_views, "PAGE_SIZE", 2)
    for n in range(5):
        services.attachment_create(
            space=personas.space, title=f"memo {n}.txt", chunks=[b"x"], created_by=personas.owner
        )
    client = personas.client_for("owner")
    space_url = reverse("space_detail", args=[personas.space.id])

    searched = client.get(space_url, {"q": "memo", "page": 2}).content.decode()
    assert 'rel="prev" href="?q=memo&amp;page=1"' in searched and 'rel="next" href="?q=memo&amp;page=3"' in searched
    assert "Page 2 of 3" in searched
    first = client.get(space_url).content.decode()
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first

    for attachment in personas.space.attachments.all():
        client.post(reverse("attachment_delete", args=[attachment.id]))
    trashed = client.get(reverse("space_trash", args=[personas.space.id]), {"page": 3}).content.decode()
    assert 'rel="prev" href="?page=2"' in trashed and 'rel="next"' not in trashed and "Page 3 of 3" in trashed
