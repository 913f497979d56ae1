"""`manage.py check --deploy` under a documented production environment (README, Configuration) is clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path: Path) -> dict[str, str]:
    # Start from a clean slate: a developer's DJANGO_* or test variables must not leak into the check.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "TEST_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "attachments.example.com",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://attachments.example.com",
            "DJANGO_SECURE_SSL_REDIRECT": "true",
            "DJANGO_HSTS_SECONDS": "31536000",
            "DJANGO_HSTS_PRELOAD": "true",
            "DJANGO_BEHIND_PROXY": "true",
            "DATA_DIR": str(tmp_path),
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_with_the_documented_production_settings(tmp_path: Path) -> None:
    result = _check_deploy(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "warning"),
    [
        ("DJANGO_HSTS_SECONDS", "0", "security.W004"),
        ("DJANGO_SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("DJANGO_SECURE_COOKIES", "false", "security.W012"),
    ],
)
def test_it_warns_when_a_production_safeguard_is_turned_off(tmp_path: Path, variable, value, warning) -> None:
    # Proves the check above can fail: the same environment minus one safeguard is reported.
    env = {**_production_env(tmp_path), variable: value}
    result = _check_deploy(env)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr
