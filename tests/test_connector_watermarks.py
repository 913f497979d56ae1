"""Watermarks (issue 22): a space's policy, the text, the signed editor config, and the space settings section."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from attachments.models import Space
from connector import ds_settings, editor, watermarks
from connector.models import SpaceWatermark
from sharing import services as sharing
from tests.conftest import Personas

SECRET = "watermark-test-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_cached_policies() -> Iterator[None]:
    """Policies are cached by space id, which the next test's spaces reuse."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def onlyoffice(db: None) -> ds_settings.DocServerConfig:
    return ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://connector.test", jwt_secret=SECRET)


def _turn_on(
    space: Space, *, everyone: bool = False, share_links: bool = False, text: str = "{name} · {email}"
) -> None:
    watermarks.space_watermark_update(space=space, enabled=True, everyone=everyone, share_links=share_links, text=text)


def _signed_config(response) -> dict:
    """The config the page hands the editor, as the Document Server reads it: the token's claims."""
    match = re.search(
        r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match
    return jwt.decode(json.loads(match.group(1))["token"], SECRET, algorithms=["HS256"])


def _mark(config: dict) -> str | None:
    options = config["document"].get("options")
    if options is None:
        return None
    return options["watermark_on_draw"]["paragraphs"][0]["runs"][0]["text"]


def _open(personas: Personas, who: str, attachment) -> dict:
    response = personas.client_for(who).get(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status_code == 200
    return _signed_config(response)


# --- who is marked ------------------------------------------------------------------------------------------


def test_it_marks_nobody_by_default(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space)
    assert _mark(_open(personas, "viewer", attachment)) is None
    assert not watermarks.space_watermarked(personas.space.pk)


def test_it_marks_viewers_in_the_signed_config_but_not_editors(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space)
    _turn_on(personas.space)
    assert _mark(_open(personas, "viewer", attachment)) == "Vera Viewer · vera@example.com"
    assert _mark(_open(personas, "editor", attachment)) is None
    assert _mark(_open(personas, "owner", attachment)) is None
    assert watermarks.space_watermarked(personas.space.pk)


def test_it_marks_editors_and_admins_when_it_is_for_everyone(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space)
    _turn_on(personas.space, everyone=True)
    assert _mark(_open(personas, "editor", attachment)) == "Eddie Editor · eddie@example.com"
    assert _mark(_open(personas, "owner", attachment)) == "Olivia Owner · olivia@example.com"


def test_it_marks_only_its_own_space(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space)
    other = Space.objects.create(name="Other")
    _turn_on(other, everyone=True)
    assert _mark(_open(personas, "viewer", attachment)) is None


def test_it_draws_the_watermark_as_the_document_server_expects(personas, make_attachment, onlyoffice) -> None:
    attachment = make_attachment(personas.space)
    _turn_on(personas.space)
    drawn = _open(personas, "viewer", attachment)["document"]["options"]["watermark_on_draw"]
    assert drawn["rotate"] == -45
    assert 0 < drawn["transparent"] < 1
    assert drawn["paragraphs"][0]["align"] == 2
    assert drawn["paragraphs"][0]["runs"][0]["fill"] == [182, 182, 182]


def _guest_config(personas: Personas, attachment, access: str) -> dict:
    link, _secret = sharing.link_create(
        attachment=attachment, access=access, expires_at=None, password="", created_by=personas.owner
    )
    guest = sharing.guest_create(link=link, name="Alice")
    request = RequestFactory().get("/s/x/")
    config = editor.build_config(
        request, attachment=attachment, user=guest, access=access, cfg=ds_settings.current(), guest=True
    )
    return jwt.decode(config["token"], SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("access", ["view", "edit"])
def test_it_marks_share_link_guests_only_when_their_switch_is_on(personas, make_attachment, onlyoffice, access) -> None:
    attachment = make_attachment(personas.space)
    _turn_on(personas.space, everyone=True)
    assert _mark(_guest_config(personas, attachment, access)) is None
    _turn_on(personas.space, share_links=True)
    # A guest's own name with the guest mark, and no e-mail address: the separator goes with it.
    assert _mark(_guest_config(personas, attachment, access)) == "Alice (guest)"


def test_it_fills_in_todays_date_in_the_sites_time_zone(
    personas, make_attachment, onlyoffice, settings, monkeypatch
) -> None:
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in December: already the next day
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 5, 11, 30, tzinfo=UTC))
    attachment = make_attachment(personas.space)
    _turn_on(personas.space, text="Seen by {name} <{email}> on {date}")
    assert _mark(_open(personas, "viewer", attachment)) == "Seen by Vera Viewer <vera@example.com> on 2026-12-06"


# --- the text -----------------------------------------------------------------------------------------------


def test_it_leaves_out_an_empty_value_with_its_separator() -> None:
    values = {"name": "Alice (guest)", "email": "", "date": "2026-12-05"}
    assert watermarks.fill("{name} · {email} · {date}", values) == "Alice (guest) · 2026-12-05"
    assert watermarks.fill("{email}, {name}", values) == "Alice (guest)"
    assert watermarks.fill("Confidential", values) == "Confidential"
    # Values are put in as they are: braces in a name are no placeholder.
    assert watermarks.fill("{name}", {"name": "{email}"}) == "{email}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{name} {user}", "Unknown placeholder: {user}"),
        ("{Name}", "Unknown placeholder: {Name}"),
        ("{name!r}", "Unknown placeholder: {name!r}"),
        ("{name", "A brace without its pair"),
        ("name}", "A brace without its pair"),
        ("   ", "Enter the watermark text"),
        ("x" * 201, "too long (at most 200 characters)"),
        ("one\ntwo", "one line"),
    ],
)
def test_it_refuses_a_bad_template_with_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        watermarks.clean_text(text)
    assert message in caught.value.messages[0]


