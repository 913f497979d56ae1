"""The file page's preview: a lazy frame of a minimal page that opens the file read-only in ONLYOFFICE's embedded
viewer, with a config signed like every other, and the only page our own pages may frame.

In a real browser (api.js from the fake Document Server, and a stopped one): tests/test_browser_preview.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import jwt
import pytest
from django.core.cache import cache
from django.urls import reverse

from connector import ds_settings, watermarks

SECRET = "preview-test-secret-0123456789abcdef"
DS_URL = "http://127.0.0.1:9"  # never contacted by these tests


@pytest.fixture
def onlyoffice(db):
    return ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret=SECRET)


@pytest.fixture
def plan(personas, make_attachment):
    return make_attachment(personas.space, "Plan.docx", user=personas.owner)


def _preview(personas, persona: str, attachment):
    return personas.client_for(persona).get(reverse("onlyoffice-preview", args=[attachment.pk]))


def _config_from(response) -> dict:
    match = re.search(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "the page embeds the config in #onlyoffice-config"
    return json.loads(match.group(1))


def _signed(config: dict) -> dict:
    """The token's claims, checked to sign the whole config (the DS uses the token's values)."""
    claims = jwt.decode(config["token"], SECRET, algorithms=["HS256"])
    plain = {key: value for key, value in config.items() if key != "token"}
    assert {key: value for key, value in claims.items() if key not in {"iat", "exp"}} == plain
    return claims


def test_it_opens_the_file_embedded_and_read_only_with_a_signed_config(personas, onlyoffice, plan) -> None:
    response = _preview(personas, "editor", plan)

    assert response.status_code == 200
    claims = _signed(_config_from(response))
    assert claims["type"] == "embedded"
    assert claims["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in claims["editorConfig"]
    assert claims["document"]["permissions"]["edit"] is False
    assert claims["document"]["title"] == "Plan.docx"
    assert claims["document"]["url"].startswith(f"http://connector.test/onlyoffice/download/{plan.pk}/?token=")
    assert f'data-api-url="{DS_URL}/web-apps/apps/api/documents/api.js"' in response.text
    assert response["Cache-Control"] == "no-store"


def test_it_has_no_site_chrome_and_leaves_the_frame_from_its_links(personas, onlyoffice, plan) -> None:
    page = _preview(personas, "viewer", plan).text

    assert 'class="topbar"' not in page
    assert f'href="{reverse("onlyoffice-editor", args=[plan.pk])}" target="_top"' in page
    assert f'href="{reverse("attachment_download", args=[plan.pk])}" target="_top"' in page
    assert "The preview is not available right now." in page  # the fallback, hidden until preview.js shows it


@pytest.mark.parametrize(
    ("persona", "block_download", "may_download"),
    [
        ("viewer", False, True),
        ("viewer", True, False),
        ("editor", False, True),
        # "Block download" keeps viewers from copies, not editors: the preview follows the member's role.
        ("editor", True, True),
    ],
)
def test_it_gives_download_and_print_as_the_members_role_allows(
    personas, onlyoffice, plan, persona, block_download, may_download
) -> None:
    ds_settings.update(block_download=block_download)
    response = _preview(personas, persona, plan)

    permissions = _signed(_config_from(response))["document"]["permissions"]
    assert permissions["edit"] is False
    assert permissions["download"] is may_download
    assert permissions["print"] is may_download
    assert permissions["copy"] is may_download
    download_link = f'href="{reverse("attachment_download", args=[plan.pk])}"'
    assert (download_link in response.text) is may_download


@pytest.fixture
def no_cached_watermarks() -> Iterator[None]:
    """Watermark policies are cached by space id, which another test's space may have had."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("persona", ["viewer", "editor"])
