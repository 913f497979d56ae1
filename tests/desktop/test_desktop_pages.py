"""What the attachment pages show of desktop editing: "Open in Word" (Excel, PowerPoint) and "Open in LibreOffice"
in each row's menu and in a section of the file page, by type and by role; the link they hand to the app; "Being
edited in a desktop app by …" while a lock is held, and "Break desktop lock" for the space's admins; and the help.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from desktop import links, locks
from desktop.models import DesktopLock
from tests.conftest import Personas
from tests.support.production import run_with_production_settings

WORD, EXCEL, POWERPOINT, LIBREOFFICE = "Open in Word", "Open in Excel", "Open in PowerPoint", "Open in LibreOffice"
HELD = "Being edited in a desktop app by Eddie Editor"
BREAK = "Break desktop lock"
# A menu entry or button, as config/jinja2.py and templates/desktop/_file_page.html draw them: (href, icon, label).
ENTRY = re.compile(
    r'<a (?:href="([^"]+)" class="menu-item"|class="btn btn-sm" href="([^"]+)")><svg class="icon"[^>]*>'
    r'<use href="#i-([a-z-]+)"></use></svg>(?:<span>)?([^<]+)'
)


def entries(fragment: str) -> list[tuple[str, str, str]]:
    return [(menu_href or button_href, icon, label) for menu_href, button_href, icon, label in ENTRY.findall(fragment)]


def labels(fragment: str) -> list[str]:
    return [label for _href, _icon, label in entries(fragment)]


def row_menu(client: Client, attachment: Attachment) -> str:
    """The "More actions" menu of the file's row on its space's page."""
    html = client.get(reverse("space_detail", args=[attachment.space_id])).content.decode()
    row = re.search(rf'<tr data-attachment-id="{attachment.pk}".*?</tr>', html, re.S)
    assert row is not None
    menu = re.search(r'<div class="menu-panel menu-panel-right">(.*?)</div>', row.group(0), re.S)
    return menu.group(1) if menu else ""


def file_page(client: Client, attachment: Attachment) -> tuple[str, str, str]:
    """The file page, its desktop section ("" when none) and its header's "More actions" menu ("" when none)."""
    response = client.get(reverse("attachment_detail", args=[attachment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    section = re.search(r'<section class="panel desktop-open".*?</section>', html, re.S)
    toolbar = html[html.index('<div class="toolbar">') : html.index('<div class="columns file-columns">')]
    menu = re.search(r'<div class="menu-panel menu-panel-right">(.*?)</div>', toolbar, re.S)
    return html, section.group(0) if section else "", menu.group(1) if menu else ""


def app_link(
    client: Client, attachment: Attachment, app: str = "office", headers: dict[str, str] | None = None
) -> tuple[str, str, str, str]:
    """What "Open in …" hands the browser: (scheme, command, WebDAV URL, Cache-Control)."""
    response = client.get(reverse(f"desktop-open-{app}", args=[attachment.pk]), headers=headers)
    assert response.status_code == 302, response.status_code
    scheme, _colon, rest = response["Location"].partition(":")
    command, kind, url = rest.split("|", 2)
    assert kind == "u"
    return scheme, command, url, response["Cache-Control"]


def hold(attachment: Attachment, user) -> DesktopLock:
    """A desktop lock as Word takes it when the user opens the file for editing."""
    return locks.lock_create(
        attachment_id=attachment.pk, user_id=user.pk, link_digest="0" * 64, owner="", scope="exclusive", timeout=600
    )


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", content=b"docx bytes", user=personas.owner)


@pytest.fixture
def viewers_blocked(db: None) -> None:
    ds_settings.update(block_download=True)


# --- the entries, by type ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Plan.docx", [WORD, LIBREOFFICE]),
        ("Budget.xlsx", [EXCEL, LIBREOFFICE]),
        ("Pitch.pptx", [POWERPOINT, LIBREOFFICE]),
        ("Notes.odt", [WORD, LIBREOFFICE]),
        ("Scan.pdf", []),
        ("Readme.txt", []),
    ],
)
def test_it_offers_the_apps_that_edit_the_type(personas: Personas, make_attachment, title: str, expected: list[str]):
    attachment = make_attachment(personas.space, title, user=personas.owner)
    client = personas.client_for("editor")
    office = reverse("desktop-open-office", args=[attachment.pk])
    libreoffice = reverse("desktop-open-libreoffice", args=[attachment.pk])

    menu = row_menu(client, attachment)
    html, section, page_menu = file_page(client, attachment)

    desktop_in_menu = [entry for entry in entries(menu) if entry[1] == "desktop"]
    assert [label for _href, _icon, label in desktop_in_menu] == expected
    assert [href for href, _icon, _label in desktop_in_menu] == [office, libreoffice][: len(expected)]
    assert [label for _href, icon, label in entries(section) if icon == "desktop"] == expected
    # On the file page the entries have their section, not a second place in the menu.
    assert "/open/" not in page_menu
    if expected:
        assert '<symbol id="i-desktop"' in html
        assert 'data-dialog="desktop-help-dialog"' in section
        assert '<dialog class="dialog" id="desktop-help-dialog"' in html
    else:
        assert section == ""
        assert "desktop-help-dialog" not in html


def test_it_keeps_the_other_entries_of_the_file_pages_menu(personas: Personas, plan: Attachment):
    hold(plan, personas.editor)

    _html, section, menu = file_page(personas.client_for("owner"), plan)

    assert labels(section) == [WORD, LIBREOFFICE]
    assert BREAK in menu


# --- the entries, by role ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["editor", "owner", "staff"])
def test_it_opens_the_file_for_editing_for_editors_and_admins(personas: Personas, plan: Attachment, persona: str):
    client = personas.client_for(persona)

    assert labels(row_menu(client, plan))[-2:] == [WORD, LIBREOFFICE]
    assert app_link(client, plan)[:2] == ("ms-word", "ofe")
    assert app_link(client, plan, "libreoffice")[:2] == ("vnd.libreoffice.command", "ofe")
    assert "read-only" not in file_page(client, plan)[1]


def test_it_opens_the_file_read_only_for_a_viewer_who_may_download(personas: Personas, plan: Attachment):
    client = personas.client_for("viewer")

    _html, section, _menu = file_page(client, plan)
    scheme, command, url, _cache = app_link(client, plan)

    assert labels(row_menu(client, plan)) == ["Versions", WORD, LIBREOFFICE]
    assert labels(section) == [WORD, LIBREOFFICE]
    assert "You can only view this file, so the app opens it read-only." in section
    assert (scheme, command) == ("ms-word", "ofv")
    assert links.read_token(urlsplit(url).path.split("/")[2]).access == "view"
    assert app_link(client, plan, "libreoffice")[:2] == ("vnd.libreoffice.command", "ofv")


def test_it_offers_a_viewer_nothing_while_viewers_may_not_download(
    personas: Personas, plan: Attachment, viewers_blocked: None
):
    client = personas.client_for("viewer")

    html, section, _menu = file_page(client, plan)

    assert labels(row_menu(client, plan)) == ["Versions"]
    assert section == ""
    assert "/open/" not in html
    for app in ("office", "libreoffice"):
        assert client.get(reverse(f"desktop-open-{app}", args=[plan.pk])).status_code == 404
    # Editors keep theirs.
    assert app_link(personas.client_for("editor"), plan)[:2] == ("ms-word", "ofe")


def test_it_hides_the_file_and_its_links_from_an_outsider(personas: Personas, plan: Attachment):
    client = personas.client_for("outsider")

    assert client.get(reverse("attachment_detail", args=[plan.pk])).status_code == 404
    for app in ("office", "libreoffice"):
        assert client.get(reverse(f"desktop-open-{app}", args=[plan.pk])).status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(personas: Personas, plan: Attachment):
    response = personas.client_for("anonymous").get(reverse("desktop-open-office", args=[plan.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


# --- the link ------------------------------------------------------------------------------------------------------


def test_it_hands_word_a_fresh_webdav_link_of_the_editor(personas: Personas, plan: Attachment):
    response = personas.client_for("editor").get(reverse("desktop-open-office", args=[plan.pk]))

    location = response["Location"]
    match = re.fullmatch(r"ms-word:ofe\|u\|http://testserver/dav/([^/]+)/Plan\.docx", location)
    assert match is not None, location
    link = links.read_token(match.group(1))
    assert (link.user_id, link.attachment_id, link.access, link.version) == (personas.editor.pk, plan.pk, "edit", 1)
    # A link that opens the file for a while must never be kept by the browser or a proxy.
    assert response["Cache-Control"] == "no-store"


# What DJANGO_BEHIND_PROXY leaves in the settings, as JSON.
_PROXY_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.USE_X_FORWARDED_HOST]))"
)


