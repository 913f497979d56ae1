"""Every HTML page sends the strict Content-Security-Policy; the editor and settings pages widen only what they need.

The policy is compared as a whole (directive → sources), so a page that loses a directive, gains an unexpected
source, or sends no header at all fails here. What the browser does with it: tests/test_browser_csp.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from tests.conftest import Personas

DS_URL = "https://docs.example.com:8443"  # never contacted: only its origin goes into the policies
EMPTY_HANDLER = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"

STRICT: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# What the editor page adds: api.js, its frame, its requests and images from the DS, and api.js's empty handler.
EDITOR_WIDENING: dict[str, list[str]] = {
    "script-src": ["'self'", DS_URL],
    "script-src-attr": ["'unsafe-hashes'", EMPTY_HANDLER],
    "frame-src": [DS_URL],
    "connect-src": ["'self'", DS_URL],
    "img-src": ["'self'", "data:", "blob:", DS_URL],
}
# The settings page loads api.js from the DS in the browser's check step, and nothing else from it.
SETTINGS_WIDENING: dict[str, list[str]] = {"script-src": ["'self'", DS_URL]}
# Swagger UI's stylesheet draws its icons as data: images.
API_DOCS_WIDENING: dict[str, list[str]] = {"img-src": ["'self'", "data:"]}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice in {header}"
        directives[name] = sources
    return directives


@dataclass(frozen=True)
class Page:
    name: str
    persona: str
    path: Callable[[Personas, Attachment], str]


PAGES = [
    Page("home", "owner", lambda p, a: reverse("home")),
    Page("space", "owner", lambda p, a: reverse("space_detail", args=[p.space.pk])),
    Page("new space", "owner", lambda p, a: reverse("space_create")),
    Page("file page", "owner", lambda p, a: reverse("attachment_detail", args=[a.pk])),
    Page("rename", "owner", lambda p, a: reverse("attachment_rename", args=[a.pk])),
    Page("members", "owner", lambda p, a: reverse("space_members", args=[p.space.pk])),
    Page("convert", "owner", lambda p, a: reverse("onlyoffice-convert", args=[a.pk])),
    Page("login", "anonymous", lambda p, a: reverse("login")),
    Page("admin index", "staff", lambda p, a: reverse("admin:index")),
    Page("admin list", "staff", lambda p, a: reverse("admin:attachments_attachment_changelist")),
    Page("admin login", "anonymous", lambda p, a: reverse("admin:login")),
    Page("not found", "owner", lambda p, a: "/no-such-page/"),
]


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret="s" * 40)
    return make_attachment(personas.space, "Plan.docx", user=personas.owner)


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_it_sends_the_strict_policy_on_every_page(personas, plan, page: Page) -> None:
    personas.staff.is_superuser = True
    personas.staff.save()
    response = personas.client_for(page.persona).get(page.path(personas, plan))

    assert response.status_code == (404 if page.name == "not found" else 200)
    assert response["Content-Type"].startswith("text/html")
    assert policy(response) == STRICT


def test_it_widens_the_editor_pages_policy_by_the_document_servers_origin_only(personas, plan) -> None:
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[plan.pk]))

    assert response.status_code == 200
    assert policy(response) == {**STRICT, **EDITOR_WIDENING}


def test_it_follows_a_changed_document_server_url_on_the_editor_page(personas, plan) -> None:
    ds_settings.update(public_url="https://office.example.org/ds")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[plan.pk]))

    assert policy(response)["frame-src"] == ["https://office.example.org"]
    assert DS_URL not in response["Content-Security-Policy"]


def test_it_widens_the_settings_pages_policy_by_the_document_servers_scripts_only(personas, plan) -> None:
    response = personas.client_for("staff").get(reverse("onlyoffice-settings"))

    assert response.status_code == 200
    assert policy(response) == {**STRICT, **SETTINGS_WIDENING}


def test_it_sends_the_settings_page_the_strict_policy_without_a_document_server(personas) -> None:
    response = personas.client_for("staff").get(reverse("onlyoffice-settings"))

    assert response.status_code == 200
    assert policy(response) == STRICT


def test_it_widens_the_api_docs_policy_by_data_images_only(personas) -> None:
    response = personas.client_for("owner").get(reverse("api-docs"))

    assert response.status_code == 200
    assert policy(response) == {**STRICT, **API_DOCS_WIDENING}


def test_it_keeps_the_strict_policy_on_an_editor_page_that_cannot_open_the_file(personas, make_attachment) -> None:
    # Not set up: the page explains why, and has no reason to trust any Document Server.
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))

    assert response.status_code == 503
    assert policy(response) == STRICT


def test_it_still_denies_framing_with_x_frame_options(personas, plan) -> None:
    # Browsers without frame-ancestors support fall back to it.
    for client, path in [
        (personas.client_for("owner"), reverse("home")),
        (personas.client_for("editor"), reverse("onlyoffice-editor", args=[plan.pk])),
        (Client(), reverse("login")),
    ]:
        assert client.get(path)["X-Frame-Options"] == "DENY"
