"""Personas, factories and the rules for tests that need real services.

Tests marked ``postgres``, ``redis``, ``browser`` or ``s3`` need that service. Locally they are skipped with a
reason when it is missing; under CI (``REQUIRE_SERVICES=1``, set by .ci/run) a missing service fails them,
so nothing is ever skipped silently where it matters.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client

from attachments import services
from attachments.models import Attachment, Role, Space

if TYPE_CHECKING:
    from tests.support.s3 import S3Server

# The `celery_worker_process` fixture: real worker processes that share this test's database, files and cache.
pytest_plugins = [
    "tests.support.storage_run",
    "tests.support.workers",
    "tests.support.browser",
    "tests.support.canary",
    "tests.support.s3",
    "tests.fakeds.fixtures",
]

User = get_user_model()
PASSWORD = "correct horse battery staple"


def _service_available(name: str) -> tuple[bool, str]:
    if name == "postgres":
        return connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if name == "redis":
        return bool(os.environ.get("REDIS_URL")), "needs Redis: set REDIS_URL=redis://..."
    if name == "browser":
        return Path("/usr/bin/chromium").exists(), "needs Debian chromium at /usr/bin/chromium"
    if name == "s3":
        from tests.support.s3 import server_available  # here: a plugin imported early escapes assert rewriting

        return server_available()
    return True, ""


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    for name in ("postgres", "redis", "browser", "s3"):
        if request.node.get_closest_marker(name) is None:
            continue
        available, reason = _service_available(name)
        if available:
            continue
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"required service missing under CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_media(
    request: pytest.FixtureRequest, settings, tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> Iterator[Path]:
    """Every test writes files into its own folder, so tests never see each other's files.

    The folder is the fixture's value: worker processes started for the test are pointed at it. In the S3 run
    (``--storage=s3``) the default storage is a fresh bucket instead, and the folder stays empty
    (tests/support/storage_run.py).
    """
    from tests.support import storage_run  # here: a plugin imported early escapes assert rewriting

    location = tmp_path_factory.mktemp("media")
    with storage_run.default_storage_for(request, settings, location, s3_server):
        yield location
    shutil.rmtree(location, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_connector_settings() -> Iterator[None]:
    """The cached settings row outlives each test's database rollback: never let it leak into the next test."""
    from django.core.cache import cache

    from connector import ds_settings

    cache.delete(ds_settings.CACHE_KEY)
    yield
    cache.delete(ds_settings.CACHE_KEY)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request in German leaves German active in this thread (LocaleMiddleware never resets it): reset it."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Personas:
    space: Space
    owner: AbstractBaseUser
    editor: AbstractBaseUser
    viewer: AbstractBaseUser
    outsider: AbstractBaseUser
    staff: AbstractBaseUser

    def client_for(self, name: str) -> Client:
        """A logged-in test client for the persona, or an anonymous one for "anonymous"."""
        client = Client()
        if name != "anonymous":
            client.force_login(getattr(self, name))
        return client


def make_user(username: str, **extra: object) -> AbstractBaseUser:
    return User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com", **extra)


@pytest.fixture
def personas(db: None) -> Personas:
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    space = services.space_create(name="Engineering", created_by=owner)
    editor = make_user("eddie", first_name="Eddie", last_name="Editor")
    viewer = make_user("vera", first_name="Vera", last_name="Viewer")
    services.membership_set(space=space, user=editor, role=Role.EDITOR)
    services.membership_set(space=space, user=viewer, role=Role.VIEWER)
    outsider = make_user("oscar", first_name="Oscar", last_name="Outsider")
    staff = make_user("stella", is_staff=True, first_name="Stella", last_name="Staff")
    return Personas(space=space, owner=owner, editor=editor, viewer=viewer, outsider=outsider, staff=staff)


@pytest.fixture
def make_attachment(db: None) -> Callable[..., Attachment]:
    def _make(space: Space, title: str = "report.docx", content: bytes = b"first version", user=None) -> Attachment:
        return services.attachment_create(space=space, title=title, chunks=[content], created_by=user)

    return _make


@pytest.fixture
def upload_limit() -> int:
    return settings.ATTACHMENTS_MAX_UPLOAD_SIZE


@pytest.fixture
def editing_setup(personas: Personas, make_attachment, live_server, fake_ds):
    """The connector pointed at the fake Document Server, which reaches the live server; and a file to edit."""
    from connector import ds_settings

    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original bytes", user=personas.owner)
    return personas, attachment, fake_ds


@pytest.fixture
def inline_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inline tasks run their retries at once, but only when a retry is not raised to the caller as an error."""
    from config.celery_app import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
