"""/api/docs/ in a real browser: Swagger UI renders our schema from our own files, under the site's CSP.

Every request the page makes is recorded; none may leave the test server (no CDN). Violations are collected as in
tests/test_browser_csp.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.test_browser_csp import COLLECT_VIOLATIONS, violations_of_the_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_renders_swagger_ui_offline_without_a_csp_violation(personas, browser_page) -> None:
    page = browser_page.page
    page.add_init_script(COLLECT_VIOLATIONS)
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    browser_page.login(personas.client_for("owner"))

    assert browser_page.goto(reverse("api-docs")).status == 200
    # Rendered from the schema: an operation of our API, opened, with its "Try it out" form.
    page.click(".opblock-summary-path[data-path='/api/spaces/']")
    page.click(".opblock .try-out__btn")
    page.wait_for_selector(".opblock .execute")

    assert violations_of_the_page(page) == []
    server = urlsplit(browser_page.base_url).netloc
    assert {urlsplit(url).netloc for url in requested if urlsplit(url).scheme in {"http", "https"}} == {server}
    assert f"{browser_page.base_url}{reverse('api-schema')}" in requested