def test_it_hands_the_apps_an_https_link_behind_a_tls_proxy(
    personas: Personas, plan: Attachment, settings, tmp_path: Path
):
    # The settings an operator's DJANGO_BEHIND_PROXY=true gives production, applied to this test's.
    shown = run_with_production_settings(
        _PROXY_SETTINGS, tmp_path, DJANGO_SECRET_KEY="x" * 50, DJANGO_BEHIND_PROXY="true"
    )
    assert shown.returncode == 0, shown.stderr
    header, forwarded_host = json.loads(shown.stdout)
    client = personas.client_for("editor")
    # As nginx forwards a click on https://files.example.com (docs/deploy.md).
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "files.example.com"}
    settings.ALLOWED_HOSTS = ["files.example.com", "testserver"]

    unproxied = client.get(reverse("desktop-open-office", args=[plan.pk]), headers=proxied)["Location"]
    settings.SECURE_PROXY_SSL_HEADER, settings.USE_X_FORWARDED_HOST = tuple(header), forwarded_host
    _scheme, _command, office, _cache = app_link(client, plan, headers=proxied)
    _scheme, _command, libreoffice, _cache = app_link(client, plan, "libreoffice", headers=proxied)

    # Without the setting the forwarded headers are anybody's to write, so they are not believed.
    assert unproxied.startswith("ms-word:ofe|u|http://testserver/dav/"), unproxied
    assert office.startswith("https://files.example.com/dav/") and office.endswith("/Plan.docx"), office
    assert libreoffice.startswith("https://files.example.com/dav/"), libreoffice


