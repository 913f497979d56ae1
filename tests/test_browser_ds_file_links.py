"""The Document Server's link to an uploaded HTML file, opened by a logged-in victim: it never runs as the app.

With no JWT secret, ``document.url`` is all it takes to fetch the file, and every editor config hands it out. The
link is downloaded, not shown; and should something in between drop the Content-Disposition, the CSP sandbox
still keeps its script from running.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from connector import ds_settings
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKER = "/the-script-ran/"
REPORT_HTML = (
    b"<!doctype html><title>Report</title>"
    b"<script>document.title = 'ran'; fetch('" + MARKER.encode() + b"', {credentials: 'include'});</script>"
    b"<p id=report>Quarterly report</p>"
)


@pytest.fixture
def ds_link(personas: Personas, make_attachment, live_server) -> str:
    """``document.url`` of report.html, as the editor page gives it to anyone who opens the file."""
    ds_settings.update(public_url="http://127.0.0.1:9", connector_url=live_server.url, jwt_secret="")
    attachment = make_attachment(personas.space, "report.html", content=REPORT_HTML, user=personas.editor)
    html = personas.client_for("viewer").get(reverse("onlyoffice-editor", args=[attachment.pk])).content.decode()
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))["document"]["url"]


@pytest.fixture
def victim(personas: Personas, browser_page) -> Any:
    """A browser with the owner's session, recording every path it requests."""
    browser_page.login(personas.client_for("owner"))
    browser_page.requested = []
    browser_page.page.context.on("request", lambda request: browser_page.requested.append(urlsplit(request.url).path))
    return browser_page


def test_it_downloads_the_link_of_an_html_file_instead_of_showing_it(ds_link: str, victim) -> None:
    from playwright.sync_api import Error as PlaywrightError

    page = victim.page
    # A download ends the navigation with an error ("Download is starting"): that is the point.
    with page.expect_download() as download, contextlib.suppress(PlaywrightError):
        page.goto(ds_link)

    assert download.value.suggested_filename == "report.html"
    assert MARKER not in victim.requested


def test_it_keeps_the_script_from_running_if_a_browser_shows_the_file_after_all(ds_link: str, victim) -> None:
    page = victim.page

    def without_content_disposition(route: Any) -> None:
        # As a proxy that drops the header would: the browser then shows the file.
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-disposition"}
        route.fulfill(response=response, headers=headers)

    page.route(ds_link, without_content_disposition)
    assert page.goto(ds_link).status == 200

    assert page.inner_text("#report") == "Quarterly report"
    assert page.title() == "Report"
    assert MARKER not in victim.requested
