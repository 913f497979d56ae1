"""Files are never rendered by a browser on the app's origin, whichever link reaches them.

The Document Server's links (``document.url``, the history's version and changes links, the check file) carry no
session and, with no JWT secret, nothing but their link token: whoever holds one can open it in a browser. An
uploaded ``report.html`` served inline would then run its script as the app. Every file response is therefore a
download (``Content-Disposition: attachment``), never sniffed (``nosniff``), and sandboxed (``CSP: sandbox``) should
a browser render it after all. In the browser: tests/test_browser_ds_file_links.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from attachments import services
from attachments.models import Attachment, VersionSource
from connector import checks, ds_settings
from connector.models import EditedVersion
from tests.conftest import Personas

REPORT_HTML = b"<!doctype html><title>Report</title><script>document.title = 'ran as ' + document.domain</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


def assert_never_rendered(response) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment"), response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def local(url: str) -> str:
    """The path and query of a link the DS would fetch, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def editor_config(personas: Personas, attachment: Attachment) -> dict:
    html = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the editor page embeds its config"
    return json.loads(match.group(1))


@pytest.fixture
def no_jwt(db) -> None:
    # The weakest setup: the link token is all that guards the files.
    ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://testserver", jwt_secret="")
    assert not ds_settings.current().jwt_enabled


@pytest.fixture
def report(personas: Personas, make_attachment, no_jwt) -> Attachment:
    """report.html with a script, in two versions; the second was saved from the editor and has its changes zip."""
    attachment = make_attachment(personas.space, "report.html", content=REPORT_HTML, user=personas.editor)
    version = services.version_create(
        attachment=attachment, chunks=[REPORT_HTML], source=VersionSource.EDITOR, created_by=personas.editor
    )
    changes = default_storage.save("changes/report-changes.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    EditedVersion.objects.create(version=version, document_key="report-key-2", changes_file=changes)
    return attachment


def _history(personas: Personas, attachment: Attachment) -> dict:
    response = personas.client_for("editor").get(
        reverse("onlyoffice-history-data", args=[attachment.pk]), {"version": 2}
    )
    assert response.status_code == 200
    return response.json()


DS_LINKS: dict[str, Callable[[Personas, Attachment], str]] = {
    "document.url": lambda p, a: editor_config(p, a)["document"]["url"],
    "history version": lambda p, a: _history(p, a)["url"],
    "history previous version": lambda p, a: _history(p, a)["previous"]["url"],
    "history changes": lambda p, a: _history(p, a)["changesUrl"],
    "check file": lambda p, a: checks.check_file_url("http://testserver"),
}


@pytest.mark.parametrize("link", DS_LINKS.values(), ids=DS_LINKS.keys())
def test_it_never_lets_a_browser_render_a_document_server_link(personas, report, link) -> None:
    url = link(personas, report)

    # Anyone holding the link: no session, no JWT.
    assert_never_rendered(Client().get(local(url)))


@pytest.mark.filesystem_only("nginx and Apache send files from the local media folder")
@pytest.mark.parametrize("mode", ["x-accel-redirect", "x-sendfile"])
def test_it_keeps_the_headers_when_the_proxy_sends_the_file(personas, report, settings, mode: str) -> None:
    settings.ATTACHMENTS_SENDFILE = mode
    response = Client().get(local(editor_config(personas, report)["document"]["url"]))

    assert ("X-Accel-Redirect" if mode == "x-accel-redirect" else "X-Sendfile") in response
    assert_never_rendered(response)


def test_it_still_gives_the_document_server_the_file_itself(personas, report) -> None:
    response = Client().get(local(editor_config(personas, report)["document"]["url"]))

    assert b"".join(response.streaming_content) == REPORT_HTML
    assert response["Content-Type"].startswith("text/html")
    assert 'filename="report.html"' in response["Content-Disposition"]


@pytest.mark.parametrize(("title", "content"), [("report.html", REPORT_HTML), ("logo.svg", SVG)], ids=["html", "svg"])
@pytest.mark.parametrize(
    "path",
    [
        lambda a: reverse("attachment_download", args=[a.pk]),
        lambda a: reverse("api-attachment-download", args=[a.pk]),
    ],
    ids=["page", "api"],
)
def test_it_never_lets_a_browser_render_a_users_download(personas, make_attachment, title, content, path) -> None:
    attachment = make_attachment(personas.space, title, content=content, user=personas.editor)

    assert_never_rendered(personas.client_for("viewer").get(path(attachment)))
