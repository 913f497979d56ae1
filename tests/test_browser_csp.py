"""The Content-Security-Policy in a real browser: it is enforced, and the app's own pages never trip it.

Violations are collected from ``securitypolicyviolation`` events by a script registered before any of the page's
own. Reports arrive in order, so a deliberate violation made after the page settled (the marker) proves that any
violation of the page itself has arrived before it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from connector import ds_settings
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({directive: event.effectiveDirective, blocked: event.blockedURI,
                               id: (event.target && event.target.id) || ""});
}, true);
"""

# What an attacker's injected markup would do: an inline script and an inline handler.
INJECT_SCRIPTS = """() => {
  const script = document.createElement("script");
  script.id = "injected-script";
  script.textContent = "window.__ran = (window.__ran || []).concat('script')";
  document.body.append(script);
  const image = document.createElement("img");
  image.id = "injected-handler";
  image.setAttribute("onerror", "window.__ran = (window.__ran || []).concat('handler')");
  image.src = "/static/no-such-image.png";
  document.body.append(image);
}"""

MARK = """() => {
  const button = document.createElement("button");
  button.id = "csp-marker";
  button.setAttribute("onclick", "void 0");
  document.body.append(button);
  button.dispatchEvent(new Event("click"));
}"""


@pytest.fixture
def watched(browser_page) -> Any:
    browser_page.page.add_init_script(COLLECT_VIOLATIONS)
    return browser_page


def violations_of_the_page(page: Any) -> list[dict[str, str]]:
    """Every violation the page reported before the marker's (which is left out)."""
    page.evaluate(MARK)
    page.wait_for_function("() => window.__cspViolations.some((v) => v.id === 'csp-marker')")
    reported = page.evaluate("window.__cspViolations")
    return reported[: next(i for i, v in enumerate(reported) if v["id"] == "csp-marker")]


def test_it_blocks_an_injected_inline_script_and_handler(personas: Personas, watched) -> None:
    watched.login(personas.client_for("owner"))
    assert watched.goto(reverse("space_detail", args=[personas.space.pk])).status == 200
    page = watched.page

    page.evaluate(INJECT_SCRIPTS)
    page.wait_for_function("() => window.__cspViolations.some((v) => v.id === 'injected-handler')")

    assert page.evaluate("window.__ran") is None
    assert {(v["directive"], v["id"]) for v in page.evaluate("window.__cspViolations")} == {
        ("script-src-elem", "injected-script"),
        ("script-src-attr", "injected-handler"),
    }


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("owner", lambda p, a: reverse("home")),
        ("owner", lambda p, a: reverse("space_detail", args=[p.space.pk])),
        ("owner", lambda p, a: reverse("attachment_detail", args=[a.pk])),
        ("owner", lambda p, a: reverse("space_members", args=[p.space.pk])),
        ("anonymous", lambda p, a: reverse("login")),
        ("staff", lambda p, a: reverse("onlyoffice-settings")),
        ("staff", lambda p, a: reverse("admin:index")),
        ("staff", lambda p, a: reverse("admin:attachments_attachment_changelist")),
        ("staff", lambda p, a: reverse("admin:attachments_attachment_change", args=[a.pk])),
        ("staff", lambda p, a: reverse("admin:auth_user_add")),
    ],
    ids=["home", "space", "file page", "members", "login", "settings", "admin", "admin list", "admin form", "new user"],
)
def test_it_shows_the_apps_pages_without_a_csp_violation(
    personas: Personas, make_attachment, watched, persona: str, path
) -> None:
    personas.staff.is_superuser = True
    personas.staff.save()
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    if persona != "anonymous":
        watched.login(personas.client_for(persona))

    assert watched.goto(path(personas, attachment)).status == 200

    assert violations_of_the_page(watched.page) == []


def test_it_runs_the_settings_pages_check_without_a_csp_violation(
    personas: Personas, live_server, fake_ds, watched
) -> None:
    # The one thing the page loads from elsewhere: api.js from the Document Server, in its browser step.
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    watched.login(personas.client_for("staff"))
    watched.goto(reverse("onlyoffice-settings"))
    page = watched.page
    page.click("button[value=check]")
    page.wait_for_selector("#browser-check[data-outcome=pass]")

    assert violations_of_the_page(page) == []
