"""The ONLYOFFICE settings page, /onlyoffice/settings/: staff only, every field, validation, the secret, checks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from connector import ds_settings
from connector.models import ConnectorSettings
from tests.conftest import Personas
from tests.support.onlyoffice_env import clear_onlyoffice_environment
from tests.support.screens import screens

URL = "/onlyoffice/settings/"
SECRET = "page-secret-Zq7-that-must-never-reach-the-html-0123456789"
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _no_onlyoffice_environment(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    """Tests decide the environment (the parsed ONLYOFFICE_* settings): none of the machine's variables apply."""
    clear_onlyoffice_environment(monkeypatch, settings)


@pytest.fixture
def staff(personas: Personas) -> Client:
    return personas.client_for("staff")


class _FormReader(HTMLParser):
    """What a browser would submit for the page's settings form, untouched (successful controls only)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._option: str | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        name = attr.get("name", "")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.data.setdefault(name, []).append(attr.get("value", "on"))
            elif kind != "submit":
                self.data.setdefault(name, []).append(attr.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            self._option = attr.get("value", "")
            self._selected = "selected" in attr
            if self._selected:
                self.data[self._select] = [self._option]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def page_form(client: Client) -> dict[str, Any]:
    """The settings form as the page shows it now, ready to post back with a few fields changed."""
    reader = _FormReader()
    reader.feed(client.get(URL).content.decode())
    return {name: values if len(values) > 1 else values[0] for name, values in reader.data.items()}


def post(client: Client, *, action: str = "save", **changes: Any):
    data = page_form(client)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)  # an unchecked checkbox is not sent at all
        else:
            data[name] = value
    data["action"] = action
    return client.post(URL, data)


def stored_row() -> dict[str, Any]:
    row = ConnectorSettings.objects.filter(pk=ds_settings.SETTINGS_PK).first()
    return {} if row is None else {**model_to_dict(row), "updated_at": row.updated_at}


def page_value(html: str, name: str) -> str:
    """The value a text input of the page shows."""
    match = re.search(rf'<input type="(?:text|url)" name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def field_errors(html: str, name: str) -> str:
    """The text of the error block beside one field ("" when there is none)."""
    match = re.search(rf'<div class="errors" id="id_{name}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


# --- access -----------------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(personas: Personas) -> None:
    response = personas.client_for("anonymous").get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["outsider", "viewer", "editor", "owner"])
def test_it_hides_the_page_from_users_who_are_not_staff(personas: Personas, persona: str) -> None:
    ds_settings.update(public_url="https://docs.example.com")
    client = personas.client_for(persona)

    page = client.get(URL)
    attempt = client.post(URL, {"public_url": "https://evil.example.com", "verify_tls": "env", "action": "save"})

    assert page.status_code == 404
    assert attempt.status_code == 404
    assert ds_settings.current().public_url == "https://docs.example.com"


def test_it_shows_the_page_to_staff(staff: Client) -> None:
    response = staff.get(URL)

    assert response.status_code == 200
    assert "ONLYOFFICE settings" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_it_links_the_page_from_the_header_for_staff_only(personas: Personas) -> None:
    assert f'href="{URL}"' in personas.client_for("staff").get(reverse("home")).content.decode()
    assert f'href="{URL}"' not in personas.client_for("owner").get(reverse("home")).content.decode()


def test_it_links_the_page_from_django_admin(personas: Personas) -> None:
    response = personas.client_for("staff").get(reverse("admin:connector_connectorsettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == URL


# --- saving -----------------------------------------------------------------------------------------------


def test_it_saves_every_field_and_redirects(staff: Client) -> None:
    response = post(
        staff,
        public_url="https://docs.example.com/",
        internal_url="http://onlyoffice:8080",
        connector_url="http://app.internal:8000",
        jwt_secret=SECRET,
        jwt_header="AuthorizationJwt",
        verify_tls="no",
        forcesave="on",
        lossy_edit=["odt", "csv"],
        chat=None,
        comments=None,
        help=None,
        compact_header="on",
        feedback="on",
        macros=None,
        review_display="final",
        block_download="on",
        download_token_ttl="600",
        callback_token_ttl="86400",
        max_edit_size_mb="25",
    )

    assert response.status_code == 302
    assert response["Location"] == URL
    cfg = ds_settings.current()
    assert cfg.public_url == "https://docs.example.com"
    assert cfg.internal_url == "http://onlyoffice:8080"
    assert cfg.connector_url == "http://app.internal:8000"
    assert cfg.jwt_secret == SECRET
    assert cfg.jwt_header == "AuthorizationJwt"
    assert cfg.verify_tls is False
    assert cfg.forcesave is True
    assert cfg.lossy_edit == frozenset({"odt", "csv"})
    assert dict(cfg.customization) == {
        "chat": False,
        "comments": False,
        "help": False,
        "compactHeader": True,
        "feedback": True,
        "macros": False,
        "reviewDisplay": "final",
    }
    assert cfg.block_download is True
    assert cfg.download_token_ttl == 600
    assert cfg.callback_token_ttl == 86400
    assert cfg.max_edit_size == 25 * MIB
    assert "The ONLYOFFICE settings were saved." in staff.get(URL).content.decode()


def test_it_shows_the_saved_values_on_the_next_visit(staff: Client) -> None:
    post(staff, public_url="https://docs.example.com", verify_tls="yes", lossy_edit=["rtf"], max_edit_size_mb="2.5")

    form = page_form(staff)

    assert form["public_url"] == "https://docs.example.com"
    assert form["verify_tls"] == "yes"
    assert form["lossy_edit"] == "rtf"
    assert form["max_edit_size_mb"] == "2.5"
    assert ds_settings.current().max_edit_size == int(2.5 * MIB)


def test_it_saves_an_untouched_page_without_changing_anything(staff: Client) -> None:
    # A value the form cannot show exactly (not a whole number of MB) survives a save of other fields.
    ds_settings.update(public_url="https://docs.example.com", max_edit_size=1234567, customization={"chat": False})

    post(staff, forcesave="on")

    cfg = ds_settings.current()
    assert cfg.max_edit_size == 1234567
    assert dict(cfg.customization) == {"chat": False}
    assert cfg.forcesave is True


def test_it_returns_tls_verification_to_the_environment(staff: Client, settings) -> None:
    ds_settings.update(verify_tls=False)
    settings.ONLYOFFICE_VERIFY_TLS = True

    post(staff, verify_tls="env")

    assert ds_settings.current().verify_tls is True
    assert ds_settings.sources()["verify_tls"] == "environment"


def test_it_clears_a_url_so_the_environment_applies_again(staff: Client, settings) -> None:
    ds_settings.update(public_url="https://db.example.com")
    settings.ONLYOFFICE_URL = "https://env.example.com"

    post(staff, public_url="")

    assert ds_settings.current().public_url == "https://env.example.com"
    assert ds_settings.sources()["public_url"] == "environment"


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("public_url", "docs.example.com", "starts with http:// or https://"),
        ("internal_url", "ftp://onlyoffice", "starts with http:// or https://"),
        ("connector_url", "https://app.example.com/?x=1", "must not contain a query"),
        ("jwt_header", "X Auth", "no spaces or colons"),
        ("download_token_ttl", "30", "at least 60"),
        ("callback_token_ttl", "600", "at least 3600"),
        ("max_edit_size_mb", "0", "greater than or equal to 0.01"),
    ],
)
def test_it_refuses_an_invalid_value_beside_its_field_and_stores_nothing(
    staff: Client, field: str, value: str, message: str
) -> None:
    ds_settings.update(public_url="https://docs.example.com", jwt_secret=SECRET)
    before = stored_row()

    # Valid changes in the same submission are not stored either: all or nothing.
    response = post(staff, **{field: value}, forcesave="on", block_download="on")

    html = response.content.decode()
    assert response.status_code == 400
    assert message in field_errors(html, field)
    assert stored_row() == before
    assert SECRET not in html


def test_it_shows_every_error_of_one_submission(staff: Client) -> None:
    response = post(staff, public_url="docs.example.com", jwt_header="X Auth")

    html = response.content.decode()
    assert "http:// or https://" in field_errors(html, "public_url")
    assert "no spaces" in field_errors(html, "jwt_header")
    assert stored_row() == {}


# --- the secret -------------------------------------------------------------------------------------------


def test_it_never_renders_the_secret(staff: Client) -> None:
    ds_settings.update(jwt_secret=SECRET)

    html = staff.get(URL).content.decode()

    assert SECRET not in html
    assert "set (ends …89)" in html


def test_it_never_renders_a_secret_typed_into_a_refused_form(staff: Client) -> None:
    ds_settings.update(jwt_secret=SECRET)
    typed = "a-new-secret-typed-by-the-admin-Xy9-0123456789abcdef"

    response = post(staff, jwt_secret=typed, public_url="docs.example.com")

    html = response.content.decode()
    assert response.status_code == 400
    assert SECRET not in html
    assert typed not in html
    assert ds_settings.current().jwt_secret == SECRET


def test_it_keeps_the_secret_when_the_field_is_left_empty(staff: Client) -> None:
    ds_settings.update(jwt_secret=SECRET)

    post(staff, jwt_secret="", public_url="https://docs.example.com")

    assert ds_settings.current().jwt_secret == SECRET
    assert ds_settings.current().public_url == "https://docs.example.com"


def test_it_clears_the_secret_with_its_checkbox(staff: Client) -> None:
    ds_settings.update(jwt_secret=SECRET)

    post(staff, clear_jwt_secret="on")

    assert ds_settings.current().jwt_secret == ""
    assert ds_settings.sources()["jwt_secret"] == "default"


def test_it_refuses_a_new_secret_and_clearing_at_once(staff: Client) -> None:
    ds_settings.update(jwt_secret=SECRET)

    response = post(staff, clear_jwt_secret="on", jwt_secret="another-secret-0123456789abcdef0123456789")

    assert response.status_code == 400
    assert "not both" in field_errors(response.content.decode(), "jwt_secret")
    assert ds_settings.current().jwt_secret == SECRET


def test_it_refuses_a_secret_with_surrounding_spaces(staff: Client) -> None:
    response = post(staff, jwt_secret="pasted-with-a-newline-0123456789abcdef\n")

    assert response.status_code == 400
    assert "line breaks" in field_errors(response.content.decode(), "jwt_secret")
    assert ds_settings.current().jwt_secret == ""


def test_it_warns_permanently_while_no_secret_is_set(staff: Client) -> None:
    warning = "anyone who can reach the callback URL can write files"
    assert warning in staff.get(URL).content.decode()

    post(staff, jwt_secret=SECRET)

    assert warning not in staff.get(URL).content.decode()


def test_it_warns_when_the_secret_is_short(staff: Client) -> None:
    post(staff, jwt_secret="short-secret")

    html = staff.get(URL).content.decode()
    assert "The JWT secret is short" in html
    assert "short-secret" not in html


# --- where values come from --------------------------------------------------------------------------------


def test_it_says_a_blank_field_comes_from_the_environment(staff: Client, settings) -> None:
    settings.ONLYOFFICE_URL = "https://env-docs.example.com"

    html = staff.get(URL).content.decode()

    assert "In effect: https://env-docs.example.com, from the environment (ONLYOFFICE_URL)." in html
    assert page_form(staff)["public_url"] == ""  # the input holds what is stored here: nothing


def test_it_does_not_copy_environment_values_into_the_database(staff: Client, settings) -> None:
    settings.ONLYOFFICE_URL = "https://env-docs.example.com"
    settings.ONLYOFFICE_JWT_HEADER = "AuthorizationJwt"

    post(staff, forcesave="on")

    assert ds_settings.sources()["public_url"] == "environment"
    assert ds_settings.sources()["jwt_header"] == "environment"
    assert stored_row()["public_url"] == ""


def test_it_says_which_values_are_stored_and_which_are_defaults(staff: Client) -> None:
    ds_settings.update(public_url="https://docs.example.com")

    html = staff.get(URL).content.decode()

    assert "In effect: https://docs.example.com, stored on this page." in html
    assert "In effect: the default (Authorization)." in html


# --- the page's security headers ---------------------------------------------------------------------------


def test_it_allows_scripts_from_the_document_server_in_the_pages_csp(staff: Client) -> None:
    ds_settings.update(public_url="https://docs.example.com:8443/office")

    csp = staff.get(URL)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"].split() == ["'self'", "https://docs.example.com:8443"]
    assert "unsafe-inline" not in csp


def test_it_allows_only_its_own_scripts_without_a_document_server(staff: Client) -> None:
    csp = staff.get(URL)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    # Without a script-src of its own, scripts fall back to default-src.
    assert directives.get("script-src", directives["default-src"]).split() == ["'self'"]


# --- "Save and check" ----------------------------------------------------------------------------------------


def check_outcomes(html: str) -> dict[str, str]:
    """step → pass / fail / skipped / pending, as the results panel shows them."""
    return dict(re.findall(r'data-check="([a-z_]+)" data-outcome="([a-z]+)"', html))


def test_it_saves_and_checks_a_working_document_server(staff: Client, live_server, fake_ds) -> None:
    response = post(
        staff, action="check", public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret
    )

    html = response.content.decode()
    assert response.status_code == 200
    outcomes = check_outcomes(html)
    server_steps = {step: outcome for step, outcome in outcomes.items() if step != "browser"}
    assert server_steps and set(server_steps.values()) == {"pass"}, outcomes
    assert outcomes["browser"] == "pending"  # settings.js finishes this one in the browser
    assert "PASS · " in html
    assert f'data-api-url="{fake_ds.url}/web-apps/apps/api/documents/api.js"' in html
    assert "/static/connector/settings.js" in html
    assert "The ONLYOFFICE settings were saved." in html
    assert fake_ds.secret not in html
    assert ds_settings.current().public_url == fake_ds.url


def checked_token(html: str) -> str:
    """The token of the "Save anyway" (or "Save these settings") form the results offer."""
    match = re.search(r'<input type="hidden" name="checked" value="([^"]+)">', html)
    assert match, "the results offer to store the values checked"
    return match.group(1)


def edit_action_offered(personas: Personas, make_attachment) -> bool:
    attachment = make_attachment(personas.space, "Plan.docx")
    html = personas.client_for("editor").get(reverse("space_detail", args=[personas.space.pk])).content.decode()
    attachment.delete()
    return "Edit in ONLYOFFICE" in html


def test_it_stores_nothing_when_a_step_fails(
    staff: Client, personas: Personas, make_attachment, live_server, fake_ds
) -> None:
    url = fake_ds.url
    fake_ds.down()

    response = post(staff, action="check", public_url=url, connector_url=live_server.url, jwt_secret=SECRET)

    html = response.content.decode()
    outcomes = check_outcomes(html)
    assert outcomes["healthcheck"] == "fail"
    assert "skipped" in outcomes.values()
    assert "FAIL · " in html and "SKIPPED · " in html
    assert "Nothing was saved: a step failed." in html
    assert "The ONLYOFFICE settings were saved." not in html
    assert stored_row() == {}
    assert not ds_settings.current().configured
    assert not edit_action_offered(personas, make_attachment)
    # The form keeps what was entered, the secret aside (never rendered), and the results offer "Save anyway".
    assert page_value(html, "public_url") == url
    assert SECRET not in html
    assert 'value="save_checked"' in html and "Save anyway" in html


def test_it_stores_exactly_the_checked_values_when_the_admin_saves_anyway(
    staff: Client, personas: Personas, make_attachment, live_server, fake_ds
) -> None:
    url = fake_ds.url
    fake_ds.down()
    failed = post(staff, action="check", public_url=url, connector_url=live_server.url, jwt_secret=SECRET)

    response = staff.post(URL, {"action": "save_checked", "checked": checked_token(failed.content.decode())})

    assert response.status_code == 302
    cfg = ds_settings.current()
    assert (cfg.public_url, cfg.connector_url, cfg.jwt_secret) == (url, live_server.url, SECRET)
    assert edit_action_offered(personas, make_attachment)
    assert "The ONLYOFFICE settings were saved." in staff.get(URL).content.decode()


def test_it_refuses_a_save_anyway_it_did_not_offer(staff: Client, live_server, fake_ds) -> None:
    fake_ds.down()
    post(staff, action="check", public_url=fake_ds.url, connector_url=live_server.url)

    response = staff.post(URL, {"action": "save_checked", "checked": "not-the-tokén"}, follow=True)

    assert stored_row() == {}
    assert "enter them again and check" in response.content.decode()


def test_it_offers_save_anyway_once(staff: Client, live_server, fake_ds) -> None:
    fake_ds.down()
    failed = post(staff, action="check", public_url=fake_ds.url, connector_url=live_server.url)
    token = checked_token(failed.content.decode())
    staff.post(URL, {"action": "save_checked", "checked": token})
    ds_settings.update(public_url="https://changed.example.com")

    staff.post(URL, {"action": "save_checked", "checked": token})

    assert ds_settings.current().public_url == "https://changed.example.com"


def test_it_checks_only_and_stores_nothing(staff: Client, live_server, fake_ds) -> None:
    response = post(
        staff, action="check_only", public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret
    )

    html = response.content.decode()
    assert response.status_code == 200
    outcomes = check_outcomes(html)
    assert {outcome for step, outcome in outcomes.items() if step != "browser"} == {"pass"}, outcomes
    assert outcomes["browser"] == "pending"
    assert f'data-api-url="{fake_ds.url}/web-apps/apps/api/documents/api.js"' in html
    assert "Nothing was saved yet" in html
    assert "Save these settings" in html
    assert stored_row() == {}


def test_it_checks_the_values_entered_not_the_stored_ones(staff: Client, live_server, fake_ds) -> None:
    ds_settings.update(
        public_url="http://127.0.0.1:9", connector_url=live_server.url, jwt_secret="a-stored-secret-" * 3
    )
    before = stored_row()

    response = post(staff, action="check_only", public_url=fake_ds.url, internal_url="", jwt_secret=fake_ds.secret)

    # Every step passes with the entered URL and secret, which the stored ones would fail.
    outcomes = check_outcomes(response.content.decode())
    assert {outcome for step, outcome in outcomes.items() if step != "browser"} == {"pass"}, outcomes
    assert stored_row() == before


def test_it_stores_the_checked_values_of_check_only_on_request(staff: Client, live_server, fake_ds) -> None:
    checked = post(
        staff, action="check_only", public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret
    )

    staff.post(URL, {"action": "save_checked", "checked": checked_token(checked.content.decode())})

    cfg = ds_settings.current()
    assert (cfg.public_url, cfg.jwt_secret) == (fake_ds.url, fake_ds.secret)


def test_it_reports_a_secret_the_document_server_refuses(staff: Client, live_server, fake_ds) -> None:
    response = post(staff, action="check", public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=SECRET)

    html = response.content.decode()
    assert check_outcomes(html)["secret"] == "fail"
    assert "does not match the Document Server" in html
    assert stored_row() == {}


def test_it_runs_no_check_when_the_form_is_refused(staff: Client, fake_ds) -> None:
    response = post(staff, action="check", public_url=fake_ds.url, jwt_header="X Auth")

    assert response.status_code == 400
    assert check_outcomes(response.content.decode()) == {}
    assert fake_ds.requests == []


# --- the browser step (settings.js) ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(
    ("ds_up", "outcome", "message"), [(True, "pass", "api.js loaded"), (False, "fail", "reachable")]
)
def test_it_loads_api_js_in_the_browser_after_save_and_check(
    staff: Client, live_server, fake_ds, browser_page, ds_up: bool, outcome: str, message: str
) -> None:
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    if not ds_up:
        fake_ds.down()
    browser_page.login(staff)
    page = browser_page.page
    browser_page.goto(URL)
    page.click("button[value=check]")
    page.wait_for_selector(f"#browser-check[data-outcome={outcome}]", timeout=30000)
    text = page.inner_text("#browser-check")

    assert message in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("ds_up", "button", "state"), [(False, "check", "failed-check"), (True, "check_only", "check-only")]
)
def test_it_shows_the_check_results_and_stores_nothing_in_every_screen(
    personas: Personas, browser, live_server, fake_ds, ds_up: bool, button: str, state: str
) -> None:
    url = fake_ds.url
    if not ds_up:
        fake_ds.down()

    def act(screen) -> None:
        page = screen.page
        page.fill("#id_public_url", url)
        page.fill("#id_connector_url", live_server.url)
        page.fill("#id_jwt_secret", fake_ds.secret)
        page.click(f"button[value={button}]")
        page.wait_for_selector("#checks")

    def check(screen) -> None:
        page = screen.page
        # The browser's own step loads api.js from the URL entered, though it is not stored.
        page.wait_for_selector(f"#browser-check[data-outcome={'pass' if ds_up else 'fail'}]")
        assert page.locator("#checks-outcome").get_attribute("data-stored") == "false"
        assert page.locator("button[value=save_checked]").is_visible()
        assert page.input_value("#id_public_url") == url
        assert page.evaluate("document.documentElement.scrollWidth") <= screen.width
        assert stored_row() == {}

    screens(
        browser,
        live_server,
        personas.client_for("staff"),
        URL,
        folder="onlyoffice-settings-check-first",
        state=state,
        act=act,
        check=check,
    )
