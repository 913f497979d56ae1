"""Connector settings: database over environment over default, validation, the shared cache, the command, admin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from connector import ds_settings
from connector.models import ConnectorSettings
from tests.support.onlyoffice_env import clear_onlyoffice_environment

SECRET = "s3cr3t-value-that-must-never-be-printed-anywhere-zz"


@pytest.fixture(autouse=True)
def _clean_slate(monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[None]:
    """No ONLYOFFICE_* variable from the machine, and no settings row cached by an earlier test.

    The variables are parsed when the settings load (tests/test_settings_env.py); here a test sets the parsed
    values, the ``ONLYOFFICE_*`` settings, as config/settings.py would have made them.
    """
    clear_onlyoffice_environment(monkeypatch, settings)
    cache.delete(ds_settings.CACHE_KEY)
    yield
    cache.delete(ds_settings.CACHE_KEY)


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("onlyoffice", "settings", *args, stdout=out)
    return out.getvalue()


# --- precedence -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "variable", "expected", "source"),
    [
        ("https://db.example.com", "https://env.example.com", "https://db.example.com", "database"),
        ("", "https://env.example.com", "https://env.example.com", "environment"),
        ("", "", "", "default"),
        ("https://db.example.com", "", "https://db.example.com", "database"),
    ],
)
def test_it_prefers_the_database_then_the_environment_then_the_default(
    db: None, settings, stored: str, variable: str, expected: str, source: str
) -> None:
    settings.ONLYOFFICE_URL = variable
    ds_settings.update(public_url=stored)

    assert ds_settings.current().public_url == expected
    assert ds_settings.sources()["public_url"] == source
    assert ds_settings.current().configured is bool(expected)


@pytest.mark.parametrize(
    ("stored", "variable", "expected", "source"),
    [
        (False, True, False, "database"),
        (True, False, True, "database"),
        (None, False, False, "environment"),
        (None, True, True, "environment"),
        (None, None, True, "default"),
    ],
)
def test_it_resolves_tls_verification_field_by_field(
    db: None, settings, stored: bool | None, variable: bool | None, expected: bool, source: str
) -> None:
    settings.ONLYOFFICE_VERIFY_TLS = variable
    ds_settings.update(verify_tls=stored)

    assert ds_settings.current().verify_tls is expected
    assert ds_settings.sources()["verify_tls"] == source


def test_it_uses_built_in_defaults_with_nothing_set(db: None) -> None:
    cfg = ds_settings.current()

    assert (cfg.public_url, cfg.internal_url, cfg.connector_url, cfg.jwt_secret) == ("", "", "", "")
    assert cfg.jwt_header == "Authorization"
    assert cfg.verify_tls is True
    assert cfg.configured is False
    assert cfg.jwt_enabled is False
    assert (cfg.forcesave, cfg.block_download, cfg.lossy_edit) == (False, False, frozenset())
    assert (cfg.download_token_ttl, cfg.callback_token_ttl, cfg.max_edit_size) == (3600, 604800, 100 * 1024 * 1024)


def test_it_defaults_the_internal_url_to_the_public_one(db: None, settings) -> None:
    ds_settings.update(public_url="https://docs.example.com/")
    assert ds_settings.current().internal_url == "https://docs.example.com"

    settings.ONLYOFFICE_INTERNAL_URL = "http://onlyoffice:80"
    assert ds_settings.current().internal_url == "http://onlyoffice:80"
    assert ds_settings.current().internal_origin() == "http://onlyoffice"
    assert ds_settings.current().public_origin() == "https://docs.example.com"


def test_it_takes_the_secret_from_the_environment(db: None, settings) -> None:
    settings.ONLYOFFICE_JWT_SECRET = SECRET

    assert ds_settings.current().jwt_secret == SECRET
    assert ds_settings.current().jwt_enabled is True
    assert ds_settings.sources()["jwt_secret"] == "environment"


def test_it_fills_every_field_from_the_environment(db: None, settings) -> None:
    settings.ONLYOFFICE_URL = "https://docs.example.com"
    settings.ONLYOFFICE_INTERNAL_URL = "http://onlyoffice"
    settings.ONLYOFFICE_CONNECTOR_URL = "http://app:8000"
    settings.ONLYOFFICE_JWT_SECRET = SECRET
    settings.ONLYOFFICE_JWT_HEADER = "AuthorizationJwt"

    cfg = ds_settings.current()

    assert (cfg.public_url, cfg.internal_url, cfg.connector_url) == (
        "https://docs.example.com",
        "http://onlyoffice",
        "http://app:8000",
    )
    assert (cfg.jwt_secret, cfg.jwt_header) == (SECRET, "AuthorizationJwt")
    assert set(ds_settings.sources().values()) == {"environment", "default"}


def test_it_reads_the_parsed_settings_not_the_process_environment(
    db: None, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bad variable is refused when the settings load (tests/test_settings_env.py); one set later, behind the
    # settings' back, is never read, so it can neither change the settings nor break a page.
    settings.ONLYOFFICE_URL = "https://docs.example.com"
    monkeypatch.setenv("ONLYOFFICE_URL", "not a url")
    monkeypatch.setenv("ONLYOFFICE_VERIFY_TLS", "flase")

    cfg = ds_settings.current()

    assert (cfg.public_url, cfg.verify_tls) == ("https://docs.example.com", True)
    assert ds_settings.sources()["public_url"] == "environment"


def test_it_serves_the_space_page_from_the_parsed_settings(
    personas, make_attachment, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    settings.ONLYOFFICE_URL = "https://docs.example.com"
    monkeypatch.setenv("ONLYOFFICE_URL", "not a url")
    client = personas.client_for("owner")
    client.raise_request_exception = False

    response = client.get(reverse("space_detail", args=[personas.space.pk]))

    assert response.status_code == 200
    assert reverse("onlyoffice-editor", args=[attachment.pk]) in response.content.decode()


def test_it_never_shows_the_secret_in_its_repr() -> None:
    cfg = ds_settings.DocServerConfig(
        public_url="https://d", internal_url="https://d", connector_url="", jwt_secret=SECRET
    )

    assert SECRET not in repr(cfg)
    assert SECRET not in str(cfg)
    assert "set (ends …zz)" in repr(cfg)


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"public_url": "docs.example.com"}, "public_url", "http:// or https://"),
        ({"public_url": "ftp://docs.example.com"}, "public_url", "http:// or https://"),
        ({"internal_url": "http://onlyoffice/?a=1"}, "internal_url", "query"),
        ({"connector_url": "http://app#top"}, "connector_url", "fragment"),
        ({"public_url": "https://user:pw@docs.example.com"}, "public_url", "user name"),
        ({"public_url": "https://docs.example.com:99999"}, "public_url", "port"),
        ({"public_url": "https:///path"}, "public_url", "host"),
        ({"public_url": "https://docs example.com"}, "public_url", "spaces"),
        ({"jwt_header": "Authorization Jwt"}, "jwt_header", "no spaces"),
        ({"jwt_header": "X-Token:"}, "jwt_header", "no spaces or colons"),
        ({"jwt_secret": SECRET + "\n"}, "jwt_secret", "line breaks"),
        ({"lossy_edit": ["odt", "docx"]}, "lossy_edit", "docx"),
        ({"customization": {"chat": "yes"}}, "customization", "true or false"),
        ({"customization": {"plugins": True}}, "customization", "Unknown customization"),
        ({"customization": {"reviewDisplay": "everything"}}, "customization", "markup"),
        ({"download_token_ttl": 5}, "download_token_ttl", "at least 60"),
        ({"max_edit_size": "big"}, "max_edit_size", "whole number"),
        ({"forcesave": "true"}, "forcesave", "true or false"),
    ],
)
def test_it_explains_each_invalid_value_and_stores_nothing(db: None, changes: dict, field: str, fragment: str) -> None:
    ds_settings.update(public_url="https://before.example.com")

    with pytest.raises(ValidationError) as raised:
        ds_settings.update(**changes, block_download=True)

    assert list(raised.value.message_dict) == [field]
    assert fragment in " ".join(raised.value.message_dict[field])
    stored = ConnectorSettings.objects.get(pk=1)
    assert stored.public_url == "https://before.example.com"
    assert stored.options == {}


def test_it_normalises_the_values_it_stores(db: None) -> None:
    cfg = ds_settings.update(
        public_url=" https://docs.example.com/ds/ ",
        lossy_edit=[".ODT", "csv"],
        customization={"chat": False, "reviewDisplay": "final"},
        forcesave=True,
    )

    assert cfg.public_url == "https://docs.example.com/ds"
    assert cfg.lossy_edit == frozenset({"odt", "csv"})
    assert dict(cfg.customization) == {"chat": False, "reviewDisplay": "final"}
    assert cfg.forcesave is True
    assert ConnectorSettings.objects.get(pk=1).options["lossy_edit"] == ["csv", "odt"]


def test_it_changes_only_the_fields_given(db: None) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret=SECRET, forcesave=True)

    ds_settings.update(jwt_header="AuthorizationJwt", max_edit_size=1024)

    cfg = ds_settings.current()
    assert (cfg.public_url, cfg.jwt_secret, cfg.forcesave) == ("https://docs.example.com", SECRET, True)
    assert (cfg.jwt_header, cfg.max_edit_size) == ("AuthorizationJwt", 1024)


def test_it_refuses_an_unknown_setting(db: None) -> None:
    with pytest.raises(TypeError, match="colour"):
        ds_settings.update(colour="blue")


# --- the shared cache ---------------------------------------------------------------------------------------


def test_it_serves_a_cached_read_without_any_query(db: None, django_assert_num_queries) -> None:
    ds_settings.update(public_url="https://docs.example.com")
    with django_assert_num_queries(1):
        ds_settings.current()

    with django_assert_num_queries(0):
        assert ds_settings.current().public_url == "https://docs.example.com"


def test_it_caches_the_absence_of_a_row_too(db: None, django_assert_num_queries) -> None:
    ds_settings.current()

    with django_assert_num_queries(0):
        assert ds_settings.current().configured is False


def test_it_sees_a_change_at_once(db: None) -> None:
    ds_settings.update(public_url="https://old.example.com")
    assert ds_settings.current().public_url == "https://old.example.com"  # now cached

    ds_settings.update(public_url="https://new.example.com")

    assert ds_settings.current().public_url == "https://new.example.com"


def test_it_shares_a_committed_change_through_the_cache(db: None, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ds_settings.update(public_url="https://new.example.com", jwt_secret=SECRET)

    # Another process reads only the cache: the row is there, complete, before anyone asks.
    assert cache.get(ds_settings.CACHE_KEY)["public_url"] == "https://new.example.com"


def test_it_reads_the_database_when_the_cache_is_down(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ds_settings.update(public_url="https://docs.example.com")

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)

    assert ds_settings.current().public_url == "https://docs.example.com"


def _another_process_env(tmp_path: Path, cache_kind: str) -> dict[str, str]:
    db_settings = connection.settings_dict
    env = {name: value for name, value in os.environ.items() if not name.startswith("ONLYOFFICE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="another-process",
        DATA_DIR=str(tmp_path),
        DATABASE_URL=(
            f"postgres://{db_settings['USER']}@{db_settings['HOST'] or '127.0.0.1'}:{db_settings['PORT'] or 5432}"
            f"/{db_settings['NAME']}"
        ),
    )
    if cache_kind == "file":
        env.pop("REDIS_URL", None)
    return env


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_kind", ["file", pytest.param("redis", marks=pytest.mark.redis)])
def test_it_sees_a_change_made_by_another_process_at_once(
    settings, tmp_path: Path, cache_kind: str, django_assert_num_queries
) -> None:
    # The same shared cache the other process will use: files under its DATA_DIR, or Redis.
    if cache_kind == "file":
        backend = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    else:
        backend = {"BACKEND": "config.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    settings.CACHES = {"default": backend}
    cache.delete(ds_settings.CACHE_KEY)
    ds_settings.update(public_url="https://old.example.com")
    with django_assert_num_queries(0):
        assert ds_settings.current().public_url == "https://old.example.com"

    subprocess.run(
        [sys.executable, "manage.py", "onlyoffice", "settings", "--url", "https://new.example.com"],
        cwd=django_settings.BASE_DIR,
        env=_another_process_env(tmp_path, cache_kind),
        check=True,
        capture_output=True,
        timeout=60,
    )

    with django_assert_num_queries(0):
        assert ds_settings.current().public_url == "https://new.example.com"
    cache.delete(ds_settings.CACHE_KEY)


# --- the management command ---------------------------------------------------------------------------------


def test_it_sets_values_from_the_command_and_masks_the_secret(db: None) -> None:
    output = run_command(
        "--url",
        "https://docs.example.com/",
        "--internal-url",
        "http://onlyoffice",
        "--secret",
        SECRET,
        "--header",
        "AuthorizationJwt",
        "--no-verify-tls",
    )

    cfg = ds_settings.current()
    assert (cfg.public_url, cfg.internal_url, cfg.jwt_secret) == (
        "https://docs.example.com",
        "http://onlyoffice",
        SECRET,
    )
    assert (cfg.jwt_header, cfg.verify_tls) == ("AuthorizationJwt", False)
    assert SECRET not in output
    assert "set (ends …zz)  [database]" in output
    assert "https://docs.example.com  [database]" in output
    assert "AuthorizationJwt  [database]" in output


def test_it_says_where_each_value_comes_from(db: None, settings) -> None:
    settings.ONLYOFFICE_JWT_SECRET = SECRET
    ds_settings.update(public_url="https://docs.example.com")

    output = run_command()

    assert "https://docs.example.com  [database]" in output
    assert "[same as the public URL]" in output
    assert "set (ends …zz)  [environment]" in output
    assert "Authorization  [default]" in output
    assert SECRET not in output


def test_it_warns_in_the_command_when_jwt_is_off(db: None) -> None:
    output = run_command("--url", "https://docs.example.com")

    assert "JWT secret                      not set  [default]" in output
    assert "No JWT secret" in output


def test_it_reads_the_secret_from_stdin_when_asked(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))

    output = run_command("--secret", "-")

    assert ds_settings.current().jwt_secret == SECRET
    assert SECRET not in output


def test_it_refuses_an_invalid_url_from_the_command_and_changes_nothing(db: None) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret=SECRET)

    with pytest.raises(CommandError, match="--url: Enter a URL that starts with http:// or https://"):
        run_command("--url", "docs.example.org", "--secret", "another-secret-for-the-document-server")

    stored = ConnectorSettings.objects.get(pk=1)
    assert (stored.public_url, stored.jwt_secret) == ("https://docs.example.com", SECRET)


def test_it_clears_a_value_from_the_command_so_the_environment_applies(db: None, settings) -> None:
    settings.ONLYOFFICE_URL = "https://env.example.com"
    ds_settings.update(public_url="https://db.example.com")

    output = run_command("--url", "")

    assert ds_settings.current().public_url == "https://env.example.com"
    assert "https://env.example.com  [environment]" in output


# --- admin --------------------------------------------------------------------------------------------------


def test_it_sends_the_admin_settings_entry_to_the_project_page(personas) -> None:
    ds_settings.update(jwt_secret=SECRET)
    client = personas.client_for("staff")

    listing = client.get("/admin/connector/connectorsettings/")
    change = client.get("/admin/connector/connectorsettings/1/change/")

    assert listing.status_code == change.status_code == 302
    assert listing["Location"] == change["Location"] == "/onlyoffice/settings/"
    assert "/admin/connector/connectorsettings/" in client.get("/admin/").content.decode()


def test_it_keeps_the_admin_settings_entry_from_users_who_are_not_staff(personas) -> None:
    response = personas.client_for("owner").get("/admin/connector/connectorsettings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
