"""ONLYOFFICE Desktop Editors' "Connect to cloud": the status the app checks, the landing page it opens, the
portal:login data on every signed-in page, and the shipped provider config (docs/desktop-editors/).

The browser tests stand in for the app with a ``window.AscDesktopEditor`` whose ``execCommand`` records each
command in sessionStorage, so that what a page sent just before it navigated away can still be read.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from connector import desktop_editors
from tests.conftest import Personas
from tests.test_browser_csp import COLLECT_VIOLATIONS, violations_of_the_page

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_DIR = ROOT / "docs" / "desktop-editors"
LOGIN_DATA = re.compile(r'<script id="desktop-editors-login" type="application/json">(.*?)</script>', re.S)

RECORD_APP_COMMANDS = """
window.AscDesktopEditor = {
  execCommand: function (command, parameters) {
    var commands = JSON.parse(sessionStorage.getItem("appCommands") || "[]");
    commands.push({command: command, parameters: parameters, path: location.pathname});
    sessionStorage.setItem("appCommands", JSON.stringify(commands));
  }
};
"""
APP_COMMANDS = "() => JSON.parse(sessionStorage.getItem('appCommands') || '[]')"


def console_errors(browser_page: Any) -> list[str]:
    """What the pages logged as errors, less the one that violations_of_the_page's marker causes on purpose."""
    errors = [line for line in browser_page.console if line.startswith("error")]
    marker = next((i for i, line in enumerate(errors) if "inline event handler" in line), None)
    return errors if marker is None else errors[:marker] + errors[marker + 1 :]


def login_data(html: str) -> dict[str, str] | None:
    match = LOGIN_DATA.search(html)
    return json.loads(match.group(1)) if match else None


