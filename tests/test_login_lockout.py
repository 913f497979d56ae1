"""Brute-force protection of the login (django-axes): after DJANGO_LOGIN_FAILURE_LIMIT wrong passwords for one
username from one address, that username is locked out from that address for DJANGO_LOGIN_LOCKOUT_MINUTES, with a
clear message; other addresses and other usernames are not; ``axes_reset_username`` unlocks at once."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, Personas
from tests.support.production import run_with_production_settings

ATTACKER, ELSEWHERE = "203.0.113.7", "198.51.100.20"
LOCKED = "Too many failed logins"


def log_in(username: str, password: str, *, ip: str = ATTACKER, path: str = "", **headers: str) -> object:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path or reverse("login"), {"username": username, "password": password}, headers=headers)
    response.client = client
    return response


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def fail_until_locked(username: str, **kwargs: str) -> list:
    return [log_in(username, "wrong password", **kwargs) for _attempt in range(settings.AXES_FAILURE_LIMIT)]


def test_it_locks_out_a_username_from_an_address_after_the_failure_limit(personas: Personas) -> None:
    answers = fail_until_locked("vera")

    assert settings.AXES_FAILURE_LIMIT == 5
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
    page = answers[-1].content.decode()
    assert LOCKED in page and "15 minutes" in page
    assert 'name="username"' in page  # still the login page, with its form
    refused = log_in("vera", PASSWORD)
    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    assert not logged_in(refused)


def test_it_leaves_other_addresses_and_other_usernames_alone(personas: Personas) -> None:
    fail_until_locked("vera")

    # The same person from another address, and another person from the attacker's address, still log in.
    assert logged_in(log_in("vera", PASSWORD, ip=ELSEWHERE))
    assert logged_in(log_in("eddie", PASSWORD))


def test_it_lets_the_user_in_again_after_the_cool_off(personas: Personas) -> None:
    fail_until_locked("vera")
    # As if the cool-off had passed since the last attempt (no sleeping: the attempts' clock is moved back).
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert logged_in(log_in("vera", PASSWORD))


def test_it_unlocks_at_once_with_axes_reset_username(personas: Personas) -> None:
    fail_until_locked("vera")
    assert log_in("vera", PASSWORD).status_code == 429

    call_command("axes_reset_username", "vera")

    assert logged_in(log_in("vera", PASSWORD))


def test_it_protects_the_admin_login_too(personas: Personas) -> None:
    answers = fail_until_locked("stella", path="/admin/login/")

    assert answers[-1].status_code == 429
    assert log_in("stella", PASSWORD, path="/admin/login/").status_code == 429


def test_it_counts_the_address_the_proxy_saw_not_one_the_client_wrote(personas: Personas, settings) -> None:
    # What DJANGO_BEHIND_PROXY=true sets (see the test below): the right-most X-Forwarded-For entry.
    settings.AXES_CLIENT_IP_CALLABLE = "config.lockout.forwarded_client_ip"
    proxy = "10.0.0.2"
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A forged left part changes nothing: the proxy appended the address it really saw.
        log_in("vera", "wrong password", ip=proxy, x_forwarded_for=f"192.0.2.{attempt}, {ATTACKER}")

    assert log_in("vera", PASSWORD, ip=proxy, x_forwarded_for=ATTACKER).status_code == 429
    assert logged_in(log_in("vera", PASSWORD, ip=proxy, x_forwarded_for=ELSEWHERE))
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_it_has_no_password_login_on_the_api(personas: Personas) -> None:
    # The API takes a token or the session only; a password sent with basic auth is never even checked, so the
    # login page (and the admin's) are the only places to guess passwords, and both are locked out above.
    basic = base64.b64encode(f"vera:{PASSWORD}".encode()).decode()

    response = Client().get(reverse("api-space-list"), headers={"Authorization": f"Basic {basic}"})

    assert response.status_code == 401
    assert not AccessAttempt.objects.exists()


# --- the settings, from the environment ---------------------------------------------------------------------------

_SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.AXES_LOCKOUT_PARAMETERS, "
    "s.AXES_CLIENT_IP_CALLABLE)"
)


def _settings_with(tmp_path: Path, **variables: str):
    return run_with_production_settings(_SHOW, tmp_path, DJANGO_SECRET_KEY="x" * 50, **variables)


def test_it_reads_the_lockout_settings_from_the_environment(tmp_path: Path) -> None:
    default = _settings_with(tmp_path)
    chosen = _settings_with(
        tmp_path, DJANGO_LOGIN_FAILURE_LIMIT="8", DJANGO_LOGIN_LOCKOUT_MINUTES="60", DJANGO_BEHIND_PROXY="true"
    )

    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["5", "900", "[['username',", "'ip_address']]", "None"]
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.split()[:2] == ["8", "3600"]
    assert chosen.stdout.split()[-1] == "config.lockout.forwarded_client_ip"


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("DJANGO_LOGIN_FAILURE_LIMIT", "five", "DJANGO_LOGIN_FAILURE_LIMIT='five' is not a whole number"),
        ("DJANGO_LOGIN_FAILURE_LIMIT", "0", "DJANGO_LOGIN_FAILURE_LIMIT=0 must be at least 1"),
        ("DJANGO_LOGIN_LOCKOUT_MINUTES", "15m", "DJANGO_LOGIN_LOCKOUT_MINUTES='15m' is not a whole number"),
        ("DJANGO_LOGIN_LOCKOUT_MINUTES", "0", "DJANGO_LOGIN_LOCKOUT_MINUTES=0 must be at least 1"),
    ],
)
def test_it_refuses_to_start_with_a_lockout_setting_it_cannot_read(tmp_path: Path, variable, raw, message) -> None:
    result = _settings_with(tmp_path, **{variable: raw})

    assert result.returncode != 0
    assert message in result.stderr
