"""SSRF through the save callback: ``url``/``changesurl`` off the Document Server are never fetched.

Every case is an otherwise valid, correctly signed status 2 callback. Canary servers (IPv4 and IPv6 loopback)
record any request they get; they must get none, and the save must end failed (or be refused) with no version.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from connector.models import SaveRequest
from tests.support.canary import Canary
from tests.support.workers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def save(personas, make_attachment, live_server, fake_ds):
    """A valid status 2 callback for a fresh attachment: (fields, callback url, attachment)."""
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx", content=b"original", user=personas.owner)
    html = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    cfg = json.loads(match.group(1))
    blob = fake_ds.blobs.put(cfg["document"]["key"], "output.docx", b"edited", "application/octet-stream")
    fields = {
        "key": cfg["document"]["key"],
        "status": 2,
        "url": fake_ds.blobs.link(fake_ds.url, blob, "output.docx", now=int(fake_ds.now())),
        "users": [cfg["editorConfig"]["user"]["id"]],
        "filetype": "docx",
        "lastsave": "2026-03-29T10:03:10.000Z",
    }
    return fields, cfg["editorConfig"]["callbackUrl"], attachment


# {c}: the IPv4 canary's port, {c6}: the IPv6 canary's, {ds}: the fake DS's host:port.
URL_CASES = [
    ("another port on the DS host", "http://127.0.0.1:{c}/cache/files/x/output.docx"),
    ("localhost by name", "http://localhost:{c}/x"),
    ("localhost with a trailing dot", "http://localhost.:{c}/x"),
    ("another loopback address", "http://127.0.0.2:{c}/x"),
    ("the unspecified address 0.0.0.0", "http://0.0.0.0:{c}/x"),
    ("IPv6 loopback", "http://[::1]:{c6}/x"),
    ("IPv6-mapped IPv4 loopback", "http://[::ffff:127.0.0.1]:{c}/x"),
    ("a decimal IP", "http://2130706433:{c}/x"),
    ("an octal IP", "http://0177.0.0.1:{c}/x"),
    ("a hexadecimal IP", "http://0x7f.0.0.1:{c}/x"),
    ("a short-form IP", "http://127.1:{c}/x"),
    ("the DS address as user info", "http://{ds}@127.0.0.1:{c}/x"),
    ("a user name in front of the DS", "http://ds@{ds}/cache/files/x"),
    ("a backslash before the DS as user info", "http://127.0.0.1:{c}\\@{ds}/x"),
    ("a backslash in the path of the canary", "http://127.0.0.1:{c}\\cache\\files"),
    ("a tab in the authority", "http://{ds}\t@127.0.0.1:{c}/x"),
    ("a fragment hiding the DS", "http://127.0.0.1:{c}#@{ds}/x"),
    ("a query hiding the DS", "http://127.0.0.1:{c}?@{ds}/x"),
    ("a percent-encoded host", "http://%31%32%37.0.0.1:{c}/x"),
    ("an uppercase scheme on another port", "HTTP://127.0.0.1:{c}/x"),
    ("https on the DS port", "https://{ds}/cache/files/x"),
    ("a scheme-relative url", "//127.0.0.1:{c}/x"),
    ("a file url", "file:///etc/passwd"),
    ("a gopher url", "gopher://127.0.0.1:{c}/_GET%20/"),
    ("an ftp url", "ftp://127.0.0.1:{c}/x"),
    ("a dict url", "dict://127.0.0.1:{c}/info"),
]


def _expand(template: str, canary: Canary, fake_ds) -> str:
    return template.format(c=canary.port, c6=canary.port6, ds=urlsplit(fake_ds.url).netloc)


def _assert_refused_or_failed(attachment: Attachment, canary: Canary) -> None:
    def settled() -> bool:
        states = set(SaveRequest.objects.filter(attachment=attachment).values_list("state", flat=True))
        return states <= {SaveRequest.State.FAILED}

    # The task is eager in the live server, so this settles at once; poll only to be safe against a retry.
    poll_until(settled, what="the save request to fail", timeout=10)
    assert canary.hits == []
    assert Attachment.objects.get(pk=attachment.pk).current_version == 1


def test_it_keeps_at_least_fifteen_ssrf_cases() -> None:
    assert len(URL_CASES) >= 15


def test_it_fetches_and_stores_the_save_url_when_it_is_on_the_document_server(save, fake_ds, canary) -> None:
    # The control: the same callback with the DS's own link is saved, so a refusal below is the URL's doing.
    fields, callback_url, attachment = save
    assert fake_ds.send_callback(callback_url, fields) == (200, {"error": 0})
    assert SaveRequest.objects.get(attachment=attachment).state == SaveRequest.State.SAVED
    assert Attachment.objects.get(pk=attachment.pk).current_version == 2


@pytest.mark.parametrize("template", [t for _n, t in URL_CASES], ids=[n for n, _t in URL_CASES])
def test_it_never_fetches_a_save_url_off_the_document_server(save, fake_ds, canary, template) -> None:
    fields, callback_url, attachment = save
    status, _body = fake_ds.send_callback(callback_url, {**fields, "url": _expand(template, canary, fake_ds)})
    assert status in {200, 400, 403}
    _assert_refused_or_failed(attachment, canary)
    assert fake_ds.requests_to("/cache/files/") == []


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{c}/changes.zip",
        "http://[::1]:{c6}/changes.zip",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{c}/_",
    ],
    ids=["another port", "IPv6 loopback", "a file url", "a gopher url"],
)
def test_it_never_fetches_a_changes_url_off_the_document_server(save, fake_ds, canary, template) -> None:
    fields, callback_url, attachment = save
    status, _body = fake_ds.send_callback(callback_url, {**fields, "changesurl": _expand(template, canary, fake_ds)})
    assert status in {200, 400, 403}
    _assert_refused_or_failed(attachment, canary)


def test_it_does_not_follow_the_document_servers_redirect_to_the_canary(save, fake_ds, canary) -> None:
    fields, callback_url, attachment = save
    fake_ds.redirect_to(f"http://127.0.0.1:{canary.port}/stolen")
    status, _body = fake_ds.send_callback(callback_url, fields)
    assert status == 200
    _assert_refused_or_failed(attachment, canary)


def test_it_never_asks_the_document_server_to_convert_a_foreign_url(save, fake_ds, canary) -> None:
    # A returned format other than the file's own makes the task ask the DS to convert the url, and the DS
    # would then fetch it for us: the url must be checked before it is handed on.
    fields, callback_url, attachment = save
    hostile = {**fields, "url": f"http://127.0.0.1:{canary.port}/x.odt", "filetype": "odt"}
    status, _body = fake_ds.send_callback(callback_url, hostile)
    assert status in {200, 400, 403}
    _assert_refused_or_failed(attachment, canary)
    assert fake_ds.requests_to("/converter") == []