def test_it_answers_the_apps_status_check_without_a_session(client: Client) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    response = client.get(reverse("onlyoffice-desktop-status"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "installed": True,
        "product": "onlyoffice-attachments",
        "productname": "Attachments",
        "version": version,
    }
    # The app's start page may check with an XHR from its own origin.
    assert response["Access-Control-Allow-Origin"] == "*"


def test_it_takes_nothing_but_reads_at_the_status(client: Client) -> None:
    assert client.post(reverse("onlyoffice-desktop-status")).status_code == 405


def test_it_sends_a_visitor_of_the_landing_page_to_the_login_and_back(client: Client) -> None:
    landing = reverse("onlyoffice-desktop-login")

    response = client.get(landing)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={landing}"


def test_it_hands_the_app_the_signed_in_user_and_nothing_more(personas: Personas) -> None:
    client = personas.client_for("editor")

    response = client.get(reverse("onlyoffice-desktop-login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert login_data(html) == {
        "displayName": "Eddie Editor",
        "email": "eddie@example.com",
        "userId": str(personas.editor.pk),
        "domain": "http://testserver",
        "provider": desktop_editors.PROVIDER,
    }
    assert f'id="desktop-editors-landing" data-next="{reverse("home")}"' in html
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in LOGIN_DATA.search(html).group(1)
    assert personas.editor.password not in html


def test_it_keeps_a_hostile_name_inside_the_data(personas: Personas) -> None:
    personas.editor.first_name = "</script><script>alert(1)</script>"
    personas.editor.save()

    html = personas.client_for("editor").get(reverse("home")).content.decode()

    assert "<script>alert(1)" not in html
    assert login_data(html)["displayName"] == "</script><script>alert(1)</script> Editor"


def test_it_includes_the_script_for_signed_in_users_only(personas: Personas) -> None:
    signed_in = personas.client_for("owner").get(reverse("home")).content.decode()
    visitor = personas.client_for("anonymous").get(reverse("login")).content.decode()

    assert "connector/desktop-editors.js" in signed_in and login_data(signed_in) is not None
    assert "connector/desktop-editors.js" not in visitor and login_data(visitor) is None


def test_it_ships_a_provider_config_that_points_at_our_paths() -> None:
    config = json.loads((PROVIDER_DIR / "config.json").read_text())

    assert config["provider"] == desktop_editors.PROVIDER
    assert config["name"] == desktop_editors.PRODUCT_NAME
    assert config["check"]["url"] == reverse("onlyoffice-desktop-status")
    assert config["startPage"] == reverse("onlyoffice-desktop-login")
    assert reverse("onlyoffice-editor", args=[7]).startswith(config["editorPage"])
    # The app turns the file into JavaScript with every backslash doubled: a regex escape would not survive.
    assert "\\" not in (PROVIDER_DIR / "config.json").read_text()


@pytest.mark.parametrize(("role", "size"), [("connectionsList", ("36", "36")), ("buttonLogo", ("148", "38"))])
def test_it_ships_each_provider_icon_in_the_size_the_app_draws(role: str, size: tuple[str, str]) -> None:
    icons = json.loads((PROVIDER_DIR / "config.json").read_text())["icons"]

    for theme in ("themeLight", "themeDark"):
        svg = (PROVIDER_DIR / icons[theme][role]).read_text()
        assert re.match(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg).groups() == size, (theme, role)


@pytest.fixture
def app_page(browser_page) -> Any:
    browser_page.page.add_init_script(RECORD_APP_COMMANDS)
    return browser_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_tells_the_app_who_signed_in_then_goes_on_to_the_home_page(personas: Personas, app_page) -> None:
    app_page.login(personas.client_for("editor"))
    landing, home = reverse("onlyoffice-desktop-login"), reverse("home")

    assert app_page.goto(landing).status == 200
    page = app_page.page
    page.wait_for_url(app_page.base_url + home)
    page.wait_for_function(f"() => ({APP_COMMANDS})().some((c) => c.path === {json.dumps(home)})")

    commands = page.evaluate(APP_COMMANDS)
    assert [(c["command"], c["path"]) for c in commands] == [("portal:login", landing), ("portal:login", home)]
    assert json.loads(commands[0]["parameters"]) == {
        "displayName": "Eddie Editor",
        "email": "eddie@example.com",
        "userId": str(personas.editor.pk),
        "domain": app_page.base_url,
        "provider": "onlyoffice-attachments",
    }
    assert console_errors(app_page) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_ends_the_session_then_tells_the_app_on_log_out(personas: Personas, app_page) -> None:
    client = personas.client_for("editor")
    session_key = client.session.session_key
    app_page.login(client)
    app_page.goto(reverse("home"))
    page = app_page.page

    page.click(".user-menu summary")
    page.click("#logout-form button[type=submit]")
    page.wait_for_url(app_page.base_url + reverse("login"))

    commands = page.evaluate(APP_COMMANDS)
    assert [c["command"] for c in commands] == ["portal:login", "portal:logout"]
    assert json.loads(commands[1]["parameters"]) == {"domain": app_page.base_url}
    assert not Session.objects.filter(session_key=session_key).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_changes_nothing_in_a_browser_without_the_app(personas: Personas, browser_page) -> None:
    browser_page.page.add_init_script(COLLECT_VIOLATIONS)
    browser_page.login(personas.client_for("editor"))
    landing = reverse("onlyoffice-desktop-login")
    page = browser_page.page

    assert browser_page.goto(landing).status == 200
    assert violations_of_the_page(page) == []
    # Stays on the landing page, which links on: only the app is sent on by the script.
    assert page.url == browser_page.base_url + landing
    page.click(f"#desktop-editors-landing a[href='{reverse('home')}']")
    page.wait_for_url(browser_page.base_url + reverse("home"))
    # Logging out is the form's own post.
    page.click(".user-menu summary")
    page.click("#logout-form button[type=submit]")
    page.wait_for_url(browser_page.base_url + reverse("login"))
    assert console_errors(browser_page) == []
