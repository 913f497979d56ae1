"""The editor page's CSP in a real browser: api.js's empty inline handler passes, any handler with code does not.

The real api.js 9.3 sets ``onmousewheel=""`` on the iframe it creates; the fake one does the same. Violations are
collected from the page's ``securitypolicyviolation`` events, registered before any of its scripts runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from connector import ds_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An init script runs before the page's own scripts and is not subject to its CSP.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    {directive: event.effectiveDirective, disposition: event.disposition, id: event.target.id || ""});
}, true);
"""

ADD_HANDLER = """([id, attribute, code, eventName]) => {
  let element = document.getElementById(id);
  if (!element) {
    element = document.createElement("button");
    element.id = id;
    document.body.append(element);
  }
  element.setAttribute(attribute, code);
  element.dispatchEvent(new Event(eventName));
}"""


@pytest.fixture
def editor_page(personas, make_attachment, live_server, fake_ds, browser_page) -> Any:
    """The editor page of a .docx, framed by the fake DS's api.js, with every CSP violation collected."""
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Plan.docx")
    browser_page.login(personas.client_for("editor"))
    browser_page.page.add_init_script(COLLECT_VIOLATIONS)
    response = browser_page.goto(reverse("onlyoffice-editor", args=[attachment.pk]))
    assert response.status == 200
    page = browser_page.page
    # The frame from its element: page.frame(name=...) may not know a frame that has only just been attached.
    frame = page.wait_for_selector("iframe#onlyoffice-editor").content_frame()
    assert frame is not None
    frame.wait_for_function("window.__fakeDsConfig !== null")
    return page


def add_handler(page: Any, element_id: str, attribute: str, code: str, event: str) -> None:
    """Set an inline handler (on a new button unless the element exists) and fire its event."""
    page.evaluate(ADD_HANDLER, [element_id, attribute, code, event])


def violations_through(page: Any, element_id: str) -> list[dict[str, str]]:
    """Every violation reported up to and including the first one on ``element_id``.

    Reports are delivered in order, so once this one has arrived, any that came before it has too.
    """
    page.wait_for_function("(id) => window.__cspViolations.some((v) => v.id === id)", arg=element_id)
    return page.evaluate("window.__cspViolations")


def test_it_logs_no_csp_violation_for_the_empty_handler_api_js_sets(editor_page) -> None:
    # The fake must do what the real api.js does, or this test proves nothing.
    assert editor_page.get_attribute("iframe#onlyoffice-editor", "onmousewheel") == ""

    # A violation made after the editor loaded marks the point by which any violation of the load has arrived.
    add_handler(editor_page, "csp-marker", "onclick", "void 0", "click")
    assert violations_through(editor_page, "csp-marker") == [
        {"directive": "script-src-attr", "disposition": "enforce", "id": "csp-marker"}
    ]


def test_it_still_blocks_and_reports_an_inline_handler_with_code(editor_page) -> None:
    add_handler(editor_page, "onlyoffice-editor", "onmousewheel", "window.__ran = 'wheel'", "mousewheel")
    add_handler(editor_page, "csp-probe", "onclick", "window.__ran = 'click'", "click")

    assert violations_through(editor_page, "csp-probe") == [
        {"directive": "script-src-attr", "disposition": "enforce", "id": "onlyoffice-editor"},
        {"directive": "script-src-attr", "disposition": "enforce", "id": "csp-probe"},
    ]
    assert editor_page.evaluate("window.__ran") is None
