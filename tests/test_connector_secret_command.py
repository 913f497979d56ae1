"""`onlyoffice settings`: JWT goes off only with `--clear-secret`; an empty `--secret` changes nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import CommandError, call_command

from connector import ds_settings
from connector.models import ConnectorSettings
from tests.support.onlyoffice_env import clear_onlyoffice_environment
from tests.support.workers import BASE_DIR, database_url

SECRET = "a-long-random-secret-shared-with-the-document-server"
ENV_SECRET = "the-secret-from-ONLYOFFICE_JWT_SECRET-in-the-environment"


@pytest.fixture(autouse=True)
def _no_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    clear_onlyoffice_environment(monkeypatch, settings)


def run_settings(*args: str) -> str:
    out = io.StringIO()
    call_command("onlyoffice", "settings", *args, stdout=out)
    return out.getvalue()


def stored_secret() -> str:
    return ConnectorSettings.objects.get(pk=ds_settings.SETTINGS_PK).jwt_secret


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_it_refuses_an_empty_secret_and_keeps_the_stored_one(db: None, value: str) -> None:
    ds_settings.update(jwt_secret=SECRET)

    with pytest.raises(CommandError, match="--clear-secret") as raised:
        run_settings("--secret", value)

    assert "Nothing was changed." in str(raised.value)
    assert stored_secret() == SECRET
    assert ds_settings.current().jwt_enabled is True


def test_it_refuses_an_empty_secret_from_standard_input(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ds_settings.update(jwt_secret=SECRET)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))

    with pytest.raises(CommandError, match="--clear-secret"):
        run_settings("--secret", "-", "--url", "https://docs.example.com")

    assert stored_secret() == SECRET
    assert ConnectorSettings.objects.get(pk=ds_settings.SETTINGS_PK).public_url == ""  # nothing else changed either


def test_it_clears_the_stored_secret_when_asked_to(db: None) -> None:
    ds_settings.update(jwt_secret=SECRET)

    output = run_settings("--clear-secret")

    assert stored_secret() == ""
    assert ds_settings.current().jwt_enabled is False
    assert "No JWT secret" in output


def test_it_falls_back_to_the_environments_secret_once_the_stored_one_is_cleared(db: None, settings) -> None:
    settings.ONLYOFFICE_JWT_SECRET = ENV_SECRET
    ds_settings.update(jwt_secret=SECRET)

    run_settings("--clear-secret")

    assert ds_settings.current().jwt_secret == ENV_SECRET
    assert ds_settings.sources()["jwt_secret"] == "environment"


def test_it_refuses_a_secret_and_clear_secret_together(db: None) -> None:
    ds_settings.update(jwt_secret=SECRET)

    with pytest.raises(CommandError, match="not allowed with"):
        run_settings("--secret", "another-long-random-secret-for-the-server", "--clear-secret")

    assert stored_secret() == SECRET


@pytest.mark.django_db(transaction=True)
def test_it_refuses_an_empty_standard_input_in_a_real_process() -> None:
    ds_settings.update(jwt_secret=SECRET)
    # The row is cached in files (or Redis) the other process shares: drop it, so it reads the database.
    cache.delete(ds_settings.CACHE_KEY)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": database_url(),
        "TEST_RUN_DIR": str(django_settings.TEST_RUN_DIR),
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "onlyoffice", "settings", "--secret", "-"],
        cwd=BASE_DIR,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode != 0
    assert "--clear-secret" in done.stderr
    assert "Saved." not in done.stdout
    assert stored_secret() == SECRET