def test_it_draws_the_spaces_watermark_with_the_readers_own_name(
    personas, onlyoffice, plan, persona, no_cached_watermarks
) -> None:
    # The preview opens with the view access: in a watermarked space everyone reading it is marked, editors too.
    watermarks.space_watermark_update(
        space=personas.space, enabled=True, everyone=False, share_links=False, text="{name} · {email}"
    )
    user = getattr(personas, persona)

    claims = _signed(_config_from(_preview(personas, persona, plan)))

    drawn = claims["document"]["options"]["watermark_on_draw"]
    assert drawn["paragraphs"][0]["runs"][0]["text"] == f"{user.get_full_name()} · {user.email}"


def test_it_draws_no_watermark_where_the_space_has_none(personas, onlyoffice, plan, no_cached_watermarks) -> None:
    claims = _signed(_config_from(_preview(personas, "viewer", plan)))

    assert "options" not in claims["document"]


def test_it_may_be_framed_by_our_own_pages_only(personas, onlyoffice, plan) -> None:
    response = _preview(personas, "viewer", plan)

    assert response["X-Frame-Options"] == "SAMEORIGIN"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "'none'" not in csp.split("frame-ancestors")[1].split(";")[0]
    # The viewer's own origin, as on the editor page.
    assert f"script-src 'self' {DS_URL}" in csp
    assert f"frame-src {DS_URL}" in csp


def test_it_keeps_denying_framing_of_the_file_page(personas, onlyoffice, plan) -> None:
    response = personas.client_for("viewer").get(reverse("attachment_detail", args=[plan.pk]))

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_it_shows_the_preview_panel_on_the_file_page_of_a_viewable_file(personas, onlyoffice, plan) -> None:
    response = personas.client_for("viewer").get(reverse("attachment_detail", args=[plan.pk]))

    page = response.text
    assert response.status_code == 200
    frame = re.search(r"<iframe[^>]*file-preview-frame[^>]*>", page, re.S)
    assert frame, "the file page frames the preview"
    assert f'src="{reverse("onlyoffice-preview", args=[plan.pk])}"' in frame.group(0)
    assert 'loading="lazy"' in frame.group(0)
    assert 'title="Preview of Plan.docx"' in frame.group(0)
    # Nothing of the Document Server on the file page itself: it never waits for it.
    assert DS_URL not in page
    assert "api.js" not in page


def test_it_shows_no_preview_panel_for_a_type_onlyoffice_cannot_open(personas, onlyoffice, make_attachment) -> None:
    archive = make_attachment(personas.space, "backup.zip")
    page = personas.client_for("viewer").get(reverse("attachment_detail", args=[archive.pk])).text

    assert "file-preview" not in page


def test_it_shows_no_preview_panel_without_a_document_server(personas, plan) -> None:
    page = personas.client_for("viewer").get(reverse("attachment_detail", args=[plan.pk])).text

    assert "file-preview" not in page


@pytest.mark.parametrize(("configured", "title", "status"), [(False, "Plan.docx", 503), (True, "backup.zip", 415)])
def test_it_says_the_preview_is_not_available_when_it_cannot_open(
    personas, make_attachment, configured, title, status
) -> None:
    if configured:
        ds_settings.update(public_url=DS_URL, jwt_secret=SECRET)
    attachment = make_attachment(personas.space, title)
    response = _preview(personas, "viewer", attachment)

    assert response.status_code == status
    assert "The preview is not available right now." in response.text
    assert "onlyoffice-config" not in response.text
    assert "Open in ONLYOFFICE" not in response.text
    assert DS_URL not in response["Content-Security-Policy"]


def test_it_hides_the_file_from_outsiders(personas, onlyoffice, plan) -> None:
    response = _preview(personas, "outsider", plan)

    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"


def test_it_sends_anonymous_visitors_to_sign_in(personas, onlyoffice, plan) -> None:
    response = _preview(personas, "anonymous", plan)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_answers_get_only(personas, onlyoffice, plan) -> None:
    response = personas.client_for("viewer").post(reverse("onlyoffice-preview", args=[plan.pk]))

    assert response.status_code == 405
