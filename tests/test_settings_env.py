"""Settings come from the environment, parsed strictly: a typo stops the process with a message naming the
variable, secrets can come from files, and production refuses to start without a secret key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from config import validators
from config.env import env_bool, env_checked, env_int, env_list, env_str
from connector import ds_settings
from tests.support.production import run_in_production_environment, run_with_production_settings


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("YES", True), (" 1 ", True), ("off", False), ("0", False)]
)
def test_it_reads_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)

    assert env_bool("SOME_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["flase", "2", "enabled"])
def test_it_refuses_a_boolean_it_cannot_read_and_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match=rf"SOME_FLAG='{raw}' is not a boolean"):
        env_bool("SOME_FLAG", False)


def test_it_uses_the_default_for_an_unset_or_empty_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_FLAG", raising=False)
    monkeypatch.setenv("SOME_TEXT", "")

    assert env_bool("SOME_FLAG", True) is True
    assert env_str("SOME_TEXT", "fallback") == "fallback"


def test_it_refuses_bad_numbers_and_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SIZE", "10MB")
    with pytest.raises(ImproperlyConfigured, match="SOME_SIZE='10MB' is not a whole number"):
        env_int("SOME_SIZE", 1)

    monkeypatch.setenv("SOME_SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="SOME_SIZE=0 must be at least 1"):
        env_int("SOME_SIZE", 5, minimum=1)


def test_it_splits_lists_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_HOSTS", " a.example, ,b.example ")

    assert env_list("SOME_HOSTS", []) == ["a.example", "b.example"]


def test_it_reads_a_secret_from_the_file_named_by_the_file_variant(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("SOME_SECRET", "from-the-variable")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))

    assert env_str("SOME_SECRET") == "from-the-file"


def test_it_refuses_a_secret_file_it_cannot_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))

    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE: cannot read"):
        env_str("SOME_SECRET")


def _django_setup(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Start Django with the production settings and nothing in the environment but ``variables``."""
    return run_with_production_settings("import django; django.setup(); print('started')", tmp_path, **variables)


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path: Path) -> None:
    result = _django_setup(tmp_path, DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false" in result.stderr
    assert not (tmp_path / "dev-secret-key").exists()


def test_it_starts_in_production_with_the_secret_key_in_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("a-long-random-production-secret-key-for-this-test-only", encoding="utf-8")

    result = _django_setup(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY_FILE=str(key_file))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_it_refuses_to_start_with_a_misspelt_boolean(tmp_path: Path) -> None:
    result = _django_setup(tmp_path, DJANGO_DEBUG="flase", DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "DJANGO_DEBUG='flase' is not a boolean" in result.stderr


# --- ONLYOFFICE_* ---------------------------------------------------------------------------------------------

# Each variable with a bad value, and a piece of the message that says what is wrong with it.
BAD_ONLYOFFICE_VARIABLES = [
    ("ONLYOFFICE_URL", "not a url", "must not contain spaces"),
    ("ONLYOFFICE_INTERNAL_URL", "onlyoffice", "starts with http:// or https://"),
    ("ONLYOFFICE_CONNECTOR_URL", "http://web:99999", "port"),
    ("ONLYOFFICE_JWT_SECRET", "a-secret-pasted-with-its-newline\n", "spaces or line breaks"),
    ("ONLYOFFICE_JWT_SECRET_FILE", "/nonexistent/jwt-secret", "cannot read"),
    ("ONLYOFFICE_JWT_HEADER", "Authorization: Bearer", "no spaces or colons"),
    ("ONLYOFFICE_VERIFY_TLS", "flase", "is not a boolean"),
]
PRODUCTION_KEY = "a-long-random-production-secret-key-for-this-test-only"


def _manage_py(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return run_in_production_environment(
        [sys.executable, "manage.py", *args], tmp_path, DJANGO_SECRET_KEY=PRODUCTION_KEY, **variables
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("not a url", "public_url"),
        ("docs.example.com", "public_url"),
        ("https://user:hunter2@docs.example.com", "internal_url"),
        ("http://onlyoffice/?a=1", "connector_url"),
        ("Authorization Jwt", "jwt_header"),
        (" s3cr3t-value", "jwt_secret"),
    ],
)
def test_it_checks_an_onlyoffice_variable_by_the_settings_pages_own_rule(
    monkeypatch: pytest.MonkeyPatch, value: str, field: str
) -> None:
    variable = ds_settings.ENV_VARIABLES[field]
    rule = {"jwt_header": validators.header_name, "jwt_secret": validators.jwt_secret}.get(field, validators.http_url)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as on_the_page:
        ds_settings.validate(**{field: value})

    with pytest.raises(ImproperlyConfigured) as at_start_up:
        env_checked(variable, rule)

    assert str(at_start_up.value) == f"{variable}: {' '.join(on_the_page.value.messages)}"
    assert value.strip() not in str(at_start_up.value)  # a password in a URL, a secret: never repeated


@pytest.mark.parametrize(("name", "value", "fragment"), BAD_ONLYOFFICE_VARIABLES)
def test_it_stops_manage_py_check_with_one_line_naming_a_bad_onlyoffice_variable(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    result = _manage_py(tmp_path, "check", **{name: value})

    assert result.returncode == 1
    assert result.stderr.startswith(f"Configuration error: {name}")
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_starts_with_good_onlyoffice_variables_and_cleans_them(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text("a-secret-from-a-file\n", encoding="utf-8")
    variables = {
        "ONLYOFFICE_URL": "https://docs.example.com/",
        "ONLYOFFICE_INTERNAL_URL": "http://onlyoffice",
        "ONLYOFFICE_CONNECTOR_URL": "http://web:8000/",
        "ONLYOFFICE_JWT_SECRET_FILE": str(secret_file),
        "ONLYOFFICE_JWT_HEADER": "AuthorizationJwt",
        "ONLYOFFICE_VERIFY_TLS": "off",
    }
    show = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({n: getattr(settings, n) for n in dir(settings) if n.startswith('ONLYOFFICE_')}))"
    )

    check = _manage_py(tmp_path, "check", **variables)
    shown = run_with_production_settings(show, tmp_path, DJANGO_SECRET_KEY=PRODUCTION_KEY, **variables)
    unset = run_with_production_settings(show, tmp_path, DJANGO_SECRET_KEY=PRODUCTION_KEY)

    assert check.returncode == 0, check.stderr
    assert json.loads(shown.stdout) == {
        "ONLYOFFICE_URL": "https://docs.example.com",
        "ONLYOFFICE_INTERNAL_URL": "http://onlyoffice",
        "ONLYOFFICE_CONNECTOR_URL": "http://web:8000",
        "ONLYOFFICE_JWT_SECRET": "a-secret-from-a-file",
        "ONLYOFFICE_JWT_HEADER": "AuthorizationJwt",
        "ONLYOFFICE_VERIFY_TLS": False,
        "ONLYOFFICE_DOWNLOAD_REDIRECT": "off",
        "ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS": 120,
    }, shown.stderr
    assert json.loads(unset.stdout) == {
        "ONLYOFFICE_URL": "",
        "ONLYOFFICE_INTERNAL_URL": "",
        "ONLYOFFICE_CONNECTOR_URL": "",
        "ONLYOFFICE_JWT_SECRET": "",
        "ONLYOFFICE_JWT_HEADER": "",
        "ONLYOFFICE_VERIFY_TLS": None,
        "ONLYOFFICE_DOWNLOAD_REDIRECT": "off",
        "ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS": 120,
    }, unset.stderr


def test_it_stops_gunicorn_at_a_bad_onlyoffice_variable(tmp_path: Path) -> None:
    # Without the check at start-up gunicorn would serve (and answer 500): the timeout would end the test.
    result = run_in_production_environment(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"],
        tmp_path,
        DJANGO_SECRET_KEY=PRODUCTION_KEY,
        ONLYOFFICE_URL="not a url",
    )

    assert result.returncode != 0
    assert "ONLYOFFICE_URL: The URL must not contain spaces" in result.stderr
    # gunicorn.conf.py checks in the master: one line, no worker booted, no traceback.
    assert result.stderr.count("Configuration error: ONLYOFFICE_URL") == 1
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr


def test_it_stops_the_celery_worker_at_a_bad_onlyoffice_variable(tmp_path: Path) -> None:
    result = run_in_production_environment(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO"],
        tmp_path,
        DJANGO_SECRET_KEY=PRODUCTION_KEY,
        ONLYOFFICE_VERIFY_TLS="flase",
    )

    assert result.returncode != 0
    assert "ONLYOFFICE_VERIFY_TLS='flase' is not a boolean" in result.stderr
    assert "ready." not in result.stdout + result.stderr
