"""A full edit → save round trip through a real `celery worker` process (not inline tasks)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from attachments.models import Attachment, VersionSource
from connector import ds_settings
from connector.models import SaveRequest
from tests.support.workers import poll_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _edit_and_close(personas, attachment, fake_ds, new_bytes: bytes) -> None:
    html = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    cfg = json.loads(re.search(r'id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S).group(1))
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, new_bytes)
    record = session.close(uid)
    # Acknowledged at once: the download happens later, in the worker.
    assert record.http_status == 200
    assert record.response_json == {"error": 0}


def _round_trip(personas, make_attachment, live_server, fake_ds, worker) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx", content=b"before", user=personas.owner)
    _edit_and_close(personas, attachment, fake_ds, b"after the worker saved it")
    poll_until(
        lambda: Attachment.objects.get(pk=attachment.pk).current_version == 2,
        what="version 2 stored by the worker",
        workers=[worker],
    )
    version = Attachment.objects.get(pk=attachment.pk).versions.get(number=2)
    assert version.source == VersionSource.EDITOR
    assert version.created_by == personas.editor
    with version.file.open("rb") as stored:
        assert stored.read() == b"after the worker saved it"
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("celery_broker_kind", ["redis"])
def test_it_saves_an_edit_through_a_real_worker_on_redis_and_postgres(
    personas, make_attachment, live_server, fake_ds, celery_worker_process
) -> None:
    worker = celery_worker_process.start()
    _round_trip(personas, make_attachment, live_server, fake_ds, worker)


@pytest.mark.parametrize("celery_broker_kind", ["filesystem"])
def test_it_saves_an_edit_through_a_real_worker_on_the_embedded_broker(
    personas, make_attachment, live_server, fake_ds, celery_worker_process
) -> None:
    worker = celery_worker_process.start()
    _round_trip(personas, make_attachment, live_server, fake_ds, worker)
