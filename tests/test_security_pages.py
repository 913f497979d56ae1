"""CSRF on every state-changing route, and no page that another site can frame.

Routes are read from the URL configuration itself, so a route added later is covered without editing this file:
every POST route of the pages (attachments/urls.py, connector/urls.py, accounts) refuses a POST without the CSRF
token, except the Document Server's endpoints, which are csrf-exempt by design and named here. Every response
denies framing, the editor page included (only the DS frame lives inside it, and nothing may frame the editor),
except the pages named in FRAMED_BY_OUR_PAGES, which our own pages only may frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from attachments.models import Attachment
from connector import ds_settings

# Reached by the Document Server without a session: authenticated by link token and JWT instead.
DS_ENDPOINTS = {"onlyoffice-download", "onlyoffice-callback", "onlyoffice-check-file", "onlyoffice-changes"}
# WebDAV for the desktop apps: the link's token in the path is the credential, never a cookie (desktop/links.py),
# so no other site can make a browser use it; the apps send no CSRF token.
TOKEN_IN_PATH_ENDPOINTS = {"dav"}
# The file page's preview (connector/views/preview.py) is a frame of the file page: framed by our own origin only
# (X-Frame-Options SAMEORIGIN, frame-ancestors 'self'), never by another site.
FRAMED_BY_OUR_PAGES = {"onlyoffice-preview"}
PAGE_MODULES = (
    "attachments.urls",
    "connector.urls",
    "config.accounts_urls",
    "desktop.urls",
    "sharing.urls",
    "sharing.manage_urls",
)
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    path: str  # with <converter:name> placeholders
    name: str
    module: str
    view: Callable

    def url(self, ids: dict[str, int]) -> str:
        return "/" + _PARAM.sub(lambda m: str(ids.get(m.group("name"), 1)), self.path)


def _walk(resolvers: list, prefix: str = "", module: str = "config.urls") -> Iterator[Route]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            name = getattr(entry.urlconf_module, "__name__", module)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), name)
        elif isinstance(entry, URLPattern):
            yield Route(prefix + str(entry.pattern), entry.name or "", module, entry.callback)


ALL_ROUTES = [
    route for route in _walk(get_resolver().url_patterns) if "(?P" not in route.path and "^" not in route.path
]
PAGE_ROUTES = [route for route in ALL_ROUTES if route.module in PAGE_MODULES]


@pytest.fixture
def ids(personas, make_attachment) -> dict[str, int]:
    attachment: Attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    # The editor page renders only with a Document Server configured; nothing contacts it here.
    ds_settings.update(public_url="http://127.0.0.1:1", jwt_secret="s" * 40)
    # Any other id is 1: a 404 still passes through the CSRF and framing middleware.
    return {
        "attachment_id": attachment.pk,
        "space_id": personas.space.pk,
        "user_id": personas.editor.pk,
        "number": 1,
        "pk": attachment.pk,
        "version_id": attachment.versions.get().pk,
    }


def _csrf_client(personas) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(personas.owner)
    return client


def test_it_finds_the_page_routes_it_checks() -> None:
    names = {route.name for route in PAGE_ROUTES}
    assert {"space_create", "attachment_upload", "version_restore", "onlyoffice-editor", "logout"} <= names
    assert names >= DS_ENDPOINTS


@pytest.mark.parametrize(
    "route",
    [route for route in PAGE_ROUTES if route.name not in DS_ENDPOINTS | TOKEN_IN_PATH_ENDPOINTS],
    ids=[route.name or route.path for route in PAGE_ROUTES if route.name not in DS_ENDPOINTS | TOKEN_IN_PATH_ENDPOINTS],
)
def test_it_refuses_a_post_without_the_csrf_token(personas, ids, route) -> None:
    assert not getattr(route.view, "csrf_exempt", False), f"{route.name} is csrf-exempt"
    response = _csrf_client(personas).post(route.url(ids), {"title": "x", "role": "viewer", "name": "x"})
    assert response.status_code == 403, f"{route.name}: {response.status_code}"


def test_it_accepts_the_same_post_with_the_csrf_token(personas, ids) -> None:
    # The control: the 403s above come from the missing token, not from the client or the route.
    client = _csrf_client(personas)
    page = client.get(reverse("space_create"))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token, "the form has no CSRF token"
    response = client.post(reverse("space_create"), {"name": "Design", "csrfmiddlewaretoken": token.group(1).decode()})
    assert response.status_code in {200, 302}


def test_it_keeps_only_the_document_server_endpoints_csrf_exempt() -> None:
    exempt = {route.name for route in PAGE_ROUTES if getattr(route.view, "csrf_exempt", False)}
    assert exempt == DS_ENDPOINTS | TOKEN_IN_PATH_ENDPOINTS


def test_it_refuses_a_session_authenticated_api_post_without_the_csrf_token(personas) -> None:
    response = _csrf_client(personas).post(
        reverse("api-space-list"), {"name": "Sneaky"}, content_type="application/json"
    )
    assert response.status_code == 403


UNFRAMED_ROUTES = [route for route in ALL_ROUTES if route.name not in FRAMED_BY_OUR_PAGES]


@pytest.mark.parametrize("route", UNFRAMED_ROUTES, ids=[route.name or route.path for route in UNFRAMED_ROUTES])
def test_it_denies_framing_of_every_page(personas, ids, route) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(personas.owner)
    response = client.get(route.url(ids))
    csp = response.headers.get("Content-Security-Policy", "")
    assert response.headers.get("X-Frame-Options") == "DENY" or "frame-ancestors 'none'" in csp, route.path


def test_it_denies_framing_of_the_editor_page_itself(personas, ids) -> None:
    client = personas.client_for("editor")
    response = client.get(reverse("onlyoffice-editor", args=[ids["attachment_id"]]))
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name", sorted(FRAMED_BY_OUR_PAGES))
def test_it_lets_only_our_own_pages_frame_the_pages_meant_to_be_framed(personas, ids, name) -> None:
    response = personas.client_for("viewer").get(reverse(name, args=[ids["attachment_id"]]))

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    ancestors = [
        part.split()[1:] for part in response["Content-Security-Policy"].split(";") if "frame-ancestors" in part
    ]
    assert ancestors == [["'self'"]]
