"""Settings come from the environment, parsed strictly: a typo stops the process with a message naming the
variable, secrets can come from files, and production refuses to start without a secret key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from tests.support.production import run_with_production_settings


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
