"""The Jinja2 environment for the project's pages (templates/)."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import format_lazy
from jinja2 import Environment
from markupsafe import Markup


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


@functools.lru_cache(maxsize=1024)
def static_url(path: str) -> str:
    """``static()``, worked out once per path and process: every page links the same few files, and the
    manifest that maps them to their hashed names is fixed when the process starts (~10 us a link otherwise)."""
    return static(path)


def _static_settings_changed(*, setting: str, **_kwargs: Any) -> None:
    # Tests that change where static files live must not get the previous answer.
    if setting in {"STATIC_URL", "STORAGES", "STATIC_ROOT"}:
        static_url.cache_clear()


setting_changed.connect(_static_settings_changed)


def filesize(num_bytes: int | None) -> str:
    """Human sizes with one decimal (1.5 MB), binary multiples as file managers show them."""
    if num_bytes is None:
        return ""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


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


# Extension → kind of file, which picks the file icon and its colour.
_FILE_KINDS = {
    **dict.fromkeys(
        ("doc", "docx", "docm", "dot", "dotx", "odt", "ott", "rtf", "txt", "md", "epub", "fb2", "htm", "html"), "word"
    ),
    **dict.fromkeys(("xls", "xlsx", "xlsm", "xlt", "xltx", "ods", "ots", "csv", "tsv"), "cell"),
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


def file_icon(attachment: Any) -> Markup:
    return _FILE_ICONS[_FILE_KINDS.get(attachment.file_type, "generic")]


def user_name(user: Any) -> str:
    """How the pages name a person: the full name, else the username; files outlive the accounts that changed them."""
    if not user:  # None (the account was deleted) or, in a template, undefined
        return translation.gettext("Deleted user")
    return user.get_full_name() or user.get_username()


def datetime_format(value: Any, fmt: str = "DATETIME_FORMAT") -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), fmt)


def environment(**options: Any) -> Environment:
    # Django's Jinja2 backend passes autoescape=True in options unless told otherwise.
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(
        {
            "url": url,
            "icon": icon,
            "file_icon": file_icon,
            "user_name": user_name,
            "static": static_url,
            "get_messages": messages.get_messages,
            "format_lazy": format_lazy,
            "get_current_language": translation.get_language,
            "available_languages": settings.LANGUAGES,
        }
    )
    env.filters.update({"filesize": filesize, "datetime": datetime_format})
    return env
