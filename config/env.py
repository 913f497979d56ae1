"""Strict parsing of environment variables.

A typo in a deployment variable must stop the process at start-up with a message that names the
variable, never silently fall back to a default (``DJANGO_DEBUG=flase`` is an error, not False).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import overload

from django.core.exceptions import ImproperlyConfigured

from config.validators import InvalidValue

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's value, or the contents of the file named by ``<name>_FILE`` (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path!r}: {exc.strerror}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


@overload
def env_bool(name: str, default: bool) -> bool: ...
@overload
def env_bool(name: str, default: None) -> bool | None: ...
def env_bool(name: str, default: bool | None) -> bool | None:
    """True or false; ``default`` when unset (None lets the caller tell "unset" from either)."""
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of true/false, 1/0, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from exc
    if not value >= minimum:  # also refuses nan
        raise ImproperlyConfigured(f"{name}={raw} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_checked(name: str, rule: Callable[[str], str]) -> str:
    """The variable's value as cleaned by ``rule`` (config/validators.py), or "" when unset.

    The message names the variable but never repeats the value: it may be a secret, or a URL with a password.
    """
    raw = env_str(name)
    if raw is None:
        return ""
    try:
        return rule(raw)
    except InvalidValue as exc:
        raise ImproperlyConfigured(f"{name}: {exc.message}") from None  # the message says it all


def settings_or_exit(*, exit_status: int = 1) -> None:
    """Load the settings now; a bad variable ends the process with its message and ``exit_status``.

    For the entry points a person starts (manage.py, gunicorn through config/wsgi.py, Celery through
    config/celery_app.py): the one line is what the operator needs, a traceback through Django's setup only hides it.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- the first read loads the settings module
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
        sys.exit(exit_status)