@pytest.mark.parametrize(
    ("title", "office_scheme"),
    [("Budget.xlsx", "ms-excel"), ("Pitch.pptx", "ms-powerpoint"), ("Notes.odt", "ms-word")],
)
def test_it_hands_each_type_to_its_office_app(personas: Personas, make_attachment, title: str, office_scheme: str):
    attachment = make_attachment(personas.space, title, user=personas.owner)
    client = personas.client_for("editor")

    scheme, _command, url, _cache = app_link(client, attachment)
    libreoffice, _command, libreoffice_url, _cache = app_link(client, attachment, "libreoffice")

    assert scheme == office_scheme
    assert libreoffice == "vnd.libreoffice.command"
    assert unquote(url).endswith(f"/{title}") and unquote(libreoffice_url).endswith(f"/{title}")


@pytest.mark.parametrize("title", ["Scan.pdf", "Readme.txt"])
def test_it_answers_404_for_a_type_no_desktop_app_edits(personas: Personas, make_attachment, title: str):
    attachment = make_attachment(personas.space, title, user=personas.owner)
    client = personas.client_for("editor")

    for app in ("office", "libreoffice"):
        assert client.get(reverse(f"desktop-open-{app}", args=[attachment.pk])).status_code == 404


# --- a held lock, and breaking it ------------------------------------------------------------------------------


def statuses_of(html: str) -> list[str]:
    return re.findall(r'<span class="attachment-status status-info"[^>]*>([^<]+)', html)


@pytest.mark.parametrize("persona", ["viewer", "editor", "owner"])
def test_it_shows_who_is_editing_in_a_desktop_app(personas: Personas, plan: Attachment, persona: str):
    hold(plan, personas.editor)
    client = personas.client_for(persona)

    listing = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    html, _section, _menu = file_page(client, plan)
    live = client.get(reverse("space_rows", args=[personas.space.pk]), {"ids": plan.pk}).json()["rows"][0]

    for page in (listing, html, live["statuses_html"]):
        assert statuses_of(page) == [HELD]
        assert 'title="Others can open it read-only until Eddie Editor closes it in the app."' in page


def test_it_shows_nothing_once_the_lock_has_ended(personas: Personas, plan: Attachment):
    lock = hold(plan, personas.editor)
    locks.lock_release(token=lock.token)

    html, _section, menu = file_page(personas.client_for("owner"), plan)

    assert HELD not in html
    assert BREAK not in menu


@pytest.mark.parametrize(
    ("persona", "offered"), [("viewer", False), ("editor", False), ("owner", True), ("staff", True)]
)
def test_it_offers_breaking_the_lock_to_the_spaces_admins_only(
    personas: Personas, plan: Attachment, persona: str, offered: bool
):
    hold(plan, personas.editor)
    client = personas.client_for(persona)
    action = reverse("desktop-lock-break", args=[plan.pk])

    listing = client.get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    html, _section, _menu = file_page(client, plan)

    for page, back in ((listing, f"/spaces/{personas.space.pk}/"), (html, f"/attachments/{plan.pk}/")):
        form = re.search(rf'<form method="post" action="{action}\?next=([^"]+)" class="menu-form">(.*?)</form>', page)
        assert (form is not None) == offered
        if form is not None:
            assert unquote(form.group(1)) == back
            assert 'name="csrfmiddlewaretoken"' in form.group(2)
            assert '<button type="submit" class="menu-item danger">' in form.group(2)
            assert BREAK in form.group(2)


