"""Translations: pages in German, French and Spanish, the language switcher, the editor's language, e-mails,
plural forms, and a complete catalog for every language of LANGUAGES."""

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
from django.core import mail
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from jinja2 import Environment

from attachments.display import filesize
from connector import ds_settings, editor, emails
from connector.keys import editor_name
from connector.models import DocumentKey, SaveRequest

ROOT = Path(settings.BASE_DIR)
# Every language but the source language has a catalog: locale/<code>/LC_MESSAGES/django.po and its .mo.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Each language's plural rule, as gettext writes it (French: 0 and 1 are singular; German and Spanish: only 1).
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
}
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


def _po_file(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def _in(language: str, client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _german(client: Client) -> Client:
    return _in("de", client)


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
    return ds_settings.update(
        public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret="s" * 32
    )


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


# What the home, space, file and members pages say in French and Spanish, as the German test above checks.
PAGES = {
    "fr": {
        "home": ["Mes espaces", "Nouvel espace", "1 fichier"],
        "space": [
            "Choisir des fichiers",
            "Membres",
            "Plus d\u2019actions",
            'data-failed="Échec de l\u2019importation.',
        ],
        "detail": [
            "Historique des versions",
            "Importer une nouvelle version",
            ">Import</span>",
            'data-msg-reload="Recharger"',
        ],
        "members": ["Lecteur", "Éditeur"],
        "login": "Connectez-vous pour voir vos espaces et vos fichiers.",
    },
    "es": {
        "home": ["Mis espacios", "Nuevo espacio", "1 archivo"],
        "space": ["Elegir archivos", "Miembros", "Más acciones", 'data-failed="Error al subir.'],
        "detail": ["Historial de versiones", "Subir una nueva versión", ">Subida</span>", 'data-msg-reload="Recargar"'],
        "members": ["Lector", "Editor"],
        "login": "Inicia sesión para ver tus espacios y archivos.",
    },
}


@pytest.mark.parametrize("language", sorted(PAGES))
def test_it_shows_the_home_space_and_file_pages_in_french_and_spanish(language: str, personas, make_attachment) -> None:
    expected = PAGES[language]
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    client = _in(language, personas.client_for("owner"))

    home = _page(client, reverse("home"))
    assert f'<html lang="{language}">' in home
    assert all(text in home for text in expected["home"]), expected["home"]
    assert "My spaces" not in home

    space = _page(client, reverse("space_detail", args=[personas.space.pk]))
    assert all(text in space for text in expected["space"]), expected["space"]
    assert "Choose files" not in space

    detail = _page(client, reverse("attachment_detail", args=[attachment.pk]))
    assert all(text in detail for text in expected["detail"]), expected["detail"]
    assert "Version history" not in detail

    members = _page(client, reverse("space_members", args=[personas.space.pk]))
    assert all(text in members for text in expected["members"]), expected["members"]


@pytest.mark.parametrize("language", sorted(PAGES))
def test_it_shows_the_login_page_in_a_french_or_spanish_browsers_language(language: str, db) -> None:
    accept = f"{language}-{language.upper()},{language};q=0.9,en;q=0.5"
    html = Client(headers={"accept-language": accept}).get(reverse("login")).content.decode()
    assert f'<html lang="{language}">' in html
    assert PAGES[language]["login"] in html


def test_it_writes_french_with_its_own_quotes_spaces_and_units() -> None:
    with translation.override("fr"):
        created = translation.gettext("The space “%(name)s” was created.") % {"name": "Plan"}
        question = translation.gettext("Delete “%(title)s” for good?") % {"title": "Plan.docx"}
        size = filesize(100 * 1024 * 1024)
    assert created == "L\u2019espace «\u202fPlan\u202f» a été créé."
    assert question == "Supprimer définitivement «\u202fPlan.docx\u202f»\u202f?"
    assert size.endswith("\u00a0Mio")
    with translation.override("es"):
        question = translation.gettext("Delete “%(title)s” for good?") % {"title": "Plan.docx"}
    assert question == "¿Eliminar definitivamente «Plan.docx»?"


def test_it_shows_the_onlyoffice_settings_page_in_german(personas) -> None:
    html = _page(_german(personas.client_for("staff")), reverse("onlyoffice-settings"))
    assert "ONLYOFFICE-Einstellungen" in html and "Sicherheit" in html and "Speichern und prüfen" in html
    assert "Kein JWT-Schlüssel gesetzt" in html


def test_it_shows_the_login_page_in_the_browsers_language(db) -> None:
    html = Client(headers={"accept-language": "de-DE,de;q=0.9"}).get(reverse("login")).content.decode()
    assert "Melden Sie sich an, um Ihre Bereiche und Dateien zu sehen." in html


# --- The language switcher -----------------------------------------------------------------------------------------


def test_it_names_each_language_in_that_language() -> None:
    assert settings.LANGUAGES == [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]


@pytest.mark.parametrize("language", ["fr", "es"])
def test_it_lists_every_language_in_the_menu_in_its_own_name_whatever_the_page_language(personas, language) -> None:
    html = _page(_in(language, personas.client_for("viewer")), reverse("home"))
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', html, re.S)
    assert form, "the user menu has a form posting to set_language"
    for code, name in settings.LANGUAGES:
        current = ' aria-current="true"' if code == language else ""
        assert re.search(
            rf'value="{code}" class="menu-item" lang="{code}"{current}>.*?{name}</button>', form.group(0), re.S
        )
    assert {"fr": ">Langue<", "es": ">Idioma<"}[language] in form.group(0)


@pytest.mark.parametrize("language", ["fr", "es"])
def test_it_switches_to_french_and_spanish(personas, language: str) -> None:
    client = personas.client_for("editor")
    space_url = reverse("space_detail", args=[personas.space.pk])
    response = client.post(reverse("set_language"), {"language": language, "next": space_url})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    assert PAGES[language]["space"][0] in _page(client, space_url)


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
    assert "Der ONLYOFFICE Document Server war nicht erreichbar." in german

    english = _editor_config(_page(personas.client_for("editor"), url))["editorConfig"]
    assert (english["lang"], english["region"]) == ("en", "en-US")


@pytest.mark.parametrize(
    ("language", "lang", "region"),
    [("en", "en", "en-US"), ("de", "de", "de-DE"), ("fr", "fr", "fr-FR"), ("es", "es", "es-ES")],
)
def test_it_opens_the_editor_in_each_language_with_its_region(
    personas, make_attachment, onlyoffice, language: str, lang: str, region: str
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    html = _page(_in(language, personas.client_for("editor")), reverse("onlyoffice-editor", args=[attachment.pk]))
    editor_config = _editor_config(html)["editorConfig"]
    assert (editor_config["lang"], editor_config["region"]) == (lang, region)
    assert f'<html lang="{language}">' in html


def test_it_knows_a_region_for_every_language() -> None:
    assert set(editor._REGIONS) == {code for code, _name in settings.LANGUAGES}


@pytest.mark.parametrize(
    ("language", "unreachable"),
    [
        ("fr", "Impossible de joindre ONLYOFFICE Document Server."),
        ("es", "No se pudo acceder a ONLYOFFICE Document Server."),
    ],
)
def test_it_explains_the_editor_page_in_french_and_spanish(
    personas, make_attachment, onlyoffice, language: str, unreachable: str
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    html = _page(_in(language, personas.client_for("viewer")), reverse("onlyoffice-editor", args=[attachment.pk]))
    assert unreachable in html
    view_only = {
        "fr": "Vous pouvez consulter ce fichier\u202f; pour le modifier, il vous faut le rôle Éditeur dans "
        "l\u2019espace.",
        "es": "Puedes ver este archivo; para editarlo necesitas el rol Editor en el espacio.",
    }[language]
    assert view_only in html


def test_it_explains_view_only_mode_in_german(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space, "Plan.docx")
    html = _page(_german(personas.client_for("viewer")), reverse("onlyoffice-editor", args=[attachment.pk]))
    assert "Sie können diese Datei ansehen; zum Bearbeiten brauchen Sie die Rolle Bearbeiter im Bereich." in html


# --- E-mails --------------------------------------------------------------------------------------------------------


def test_it_sends_a_mention_mail_in_the_language_of_the_page_it_came_from(personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    client = _in("fr", personas.client_for("editor"))
    body = {"emails": [personas.viewer.email], "message": "Voir les chiffres"}
    url = reverse("onlyoffice-event-notify", args=[attachment.pk])

    response = client.post(url, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == [personas.viewer.email]
    assert message.subject == f"{editor_name(personas.editor)} a fait mention de vous dans Plan.docx"
    assert message.body.startswith("Voir les chiffres\n\nOuvrir le fichier\u00a0: http")


def _failed_save(personas, attachment, *, editor=None) -> SaveRequest:
    key = DocumentKey.objects.create(attachment=attachment, key="i18n-key-1", base_version=1)
    return SaveRequest.objects.create(
        attachment=attachment,
        document_key=key,
        callback_status=2,
        dedupe_key="i18n-key-1:2",
        state=SaveRequest.State.FAILED,
        editor=editor,
        attempts=5,
        last_error="The Document Server did not answer in time.",
    )


def test_it_writes_the_failed_save_mail_in_french(personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    save = _failed_save(personas, attachment, editor=personas.editor)

    with translation.override("fr"):
        emails.failure_notify(save_request_id=save.pk)
        when = timezone.localtime(save.created_at)

    [message] = mail.outbox
    assert message.to == [personas.owner.email]  # the space's admins
    assert message.subject == "Les modifications de «\u202fPlan.docx\u202f» n\u2019ont pas pu être enregistrées"
    assert message.body.startswith(
        f"Les modifications apportées par {editor_name(personas.editor)} à «\u202fPlan.docx\u202f» dans ONLYOFFICE le "
    )
    assert str(when.year) in message.body
    assert "Motif\u00a0: The Document Server did not answer in time." in message.body
    assert "«\u202fRelancer l\u2019enregistrement échoué\u202f»" in message.body
    assert re.search("«\u202f[^«»]*manage\\.py onlyoffice recover\u202f»", message.body)  # the command verbatim
    assert message.body.rstrip().endswith(reverse("attachment_detail", args=[attachment.pk]))


def test_it_writes_the_lost_save_mail_in_spanish_with_an_unknown_editor(personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    save = _failed_save(personas, attachment)
    save.state = SaveRequest.State.LOST
    save.save(update_fields=["state"])

    with translation.override("es"):
        emails.failure_notify(save_request_id=save.pk)

    [message] = mail.outbox
    assert message.subject == "Se perdieron los cambios en «Plan.docx»"
    assert message.body.startswith("Los cambios que una persona desconocida hizo en «Plan.docx» en ONLYOFFICE el ")
    assert "no se pueden recuperar" in message.body and "Motivo: " in message.body


# --- The catalog ---------------------------------------------------------------------------------------------------


def _catalog(language: str):
    with _po_file(language).open("rb") as po:
        return read_po(po)


def _strays(text: str) -> list[str]:
    # Jinja2's newstyle gettext always %-formats, so a stray "%" in a translation would break the page.
    return sorted(token for token in PLACEHOLDER.findall(text) if token == "%" or token == "%%")


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_translates_every_message_without_fuzzy_entries_and_with_the_same_placeholders(language: str) -> None:
    catalog = _catalog(language)
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
    assert not problems, f"locale/{language}: " + "\n".join(problems)


@pytest.fixture(scope="module")
def extracted() -> set[tuple[str | None, str]]:
    """(context, message id) of every string the code and the templates mark, as `make messages` extracts them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
    return {
        (context, message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }


def test_it_extracts_the_strings_of_every_app_of_the_project() -> None:
    # An app left out of babel.cfg would show its words in English in every language, and the catalog tests
    # below, which read babel.cfg too, would not notice.
    from django.apps import apps

    cfg = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    ours = [config.name for config in apps.get_app_configs() if (ROOT / config.name).is_dir()]
    assert ours and [name for name in ours if f"[python: {name}/**.py]" not in cfg] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_has_every_string_of_the_code_and_templates_in_the_catalog(language: str, extracted) -> None:
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _catalog(language) if m.id}
    missing = sorted(message for _context, message in extracted - known)
    assert not missing, f"not in locale/{language}/LC_MESSAGES/django.po (run `make messages`, then translate):\n" + (
        "\n".join(missing)
    )


def _entries(catalog) -> dict:
    """(context, id) → translation; read_mo gives plural forms as lists and contexts as bytes, read_po does not."""

    def plain(value):
        if isinstance(value, bytes):
            return value.decode()
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(plain(m.context), plain(m.id)): plain(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_ships_a_compiled_catalog_that_matches_the_po_file(language: str) -> None:
    with _po_file(language).with_suffix(".mo").open("rb") as mo:
        compiled_catalog = read_mo(mo)
    compiled = _entries(compiled_catalog)
    source = _entries(_catalog(language))
    assert compiled == source, f"locale/{language}/LC_MESSAGES/django.mo is stale: run `make messages`"
    assert compiled_catalog.plural_forms == PLURAL_FORMS[language]


def test_it_keeps_a_catalog_for_every_language_and_makes_messages_update_each() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^MESSAGE_LANGUAGES := (.*)$", makefile, re.M)
    assert declared, "the Makefile names the languages `make messages` updates"
    assert declared.group(1).split() == TRANSLATED
    assert sorted(PLURAL_FORMS) == sorted(TRANSLATED), "each language's plural rule is known to these tests"
    for language in TRANSLATED:
        assert _po_file(language).is_file() and _po_file(language).with_suffix(".mo").is_file()


# --- Plural forms --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_declares_each_languages_plural_forms(language: str) -> None:
    text = _po_file(language).read_text(encoding="utf-8")
    assert f'"Plural-Forms: {PLURAL_FORMS[language]}\\n"' in text
    catalog = _catalog(language)
    assert catalog.plural_forms == PLURAL_FORMS[language]
    assert catalog.locale is not None and str(catalog.locale) == language
    # Every plural entry has exactly one translation per form.
    short = [m.id[0] for m in catalog if m.pluralizable and len(m.string) != catalog.num_plurals]
    assert not short, short


PLURALS_0_1_2 = {
    "fr": ["0 fichier", "1 fichier", "2 fichiers"],  # French: 0 is singular
    "es": ["0 archivos", "1 archivo", "2 archivos"],
    "de": ["0 Dateien", "1 Datei", "2 Dateien"],
}


@pytest.mark.parametrize("language", sorted(PLURALS_0_1_2))
def test_it_renders_a_plural_message_right_for_0_1_and_2(language: str) -> None:
    with translation.override(language):
        # Through Django (whose own fr/es catalogs use other plural rules: ours must win for our messages) ...
        direct = [translation.ngettext("%(num)d file", "%(num)d files", n) % {"num": n} for n in (0, 1, 2)]
        # ... and through a Jinja2 page, as the home page counts files.
        template = engines["jinja2"].from_string('{{ ngettext("%(num)d file", "%(num)d files", n) }}')
        rendered = [template.render({"n": n}) for n in (0, 1, 2)]
    assert direct == PLURALS_0_1_2[language]
    assert rendered == PLURALS_0_1_2[language]


def test_it_gives_the_singular_of_french_to_zero_and_one_and_of_spanish_to_one_only() -> None:
    message = (
        "Too many failed logins for this username from your address. Wait %(minutes)d minute before you try again, "
        "or ask an administrator to unlock your account."
    )
    plural = message.replace("minute before", "minutes before")

    def wait(language: str, n: int) -> str:
        with translation.override(language):
            return translation.ngettext(message, plural, n) % {"minutes": n}

    assert "Attendez 0 minute avant" in wait("fr", 0)
    assert "Attendez 1 minute avant" in wait("fr", 1)
    assert "Attendez 2 minutes avant" in wait("fr", 2)
    assert "Espera 0 minutos antes" in wait("es", 0)
    assert "Espera 1 minuto antes" in wait("es", 1)
    assert "Espera 2 minutos antes" in wait("es", 2)


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
JS_ALLOWED = {
    "use strict",
    "Accept",
    "Enter",
    "Escape",
    "svg use",
    "btn btn-ghost",
    "flash flash-warning",
    "muted small",
    ".col-modified time",
}


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
