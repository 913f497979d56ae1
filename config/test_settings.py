"""Settings for the test suite: the base settings plus what makes tests fast and hermetic.

Both the test process and the ``celery worker`` processes some tests start (tests/support/workers.py) load
this module. A worker is told through ``TEST_*`` variables where the test process keeps its run folder
(cache, SQLite test database), its files and its broker, so that both sides see the same state.
"""

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

# Tests never need a real secret; set before the base settings demand one.
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-tests-only")

from config.settings import *  # noqa: F403
from config.settings import DATA_DIR, DATABASES, REDIS_URL


def _run_dir() -> Path:
    """A folder of this test run, removed when the process that made it exits; workers reuse their parent's."""
    given = os.environ.get("TEST_RUN_DIR")
    if given:
        return Path(given)
    # One folder per process: several test runs may share DATA_DIR (and so the checkout) at once.
    path = Path(tempfile.mkdtemp(prefix="test-run-", dir=DATA_DIR))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


TEST_RUN_DIR = _run_dir()

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's default in-memory test database, so that worker processes can open it too.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "test-db.sqlite3")}
elif not os.environ.get("TEST_RUN_DIR"):
    # One test database per run, not Django's fixed test_<name>: two runs on one server (a developer's and an
    # editor's check, or CI's two storage runs) would otherwise drop each other's database mid-run. Workers are
    # given the test database's own name in DATABASE_URL and create nothing.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{TEST_RUN_DIR.name[9:]}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Shared with the workers (unlike the local-memory cache), so that a value one process sets the other sees.
if REDIS_URL:
    # The prefix keeps this run's keys apart from other runs on the same Redis database.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": TEST_RUN_DIR.name,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(TEST_RUN_DIR / "cache"),
        }
    }
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # The `_isolated_media` fixture gives each test its own folder and hands it to workers this way.
        "OPTIONS": {"location": os.environ.get("TEST_MEDIA_ROOT") or str(TEST_RUN_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Unit tests run tasks inline; the tests that need a real worker start `celery worker` processes themselves,
# which must not run the tasks they send on inline.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TEST_CELERY_WORKER") != "1"
CELERY_TASK_EAGER_PROPAGATES = True
# Off unless a test turns it on (tests/test_thumbnails.py): a thumbnail per upload would add requests and files
# that other tests count.
CONNECTOR_THUMBNAILS = False
if os.environ.get("TEST_CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["TEST_CELERY_BROKER_URL"]
    CELERY_BROKER_TRANSPORT_OPTIONS = json.loads(os.environ.get("TEST_CELERY_BROKER_OPTIONS") or "{}")
