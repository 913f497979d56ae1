"""Secrets never reach the logs: every record of a full edit cycle, at DEBUG, is searched for them.

The cycle runs against the fake Document Server over real HTTP (open → edit → forcesave → close → saved), plus
the paths where a URL is most tempting to log: a refused callback and a download that fails for good. The JWT
secret, Django's SECRET_KEY, the link tokens in ``document.url``/``callbackUrl`` and the ``md5`` signatures of the
DS's file links must appear in no message, argument or traceback of any logger, in any thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import traceback
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from connector.models import SaveRequest

pytestmark = pytest.mark.django_db(transaction=True)


class _Everything(logging.Handler):
    """Keeps every record, from every thread, with its message, arguments and traceback rendered."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, str(record.msg), repr(record.args)]
        with contextlib.suppress(TypeError, ValueError):
            parts.append(record.getMessage())
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        self.texts.append(" ".join(parts))


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[_Everything]:
    """Root at DEBUG (caplog) plus a handler of our own on the root and on every logger that does not propagate."""
    caplog.set_level(logging.DEBUG)
    handler = _Everything()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _editor_config(client, attachment: Attachment) -> dict:
    html = client.get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def _query_value(url: str, name: str) -> str:
    values = parse_qs(urlsplit(url).query).get(name)
    assert values, f"{name} missing from {url}"
    return values[0]


def _secrets_of(cfg: dict, fake_ds) -> dict[str, str]:
    found = {
        "JWT secret": fake_ds.secret,
        "SECRET_KEY": settings.SECRET_KEY,
        "document.url token": _query_value(cfg["document"]["url"], "token"),
        "callbackUrl token": _query_value(cfg["editorConfig"]["callbackUrl"], "token"),
        "editor config token": cfg["token"],
    }
    for number, record in enumerate(fake_ds.callbacks):
        for name in ("url", "changesurl"):
            if record.fields.get(name):
                found[f"callback {number} {name} md5"] = _query_value(record.fields[name], "md5")
        found[f"callback {number} body token"] = record.body["token"]
    return found


def _assert_no_secret_logged(logs: _Everything, caplog: pytest.LogCaptureFixture, found: dict[str, str]) -> None:
    texts = logs.texts + [record.getMessage() for record in caplog.records] + [caplog.text]
    assert logs.texts, "nothing was logged: the capture is broken"
    for name, value in found.items():
        assert len(value) >= 8, name
        leaks = [text for text in texts if value in text]
        assert not leaks, f"{name} appears in the logs: {leaks[0][:500]}"


def test_it_logs_no_secret_during_a_full_edit_cycle(
    all_logs, caplog, personas, make_attachment, live_server, fake_ds
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    cfg = _editor_config(personas.client_for("editor"), attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"forcesaved")
    assert session.forcesave(uid).succeeded
    session.edit(uid, b"final")
    assert session.close(uid).succeeded
    assert Attachment.objects.get(pk=attachment.pk).current_version == 3
    # A refused callback: its reason is logged, the token it carried must not be.
    forged = fake_ds.send_callback(
        cfg["editorConfig"]["callbackUrl"], {"key": cfg["document"]["key"], "status": 1}, secret="x" * 40
    )
    assert forged[0] == 403
    _assert_no_secret_logged(all_logs, caplog, _secrets_of(cfg, fake_ds))


def test_it_logs_no_signed_link_when_a_download_fails_for_good(
    all_logs, caplog, personas, make_attachment, live_server, fake_ds
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    cfg = _editor_config(personas.client_for("editor"), attachment)
    uid = cfg["editorConfig"]["user"]["id"]
    session = fake_ds.open(cfg)
    session.edit(uid, b"lost?")
    fake_ds.fail_with(404)
    assert session.close(uid).succeeded
    request = SaveRequest.objects.get(attachment=attachment)
    assert request.state == SaveRequest.State.FAILED
    assert any("failed for good" in text for text in all_logs.texts)
    _assert_no_secret_logged(all_logs, caplog, _secrets_of(cfg, fake_ds))
