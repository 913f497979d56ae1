"""A JWT secret shorter than 32 characters is warned about once, in our words, never by PyJWT on every token.

PyJWT (2.10 and later) warns with ``InsecureKeyLengthWarning`` each time it signs or checks a token with a short
key; connector/jwt_codec.py silences that with a filter set at import. pytest restores the warning filters
around every phase of a test, which drops a filter set at import, so what an admin or a worker log would show
is seen here in real processes: ``manage.py onlyoffice check``, ``python -c`` and ``celery worker``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from connector import ds_settings
from connector.models import ConversionJob
from tests.fakeds import FakeDocServer
from tests.support.workers import BASE_DIR, database_url, poll_until

SHORT_SECRET = "short-secret-16b"
LONG_SECRET = "a-secret-of-exactly-32-chars-.ok"
OUR_WARNING = "The JWT secret is short: use a long random secret (32 characters or more) on both sides."
PYJWT_WARNING = "InsecureKeyLengthWarning"


@pytest.fixture
def short_secret(live_server, fake_ds: FakeDocServer) -> FakeDocServer:
    """Working settings against the fake Document Server, both sides sharing a 16-character secret."""
    fake_ds.secret = SHORT_SECRET
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=SHORT_SECRET)
    return fake_ds


def run_check_command(app_url: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("onlyoffice", "check", "--app-url", app_url, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_warns_once_in_its_own_words_when_the_check_runs_with_a_short_secret(short_secret, live_server) -> None:
    out, err = run_check_command(live_server.url)

    assert (out + err).count(OUR_WARNING) == 1
    assert "All checks passed." in out


def test_it_does_not_warn_about_a_secret_of_32_characters(live_server, fake_ds: FakeDocServer) -> None:
    assert len(LONG_SECRET) == ds_settings.MIN_SECRET_LENGTH
    fake_ds.secret = LONG_SECRET
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=LONG_SECRET)

    out, err = run_check_command(live_server.url)

    assert OUR_WARNING not in out + err
    assert "All checks passed." in out


@pytest.mark.django_db(transaction=True)
def test_it_keeps_pyjwts_warning_out_of_the_check_commands_output(short_secret, live_server) -> None:
    # A real `manage.py` process on this test's database: Python prints warnings to its stderr, as for an admin.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": database_url(),
        "TEST_RUN_DIR": str(settings.TEST_RUN_DIR),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "onlyoffice", "check", "--app-url", live_server.url],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(short_secret.requests_to("/converter")) == 1  # the signed steps really ran
    assert PYJWT_WARNING not in done.stdout + done.stderr
    assert (done.stdout + done.stderr).count(OUR_WARNING) == 1


def test_it_signs_and_verifies_with_a_short_key_without_a_python_warning() -> None:
    # `-W always` shows every warning each time, so silence here is the module's filter, not Python's
    # once-per-place default.
    code = (
        "from connector import jwt_codec\n"
        "for _ in range(2):\n"
        "    jwt_codec.decode(jwt_codec.encode({'a': 1}, 'short'), 'short')\n"
        "    jwt_codec.request_token_pair({'c': 'version'}, 'short')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("celery_broker_kind", ["filesystem"])
def test_it_logs_the_short_secret_warning_once_when_a_worker_starts_and_not_per_token(
    short_secret, personas, make_attachment, celery_worker_process
) -> None:
    worker = celery_worker_process.start()
    odt = make_attachment(personas.space, "Minutes.odt", content=b"PK\x03\x04 a placeholder", user=personas.owner)

    # A conversion runs in the worker and signs each request to the Document Server with the short secret.
    response = personas.client_for("editor").post(reverse("onlyoffice-convert", args=[odt.pk]), {"kind": "ooxml"})
    assert response.status_code == 302
    poll_until(
        lambda: ConversionJob.objects.filter(attachment=odt, state__in=["done", "failed"]).exists(),
        what="the conversion finished by the worker",
        workers=[worker],
    )

    assert short_secret.requests_to("/converter")[0].json()["token"]
    log = worker.log_text()
    assert log.count(OUR_WARNING) == 1
    assert PYJWT_WARNING not in log
