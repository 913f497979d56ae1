"""`/metrics`: Prometheus counters of saves, failures, retries, callbacks and conversions, behind a setting.

Saves go through the fake Document Server over real HTTP; the numbers are read back by scraping the endpoint.
"""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from connector import docserver
from connector.tasks import MAX_RETRIES
from tests.test_connector_callback import editor_config, put_blob
from tests.test_connector_save_failures import send_save

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def inline_retries(monkeypatch):
    """Inline tasks run their retries at once instead of raising them to the callback."""
    from config.celery_app import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    monkeypatch.setattr(docserver, "READ_TIMEOUT", 0.5)


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    return settings


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_it_counts_a_stored_save_its_callback_and_its_latency(metrics_on, editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    before = scrape()
    assert before[("onlyoffice_saves_stored_total", ())] == 0
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited", "docx")

    send_save(fake_ds, cfg, url)

    after = scrape()
    assert after[("onlyoffice_saves_stored_total", ())] == 1
    assert after[("onlyoffice_saves_failed_total", ())] == 0
    assert after[("onlyoffice_callbacks_total", (("status", "2"),))] == 1
    assert after[("onlyoffice_save_latency_seconds_count", ())] == 1
    assert after[("onlyoffice_save_latency_seconds_bucket", (("le", "+Inf"),))] == 1
    assert after[("onlyoffice_save_latency_seconds_sum", ())] >= 0


def test_it_counts_retries_and_a_failed_save(metrics_on, editing_setup) -> None:
    personas, attachment, fake_ds = editing_setup
    cfg = editor_config(personas, attachment)
    url = put_blob(fake_ds, cfg["document"]["key"], b"edited", "docx")
    fake_ds.blob(url).fail_with()

    send_save(fake_ds, cfg, url)

    samples = scrape()
    assert samples[("onlyoffice_saves_failed_total", ())] == 1
    assert samples[("onlyoffice_saves_stored_total", ())] == 0
    assert samples[("onlyoffice_save_retries_total", ())] == MAX_RETRIES
    assert samples[("onlyoffice_save_latency_seconds_count", ())] == 0


def test_it_answers_404_when_metrics_are_off(settings) -> None:
    settings.METRICS_ENABLED = False

    assert Client().get("/metrics").status_code == 404


def test_it_refuses_an_address_outside_the_allowlist(metrics_on) -> None:
    metrics_on.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert Client().get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200


def test_it_asks_for_basic_auth_when_configured(metrics_on) -> None:
    metrics_on.METRICS_BASIC_AUTH_USER = "prometheus"
    metrics_on.METRICS_BASIC_AUTH_PASSWORD = "scrape-secret"

    refused = Client().get("/metrics")
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"prometheus:nope").decode())

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Basic")
    assert wrong.status_code == 401
    right = "Basic " + base64.b64encode(b"prometheus:scrape-secret").decode()
    assert scrape(HTTP_AUTHORIZATION=right)[("onlyoffice_saves_stored_total", ())] == 0
