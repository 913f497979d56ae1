"""Tests decide the ONLYOFFICE environment: none of the machine's ONLYOFFICE_* variables apply."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from connector import ds_settings


def clear_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Unset every ONLYOFFICE_* fallback: in this process's parsed settings (what connector.ds_settings reads) and in
    the environment (what processes a test starts inherit and parse)."""
    for field, name in ds_settings.ENV_VARIABLES.items():
        monkeypatch.delenv(name, raising=False)
        # What config/settings.py makes of an unset variable.
        setattr(settings, name, None if field == "verify_tls" else "")
    monkeypatch.delenv("ONLYOFFICE_JWT_SECRET_FILE", raising=False)