def test_it_breaks_the_lock_and_tells_its_holder(personas: Personas, plan: Attachment):
    lock = hold(plan, personas.editor)
    client = personas.client_for("owner")
    space_page = reverse("space_detail", args=[personas.space.pk])

    response = client.post(f"{reverse('desktop-lock-break', args=[plan.pk])}?next={space_page}")

    assert response.status_code == 302 and response["Location"] == space_page
    lock.refresh_from_db()
    assert lock.broken_at is not None and lock.broken_by == personas.owner
    [sent] = mail.outbox
    assert sent.to == ["eddie@example.com"]
    assert sent.subject == "Your desktop lock on “Plan.docx” was broken"
    assert "Olivia Owner broke your desktop lock on “Plan.docx”" in sent.body
    assert "Your next save from the app will be refused" in sent.body
    assert f"http://testserver/attachments/{plan.pk}/" in sent.body
    page = client.get(space_page).content.decode()
    assert (
        "The desktop lock on “Plan.docx” was broken, so others can edit the file again. Eddie Editor can no longer "
        "save it from their app." in page.replace("&#8220;", "“").replace("&#8221;", "”")
    )
    assert HELD not in page
    assert BREAK not in page


def test_it_says_so_when_the_lock_had_already_ended(personas: Personas, plan: Attachment):
    client = personas.client_for("owner")

    response = client.post(reverse("desktop-lock-break", args=[plan.pk]), follow=True)

    assert response.redirect_chain == [(reverse("attachment_detail", args=[plan.pk]), 302)]
    assert "is not open in a desktop app any more: there was no lock to break." in response.content.decode()
    assert mail.outbox == []


def test_it_mails_nobody_when_an_admin_breaks_their_own_lock(personas: Personas, plan: Attachment):
    lock = hold(plan, personas.owner)

    personas.client_for("owner").post(reverse("desktop-lock-break", args=[plan.pk]))

    lock.refresh_from_db()
    assert lock.broken_at is not None
    assert mail.outbox == []


def test_it_goes_back_to_the_file_page_rather_than_another_site(personas: Personas, plan: Attachment):
    hold(plan, personas.editor)

    response = personas.client_for("owner").post(
        f"{reverse('desktop-lock-break', args=[plan.pk])}?next=https://evil.example/"
    )

    assert response["Location"] == reverse("attachment_detail", args=[plan.pk])


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("editor", 403), ("outsider", 404)])
def test_it_lets_only_admins_break_a_lock(personas: Personas, plan: Attachment, persona: str, status: int):
    lock = hold(plan, personas.editor)

    response = personas.client_for(persona).post(reverse("desktop-lock-break", args=[plan.pk]))

    assert response.status_code == status
    lock.refresh_from_db()
    assert lock.broken_at is None
    assert mail.outbox == []


def test_it_breaks_a_lock_by_post_only(personas: Personas, plan: Attachment):
    hold(plan, personas.editor)
    url = reverse("desktop-lock-break", args=[plan.pk])

    by_get = personas.client_for("owner").get(url)
    anonymous = personas.client_for("anonymous").post(url)

    assert by_get.status_code == 405
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert DesktopLock.objects.get().broken_at is None


def test_it_refuses_a_break_without_the_csrf_token(personas: Personas, plan: Attachment):
    hold(plan, personas.editor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)

    response = client.post(reverse("desktop-lock-break", args=[plan.pk]))

    assert response.status_code == 403
    assert DesktopLock.objects.get().broken_at is None


# --- the help ------------------------------------------------------------------------------------------------------


def test_it_explains_desktop_editing_in_the_dialog_and_on_the_help_page(personas: Personas, plan: Attachment, settings):
    settings.DESKTOP_LINK_SECONDS = 90
    html, _section, _menu = file_page(personas.client_for("editor"), plan)
    help_page = personas.client_for("anonymous").get(reverse("desktop-help"))

    dialog = re.search(r'<dialog class="dialog" id="desktop-help-dialog".*?</dialog>', html, re.S)
    assert dialog is not None
    assert help_page.status_code == 200
    for text in (
        "Microsoft Office 2013 or newer (Word, Excel, PowerPoint), on Windows or macOS, or LibreOffice 7.2 or newer.",
        "Your browser asks whether to open the app. Allow it;",
        "If nothing happens when you click, the app is not installed",
    ):
        assert text in dialog.group(0)
        assert text in help_page.content.decode()
    assert f'<a href="{reverse("desktop-help")}">More about editing in a desktop app</a>' in dialog.group(0)
    assert '<form method="dialog"' in dialog.group(0)
    assert "The link works for 2 minutes to open the file" in help_page.content.decode()
