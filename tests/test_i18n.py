"""Translations: German pages, the language switcher, the editor's language, and a complete German catalog."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse
from jinja2 import Environment

from connector import config

ROOT = Path(settings.BASE_DIR)
PO_FILE = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# The same extra keywords as the Makefile's MESSAGE_KEYWORDS (pybabel knows gettext, ngettext, pgettext, _).
EXTRA_KEYWORDS = {
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
    "gettext_noop": None,
}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|%")
ONE_YEAR = 365 * 24 * 60 * 60


def _german(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _editor_config(html: str) -> dict:
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the editor page embeds its config"
    return json.loads(match.group(1))


@pytest.fixture
def onlyoffice(db):
    return config.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret="s" * 32)


# --- Pages -----------------------------------------------------------------------------------------------------


def test_it_shows_the_home_space_and_file_pages_in_german(personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    client = _german(personas.client_for("owner"))

    home = _page(client, reverse("home"))
    assert '<html lang="de">' in home
    assert "Meine Bereiche" in home and "Neuer Bereich" in home and "1 Datei" in home
    assert "My spaces" not in home

    space = _page(client, reverse("space_detail", args=[personas.space.pk]))
    assert "Dateien auswählen" in space and "Mitglieder" in space and "Weitere Aktionen" in space
    # Messages for upload.js come from the page, in the page's language.
    assert 'data-failed="Hochladen fehlgeschlagen.' in space

    detail = _page(client, reverse("attachment_detail", args=[attachment.pk]))
    assert "Versionsverlauf" in detail and "Neue Version hochladen" in detail
    assert ">Upload</span>" in detail  # the version source, with its own context ("Upload", not "Hochladen")
    assert 'data-msg-reload="Neu laden"' in detail

    members = _page(client, reverse("space_members", args=[personas.space.pk]))
    assert "Betrachter" in members and "Bearbeiter" in members


def test_it_shows_the_onlyoffice_settings_page_in_german(personas) -> None:
    html = _page(_german(personas.client_for("staff")), reverse("onlyoffice-settings"))
    assert "ONLYOFFICE-Einstellungen" in html and "Sicherheit" in html and "Speichern und prüfen" in html
    assert "Kein JWT-Schlüssel gesetzt" in html


def test_it_shows_the_login_page_in_the_browsers_language(db) -> None:
    html = Client(headers={"accept-language": "de-DE,de;q=0.9"}).get(reverse("login")).content.decode()
    assert "Melden Sie sich an, um Ihre Bereiche und Dateien zu sehen." in html


# --- The language switcher -----------------------------------------------------------------------------------------


def test_it_offers_the_languages_in_the_user_menu_with_the_current_one_marked(personas) -> None:
    html = _page(_german(personas.client_for("viewer")), reverse("home"))
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', html, re.S)
    assert form, "the user menu has a form posting to set_language"
    assert 'name="next" value="/"' in form.group(0)
    assert re.search(r'value="de" class="menu-item" lang="de" aria-current="true">.*?Deutsch', form.group(0), re.S)
    assert re.search(r'value="en" class="menu-item" lang="en">.*?English', form.group(0), re.S)
    assert ">Sprache<" in form.group(0)


def test_it_switches_the_language_and_remembers_it_for_a_year(personas) -> None:
    client = personas.client_for("editor")
    space_url = reverse("space_detail", args=[personas.space.pk])
    assert "Choose files" in _page(client, space_url)

    response = client.post(reverse("set_language"), {"language": "de", "next": space_url})

    assert response.status_code == 302 and response["Location"] == space_url
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de" and int(cookie["max-age"]) == ONE_YEAR
    assert "Dateien auswählen" in _page(client, space_url)

    client.post(reverse("set_language"), {"language": "en", "next": space_url})
    assert "Choose files" in _page(client, space_url)


def test_it_keeps_the_choice_after_logging_out(personas) -> None:
    client = personas.client_for("viewer")
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    client.post(reverse("logout"))
    assert "Melden Sie sich an" in _page(client, reverse("login"))


def test_it_ignores_an_unknown_language_and_a_foreign_next(personas) -> None:
    client = personas.client_for("viewer")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert "My spaces" in _page(client, reverse("home"))


# --- The editor ----------------------------------------------------------------------------------------------------


def test_it_gives_the_editor_the_active_language_and_region(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    url = reverse("onlyoffice-editor", args=[attachment.pk])

    german = _page(_german(personas.client_for("editor")), url)
    assert _editor_config(german)["editorConfig"]["lang"] == "de"
    assert _editor_config(german)["editorConfig"]["region"] == "de-DE"
    assert 'data-msg-unreachable="Der ONLYOFFICE Document Server war nicht erreichbar."' in german

    english = _editor_config(_page(personas.client_for("editor"), url))["editorConfig"]
    assert (english["lang"], english["region"]) == ("en", "en-US")


def test_it_explains_view_only_mode_in_german(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    html = _page(_german(personas.client_for("viewer")), reverse("onlyoffice-editor", args=[attachment.pk]))
    assert "Sie können diese Datei ansehen; zum Bearbeiten brauchen Sie die Rolle Bearbeiter im Bereich." in html


# --- The catalog ---------------------------------------------------------------------------------------------------


def _catalog():
    with PO_FILE.open("rb") as po:
        return read_po(po)


def _strays(text: str) -> list[str]:
    # Jinja2's newstyle gettext always %-formats, so a stray "%" in a translation would break the page.
    return sorted(token for token in PLACEHOLDER.findall(text) if token == "%" or token == "%%")


def test_it_translates_every_message_without_fuzzy_entries_and_with_the_same_placeholders() -> None:
    catalog = _catalog()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        for index, string in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            if set(PLACEHOLDER.findall(string)) - {"%"} != set(PLACEHOLDER.findall(source)) - {"%"}:
                problems.append(f"placeholders differ: {source!r} -> {string!r}")
            if _strays(string) != _strays(source):
                problems.append(f"a stray % in: {string!r}")
    assert not catalog.obsolete, "obsolete entries: run `make messages`"
    assert len(catalog) > 400
    assert not problems, "\n".join(problems)


def test_it_has_every_string_of_the_code_and_templates_in_the_catalog() -> None:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
    found = {
        (context, message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _catalog() if m.id}
    missing = sorted(message for _context, message in found - known)
    assert not missing, "not in locale/de/LC_MESSAGES/django.po (run `make messages`, then translate):\n" + "\n".join(
        missing
    )


def _entries(catalog) -> dict:
    """(context, id) → translation; read_mo gives plural forms as lists and contexts as bytes, read_po does not."""

    def plain(value):
        if isinstance(value, bytes):
            return value.decode()
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(plain(m.context), plain(m.id)): plain(m.string) for m in catalog if m.id}


def test_it_ships_a_compiled_catalog_that_matches_the_po_file() -> None:
    with MO_FILE.open("rb") as mo:
        compiled = _entries(read_mo(mo))
    source = _entries(_catalog())
    assert compiled == source, "locale/de/LC_MESSAGES/django.mo is stale: run `make messages`"


# --- Strings that would escape translation -------------------------------------------------------------------------


class _BareText(HTMLParser):
    """Text nodes and labelling attributes of a template with every Jinja2 tag replaced by a marker."""

    SKIPPED = {"code", "script", "style", "symbol", "text"}
    LABELS = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in self.SKIPPED
        self.found += [f"{name}={value!r}" for name, value in attrs if name in self.LABELS and _words(value or "")]

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.SKIPPED

    def handle_data(self, data: str) -> None:
        if not self.depth and _words(data):
            self.found.append(repr(data.strip()))


def _words(text: str) -> bool:
    # Technical tokens that read the same in every language: a digest's name, and body classes of blocks.
    text = re.sub(r"SHA-256|layout-full|page-auth", "", text)
    return re.search(r"[A-Za-z]{2,}", text) is not None


def test_it_leaves_no_text_outside_gettext_in_the_templates() -> None:
    env = Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 - only lexed, never rendered
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        tokens = env.lex(path.read_text(encoding="utf-8"))
        markup = re.sub("\x00+", "\x00", "".join(value if kind == "data" else "\x00" for _l, kind, value in tokens))
        parser = _BareText()
        parser.feed(markup)
        problems += [f"{path.relative_to(ROOT)}: {text}" for text in parser.found]
    assert not problems, "\n".join(problems)


JS_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
# Literals that look like words but are code: directives, header names, key names, CSS selectors and classes.
JS_ALLOWED = {"use strict", "Accept", "Escape", "svg use", "btn btn-ghost", "flash flash-warning", ".col-modified time"}


def _js_literals(source: str) -> list[str]:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", source)
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in JS_LITERAL.finditer(source)]


def _looks_like_text(literal: str) -> bool:
    sentence = re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", literal) is not None
    capitalised_word = re.fullmatch(r"[A-Z][a-z]+[.!?…:]?", literal) is not None
    return (sentence or capitalised_word) and literal not in JS_ALLOWED


def test_it_keeps_user_visible_english_out_of_the_javascript() -> None:
    scripts = sorted((ROOT / "static").rglob("*.js"))
    assert scripts
    problems = [
        f"{path.relative_to(ROOT)}: {literal!r}"
        for path in scripts
        for literal in _js_literals(path.read_text(encoding="utf-8"))
        if _looks_like_text(literal)
    ]
    assert not problems, "user-visible text belongs in the page (data-* attributes):\n" + "\n".join(problems)


def test_it_js_scan_catches_a_hard_coded_sentence() -> None:
    literals = _js_literals('el.textContent = "Upload failed"; // "Not this"\nvar x = \'Reload\';')
    assert [literal for literal in literals if _looks_like_text(literal)] == ["Upload failed", "Reload"]