def test_it_accepts_every_placeholder_and_trims() -> None:
    assert (
        watermarks.clean_text("  {name} · {email} · {date} · Confidential ")
        == "{name} · {email} · {date} · Confidential"
    )


# --- the space settings section -----------------------------------------------------------------------------


def _settings_url(space: Space) -> str:
    return reverse("space_settings", args=[space.pk])


def _post_url(space: Space) -> str:
    return reverse("onlyoffice-space-watermark", args=[space.pk])


GOOD = {"enabled": "on", "audience": "everyone", "share_links": "on", "text": "{name} · {date}"}


def test_it_shows_the_section_on_the_space_settings_page_to_its_admins(personas: Personas) -> None:
    html = personas.client_for("owner").get(_settings_url(personas.space)).content.decode()
    assert 'id="watermark"' in html
    assert f'action="{_post_url(personas.space)}"' in html
    assert "{name} · {email} · {date}" in html  # the default text


def test_it_saves_the_settings(personas: Personas) -> None:
    client = personas.client_for("owner")
    response = client.post(_post_url(personas.space), GOOD)
    assert response.status_code == 302
    assert response["Location"] == _settings_url(personas.space) + "#watermark"
    row = SpaceWatermark.objects.get(space=personas.space)
    assert (row.enabled, row.everyone, row.share_links, row.text) == (True, True, True, "{name} · {date}")
    assert watermarks.policy(personas.space.pk) == watermarks.Policy(True, True, True, "{name} · {date}")
    html = client.get(_settings_url(personas.space)).content.decode()
    assert "The watermark settings of “Engineering” were saved." in html
    assert re.search(r'value="everyone"[^>]*checked', html)


def test_it_turns_it_off_with_an_unchecked_box(personas: Personas) -> None:
    _turn_on(personas.space)
    data = {"audience": "below_editor", "text": "{name}"}
    assert personas.client_for("owner").post(_post_url(personas.space), data).status_code == 302
    assert not watermarks.space_watermarked(personas.space.pk)


def test_it_refuses_an_unknown_placeholder_and_stores_nothing(personas: Personas) -> None:
    response = personas.client_for("owner").post(_post_url(personas.space), {**GOOD, "text": "{name} {phone}"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown placeholder: {phone}" in html
    assert "{name} {phone}" in html  # what was typed, to correct
    assert not SpaceWatermark.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("editor", 403), ("viewer", 403), ("outsider", 404)])
def test_it_is_for_space_admins_only(personas: Personas, who: str, status: int) -> None:
    client = personas.client_for(who)
    assert client.post(_post_url(personas.space), GOOD).status_code == status
    assert not SpaceWatermark.objects.exists()


def test_it_lets_staff_in(personas: Personas) -> None:
    assert personas.client_for("staff").post(_post_url(personas.space), GOOD).status_code == 302


def test_it_sends_anonymous_people_to_sign_in(personas: Personas) -> None:
    response = Client().post(_post_url(personas.space), GOOD)
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not SpaceWatermark.objects.exists()


def test_it_refuses_a_post_without_the_csrf_token(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)
    assert client.post(_post_url(personas.space), GOOD).status_code == 403
    assert not SpaceWatermark.objects.exists()


def test_it_sends_a_get_to_the_settings_page(personas: Personas) -> None:
    response = personas.client_for("owner").get(_post_url(personas.space))
    assert response.status_code == 302
    assert response["Location"] == _settings_url(personas.space) + "#watermark"
