"""The Jinja2 environment for the project's pages (templates/)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.contrib import messages
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.text import format_lazy
from jinja2 import Environment
from markupsafe import Markup, escape

from attachments.display import datetime_format, filesize, filesize_scale, user_name
from connector.desktop_editors import login_element as desktop_editors_login


def url(viewname: str, *args: object, **kwargs: object) -> str:
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


@functools.lru_cache(maxsize=1024)
def static_url(path: str) -> str:
    """``static()``, worked out once per path and process: every page links the same few files, and the
    manifest that maps them to their hashed names is fixed when the process starts (a lookup per link otherwise)."""
    return static(path)


def _static_settings_changed(*, setting: str, **_kwargs: object) -> None:
    # Tests that change where static files live must not get the previous answer.
    if setting in {"STATIC_URL", "STORAGES", "STATIC_ROOT"}:
        static_url.cache_clear()


setting_changed.connect(_static_settings_changed)


def icon(name: str, label: str = "") -> Markup:
    """An icon of the page's sprite (templates/_sprite.html); decorative unless it has a label.

    Functions, not macros: a list page draws a few icons per row, and a macro call costs Jinja several times what
    the function does (so does ``Markup.format``; adding a str to Markup escapes it, and is cheap).
    """
    if label:
        opening = Markup('<svg class="icon" role="img" aria-label="') + label + Markup('" focusable="false">')
    else:
        opening = Markup('<svg class="icon" aria-hidden="true" focusable="false">')
    return opening + Markup('<use href="#i-') + name + Markup('"></use></svg>')


class MenuEntry(Protocol):
    """An entry ``menu_entries`` draws: an attachments.actions.Action, described here so that config imports no app."""

    @property
    def label(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def icon(self) -> str: ...
    @property
    def new_tab(self) -> bool: ...
    @property
    def method(self) -> str: ...
    @property
    def danger(self) -> bool: ...


def menu_entries(sections: Iterable[Iterable[MenuEntry]], csrf_input: str = "") -> Markup:
    """The entries of a "More actions" menu: attachments.actions.Action objects in the sections of
    ``actions.menu_sections``, a separator before each section after the first; a link each, or a small form with
    ``csrf_input`` for an entry that POSTs.

    A function for the reason ``icon`` is one, and built as one string escaped piece by piece (each ``Markup +``
    has a cost of its own): a list page draws a menu of several entries on every row.
    """
    parts: list[str] = []
    for number, section in enumerate(sections):
        if number:
            parts.append('<hr class="menu-separator">')
        parts.extend(_menu_entry(item, csrf_input) for item in section)
    return Markup("".join(parts))  # noqa: S704 - every piece is escaped or our own literal markup


def _menu_entry(item: MenuEntry, csrf_input: str) -> str:
    css = "menu-item danger" if item.danger else "menu-item"
    # An f-string, not "+": Markup's __radd__ would escape the icon's markup.
    content = f"{_decorative_icon(item.icon) if item.icon else ''}{escape(item.label)}"
    if item.method.lower() == "post":
        target = ' target="_blank"' if item.new_tab else ""
        # Rendered per form, as a template does: Django masks the token anew each time. Its field is safe markup
        # (escape() leaves what has __html__ as it is).
        return (
            f'<form method="post" action="{escape(item.url)}" class="menu-form"{target}>{escape(csrf_input)}'
            f'<button type="submit" class="{css}">{content}</button></form>'
        )
    if item.new_tab:
        hint = escape(translation.gettext("(opens in a new tab)"))
        return (
            f'<a href="{escape(item.url)}" class="{css}" target="_blank" rel="noopener">{content}'
            f'<span class="visually-hidden"> {hint}</span></a>'
        )
    return f'<a href="{escape(item.url)}" class="{css}">{content}</a>'


@functools.lru_cache(maxsize=256)
def _decorative_icon(name: str) -> str:
    return str(icon(name))


# Extension → kind of file, which picks the file icon and its colour (templates/_sprite.html, ft-<kind>). Plain
# text and delimited data have kinds of their own: a Word or workbook icon would promise formatting they lack.
_FILE_KINDS = {
    **dict.fromkeys(("doc", "docx", "docm", "dot", "dotx", "odt", "ott", "rtf", "epub", "fb2", "htm", "html"), "word"),
    **dict.fromkeys(("txt", "text", "md", "markdown", "log"), "text"),
    **dict.fromkeys(("csv", "tsv"), "data"),
    **dict.fromkeys(("xls", "xlsx", "xlsm", "xlt", "xltx", "ods", "ots"), "cell"),
    **dict.fromkeys(("ppt", "pptx", "pptm", "pps", "ppsx", "pot", "potx", "odp", "otp", "key"), "slide"),
    **dict.fromkeys(("pdf", "djvu", "xps", "oxps"), "pdf"),
    **dict.fromkeys(("png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "tif", "tiff", "heic", "avif"), "image"),
    **dict.fromkeys(("zip", "7z", "rar", "tar", "gz", "tgz", "bz2", "xz", "zst"), "archive"),
}


def _file_icon_markup(kind: str) -> Markup:
    return (
        Markup('<svg class="ficon ft-')
        + kind
        + Markup('" aria-hidden="true" focusable="false"><use href="#ft-')
        + kind
        + Markup('"></use></svg>')
    )


_FILE_ICONS = {kind: _file_icon_markup(kind) for kind in {*_FILE_KINDS.values(), "generic"}}


class _HasFileType(Protocol):
    @property
    def file_type(self) -> str: ...


def file_kind(attachment: _HasFileType) -> str:
    """The kind of file (word, cell, slide…), which names its icon: static/js/app.js reads it from a thumbnail's
    ``data-kind`` to put the icon in place of a picture that fails to load."""
    return _FILE_KINDS.get(attachment.file_type, "generic")


def file_icon(attachment: _HasFileType) -> Markup:
    return _FILE_ICONS[file_kind(attachment)]


# Any: Django's Jinja2 backend passes its OPTIONS on to Environment unchanged, whatever they are.
def environment(**options: Any) -> Environment:  # type: ignore[explicit-any]
    # Django's Jinja2 backend passes autoescape=True in options unless told otherwise.
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701
    # Added by the i18n extension when the environment is built; Environment's types do not know it.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(
        {
            "url": url,
            "icon": icon,
            "file_icon": file_icon,
            "file_kind": file_kind,
            "filesize_scale": filesize_scale,
            "menu_entries": menu_entries,
            "user_name": user_name,
            "desktop_editors_login": desktop_editors_login,
            "static": static_url,
            "get_messages": messages.get_messages,
            "format_lazy": format_lazy,
            "get_current_language": translation.get_language,
            "available_languages": settings.LANGUAGES,
        }
    )
    env.filters.update({"filesize": filesize, "datetime": datetime_format})
    return env
