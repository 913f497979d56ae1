"""Development mode for a checkout: what lets ``./manage.py <command>`` work as printed after ``make run``.

``make run`` starts everything with ``DJANGO_DEBUG=true`` and marks its data folder (``var/development``). A
command typed later in another shell (``./manage.py changepassword admin``, as the demo prints it) gets no such
variable, and the production settings would stop it for want of ``DJANGO_SECRET_KEY``. So manage.py turns
development mode on by itself, but only when all of these hold:

- ``DJANGO_DEBUG`` is not set at all: an explicit value, true or false, always wins;
- neither ``DJANGO_SECRET_KEY`` nor ``DJANGO_SECRET_KEY_FILE`` is set: a deployment needs one to start at all,
  so a deployment never qualifies, whatever its data folder holds;
- the data folder holds the marker, which only ``make run`` writes: the Docker image has none (its data folder
  is the ``/data`` volume, ``var/`` is not copied into it, and it sets ``DJANGO_DEBUG=false`` anyway).

Only manage.py applies this rule; gunicorn and Celery never do (``make run`` gives its own processes
``DJANGO_DEBUG=true``). ``python -m config.devmode`` writes the marker (the Makefile's ``run``).
"""

from __future__ import annotations

import os
from pathlib import Path

from config.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent
MARKER_NAME = "development"
MARKER_TEXT = """\
Written by `make run`. While this file is here, ./manage.py in this checkout runs in development mode
(DJANGO_DEBUG=true) unless DJANGO_DEBUG, DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE is set (config/devmode.py).
Delete it to turn that off.
"""


def data_dir() -> Path:
    """The data folder: ``DATA_DIR``, else ``var/`` in the checkout (the same rule as config/settings.py)."""
    return Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()


def marker_path() -> Path:
    return data_dir() / MARKER_NAME


def mark() -> Path:
    """Mark the data folder as a development one (idempotent)."""
    path = marker_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MARKER_TEXT, encoding="utf-8")
    return path


def development_defaults() -> bool:
    """Set ``DJANGO_DEBUG=true`` in this process's environment when the rule above allows it; True if it did."""
    if "DJANGO_DEBUG" in os.environ:
        return False
    if os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY_FILE"):
        return False
    if not marker_path().is_file():
        return False
    os.environ["DJANGO_DEBUG"] = "true"
    return True


if __name__ == "__main__":
    mark()
