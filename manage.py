#!/usr/bin/env python3
"""Django's command line: ``./manage.py <command>`` in a checkout, ``python manage.py <command>`` in the image.

In a checkout it needs no activated virtualenv and no variable: when the Python that started it cannot import
Django, it runs itself again with the checkout's ``.venv/bin/python`` (which ``make run`` makes), and in a data
folder ``make run`` marked it runs in development mode (config/devmode.py says when, and why a deployment never
does).
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
VENV = BASE_DIR / ".venv"


def _django_importable() -> bool:
    try:
        import django  # noqa: F401
    except ImportError:
        return False
    return True


def _use_the_checkouts_venv() -> None:
    """Run again with .venv's Python when this one lacks Django, or say in one line what to run."""
    if _django_importable():
        return
    venv_python = VENV / "bin" / "python"
    # Already running in .venv (its install failed half-way): starting it again would loop.
    in_venv = Path(sys.prefix).resolve() == VENV.resolve()
    if venv_python.exists() and not in_venv:
        # Not resolved: the venv's Python finds its packages through the path it is started by.
        os.execv(venv_python, [str(venv_python), __file__, *sys.argv[1:]])  # noqa: S606 -- no shell wanted
    # Django is not importable here, so neither is its gettext: this line stays English.
    sys.exit(
        f"manage.py: Django is not installed for {sys.executable}: run `make run` in {BASE_DIR} first (it creates "
        ".venv and installs the dependencies), or activate the virtualenv Django is installed in"
    )


def main() -> None:
    _use_the_checkouts_venv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.devmode import development_defaults
    from config.env import settings_or_exit

    # Only for the project's own settings: another module (config.test_settings) brings its own defaults.
    if os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings":
        development_defaults()
    settings_or_exit()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
