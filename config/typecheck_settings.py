"""The settings the type checker's Django plugin loads (pyproject.toml, ``[tool.django-stubs]``): the base settings.

Not config.test_settings: that module makes a run folder under DATA_DIR which an exit handler removes, and mypy ends
its process without running exit handlers, so every check would leave a folder behind. The plugin only reads the
settings (installed apps, models, the user model); it opens no database, cache or broker.
"""

import os

# The base settings demand a secret outside development; the checker never signs anything.
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-type-checking-only")

from config.settings import *  # noqa: F403
