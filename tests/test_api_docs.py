"""/api/docs/ works offline: Swagger UI comes from our own static files, with nothing inline for the CSP to block.

The assets are served as in production: collected by ``collectstatic`` with the production storage (hashed,
compressed names) and answered by WhiteNoise. In the browser: tests/test_browser_api_docs.py.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from config import settings as base_settings


class _Assets(HTMLParser):
    """The URLs a browser loads for the page, and any inline script or style it would run."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script":
            if attr.get("src"):
                self.urls.append(attr["src"] or "")
            else:
                self._in_script = True
        elif tag == "link" and attr.get("href"):
            self.urls.append(attr["href"] or "")
        elif tag in {"img", "iframe"} and attr.get("src"):
            self.urls.append(attr["src"] or "")
        elif tag == "style":
            self.inline.append("<style>")
        if any(name.startswith("on") for name in attr) or "style" in attr:
            self.inline.append(f"<{tag}> attribute")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script>")


def assets_of(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


@pytest.fixture
def collected_static(settings, tmp_path: Path) -> Path:
    """Static files collected the way the image builds them, and served by WhiteNoise from there."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": base_settings.STORAGES["staticfiles"]}
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def test_it_loads_only_same_origin_assets_and_nothing_inline(client: Client) -> None:
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    page = assets_of(response.content.decode())
    assert page.inline == []
    assert len(page.urls) >= 5  # favicon, two stylesheets, two bundles and the init script
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url


def test_it_serves_every_asset_of_the_api_docs_page(collected_static: Path) -> None:
    client = Client()  # a new handler: WhiteNoise reads the collected files when it starts
    page = assets_of(client.get(reverse("api-docs")).content.decode())
    static_urls = [url for url in page.urls if url.startswith("/static/")]
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle." in url for url in static_urls)

    for url in page.urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, url


def test_it_serves_the_init_script_as_javascript_that_loads_our_schema(client: Client) -> None:
    page = assets_of(client.get(reverse("api-docs")).content.decode())
    [script_url] = [url for url in page.urls if url.startswith(reverse("api-docs"))]

    response = client.get(script_url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert f'url: "{reverse("api-schema")}"' in response.content.decode()
