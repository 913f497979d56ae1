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
            "static": static_url,
            "get_messages": messages.get_messages,
            "format_lazy": format_lazy,
            "get_current_language": translation.get_language,
            "available_languages": settings.LANGUAGES,
        }
    )
    env.filters.update({"filesize": filesize, "datetime": datetime_format})
    return env
