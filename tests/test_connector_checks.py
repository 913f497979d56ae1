"""The connection check (connector/checks.py), its check-file endpoint and ``manage.py onlyoffice check``.

Every step runs for real: against the fake Document Server, which downloads the check file from this app's
live server, so each failure mode is produced by a real broken path, not by a stand-in.
"""

from __future__ import annotations

import io
import socket
import time
from urllib.parse import urlsplit

import docx
import pytest
import requests
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from connector import checks, ds_settings, links
from tests.fakeds import DownloadFailed, FakeDocServer
from tests.fakeds.tokens import download_header

STEP_IDS = ["mixed_content", "healthcheck", "secret", "reach_connector", "reach_docserver", "api_js"]
WRONG_SECRET = "not-the-document-servers-secret-0123456789abcdef0123456789abcdef"


@pytest.fixture
def closed_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def connected(live_server, fake_ds: FakeDocServer) -> FakeDocServer:
    """Settings that work: the fake DS on both URLs, this app's live server as the connector URL."""
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    return fake_ds


def run(app_url: str | None = None) -> dict[str, checks.CheckResult]:
    results = checks.run_checks(ds_settings.current(), app_url=app_url)
    assert [result.step for result in results] == STEP_IDS
    return {result.step: result for result in results}


def outcome(results: dict[str, checks.CheckResult]) -> dict[str, str]:
    return {step: "skip" if r.skipped else "pass" if r.ok else "fail" for step, r in results.items()}


# --- the steps --------------------------------------------------------------------------------------------


def test_it_passes_every_step_against_a_working_document_server(connected, live_server) -> None:
    results = run(app_url=live_server.url + "/")

    assert outcome(results) == dict.fromkeys(STEP_IDS, "pass")
    assert "9.0.4.50" in results["secret"].message
    assert live_server.url in results["reach_connector"].message
    [conversion] = connected.requests_to("/converter")
    assert conversion.json()["token"]  # the conversion carried the JWT, so the DS signed its download of our file
    assert len(connected.requests_to("/cache/files/")) == 1  # step 5 really fetched the result
    for result in results.values():
        assert connected.secret not in result.message
        assert "token=" not in result.message and "md5=" not in result.message
        assert result.title


def test_it_reports_a_document_server_that_is_down(connected, live_server) -> None:
    connected.down()

    results = run(app_url=live_server.url + "/")

    assert outcome(results) == {
        "mixed_content": "pass",
        "healthcheck": "fail",
        "secret": "skip",
        "reach_connector": "skip",
        "reach_docserver": "skip",
        "api_js": "fail",
    }
    assert "Cannot connect" in results["healthcheck"].message
    assert f"{connected.url}/healthcheck" in results["healthcheck"].message
    assert results["healthcheck"].title in results["secret"].message
    assert not results["secret"].ok


def test_it_reports_a_document_server_that_says_it_is_unhealthy(connected, live_server) -> None:
    connected.health = False

    results = run(app_url=live_server.url + "/")

    assert outcome(results)["healthcheck"] == "fail"
    assert "not healthy" in results["healthcheck"].message
    assert "database" in results["healthcheck"].message
    assert outcome(results)["reach_docserver"] == "skip"
    assert connected.requests_to("/command") == []


def test_it_says_the_secret_key_does_not_match(connected, live_server) -> None:
    ds_settings.update(jwt_secret=WRONG_SECRET)

    results = run(app_url=live_server.url + "/")

    assert outcome(results) == {
        "mixed_content": "pass",
        "healthcheck": "pass",
        "secret": "fail",
        "reach_connector": "skip",
        "reach_docserver": "skip",
        "api_js": "pass",
    }
    assert "the secret key does not match the document server's" in results["secret"].message.lower()
    assert WRONG_SECRET not in results["secret"].message
    assert connected.requests_to("/converter") == []


def test_it_says_the_document_server_requires_a_secret_when_none_is_set(connected, live_server) -> None:
    ds_settings.update(jwt_secret="")

    results = run(app_url=live_server.url + "/")

    assert outcome(results)["secret"] == "fail"
    assert "requires a token, but no secret key is set here" in results["secret"].message


def test_it_reports_when_the_document_server_cannot_reach_this_application(connected, closed_url) -> None:
    ds_settings.update(connector_url=closed_url)

    results = run()

    assert outcome(results)["secret"] == "pass"
    assert outcome(results)["reach_connector"] == "fail"
    assert outcome(results)["reach_docserver"] == "skip"
    message = results["reach_connector"].message
    assert f"could not download from {closed_url}" in message
    assert "connector URL" in message
    assert "token" in message


def test_it_reports_a_conversion_error_with_its_meaning(connected, live_server) -> None:
    connected.fail_conversion(-8)

    results = run(app_url=live_server.url + "/")

    assert outcome(results)["reach_connector"] == "fail"
    assert "rejected the token" in results["reach_connector"].message
    assert "(conversion error -8)" in results["reach_connector"].message


def test_it_names_a_wrong_internal_url(connected, live_server, closed_url) -> None:
    ds_settings.update(internal_url=closed_url)

    results = run(app_url=live_server.url + "/")

    assert outcome(results) == {
        "mixed_content": "pass",
        "healthcheck": "fail",
        "secret": "skip",
        "reach_connector": "skip",
        "reach_docserver": "skip",
        "api_js": "pass",  # the public URL is fine: only the server-to-server address is wrong
    }
    assert f"{closed_url}/healthcheck" in results["healthcheck"].message
    assert "internal URL" in results["healthcheck"].message


def test_it_says_when_the_internal_url_is_not_a_document_server(connected, live_server) -> None:
    ds_settings.update(internal_url=live_server.url)  # this app answers 404 to /healthcheck

    results = run(app_url=live_server.url + "/")

    assert outcome(results)["healthcheck"] == "fail"
    assert "HTTP 404" in results["healthcheck"].message
    assert live_server.url in results["healthcheck"].message


def test_it_reports_a_public_url_that_does_not_answer(connected, live_server, closed_url) -> None:
    ds_settings.update(public_url=closed_url, internal_url=connected.url)

    results = run(app_url=live_server.url + "/")

    assert outcome(results) == {**dict.fromkeys(STEP_IDS, "pass"), "api_js": "fail"}
    assert f"{closed_url}/web-apps/apps/api/documents/api.js" in results["api_js"].message
    assert "public URL" in results["api_js"].message


def test_it_fails_an_https_application_with_an_http_document_server(connected) -> None:
    results = run(app_url="https://attachments.example.com/")

    assert outcome(results)["mixed_content"] == "fail"
    message = results["mixed_content"].message
    assert "mixed content" in message
    assert "https://attachments.example.com" in message and connected.url in message
    # Browsers are one concern, the server-side path another: the other steps still run and pass.
    assert all(outcome(results)[step] == "pass" for step in STEP_IDS[1:])


def test_it_judges_mixed_content_from_the_connector_url_without_an_app_url(connected, closed_url) -> None:
    ds_settings.update(connector_url=closed_url.replace("http://", "https://"))

    results = run()

    assert outcome(results)["mixed_content"] == "fail"
    assert "mixed content" in results["mixed_content"].message


def test_it_does_not_guess_without_any_address_of_this_application(connected) -> None:
    ds_settings.update(connector_url="")

    results = run()

    # Skipped, not passed, yet no failure: nothing is known to be wrong.
    assert outcome(results)["mixed_content"] == "skip"
    assert results["mixed_content"].ok
    assert "--app-url" in results["mixed_content"].message
    assert outcome(results)["reach_connector"] == "fail"
    assert "Set the connector URL (ONLYOFFICE_CONNECTOR_URL)" in results["reach_connector"].message
    assert connected.requests_to("/converter") == []


def test_it_says_what_is_wrong_and_what_to_do_about_mixed_content(connected) -> None:
    message = run(app_url="https://attachments.example.com/")["mixed_content"].message

    assert message.startswith("Browsers will refuse to open the editor: ")
    assert "this application's pages are served over HTTPS (https://attachments.example.com)" in message
    assert f"the Document Server's public URL is plain HTTP ({connected.url})" in message
    assert message.endswith("Serve the Document Server over HTTPS and enter its https:// address as the public URL.")


def test_it_checks_settings_that_are_not_stored(connected, live_server) -> None:
    # The stored secret is wrong; the one under check is the Document Server's, which signs its download of the
    # check file: this app must verify that download with the secret under check, not the stored one.
    ds_settings.update(jwt_secret=WRONG_SECRET)
    entered = ds_settings.preview(jwt_secret=connected.secret)

    results = {result.step: result for result in checks.run_checks(entered, app_url=live_server.url + "/")}

    assert outcome(results) == dict.fromkeys(STEP_IDS, "pass")
    assert ds_settings.current().jwt_secret == WRONG_SECRET


def test_it_reports_every_step_when_no_document_server_is_set(db) -> None:
    results = run(app_url="http://testserver/")

    assert outcome(results) == {**dict.fromkeys(STEP_IDS, "skip"), "mixed_content": "fail"}
    assert "not set" in results["mixed_content"].message


# --- the check file -----------------------------------------------------------------------------------------


def test_it_serves_a_blank_docx_to_the_document_server(connected, live_server) -> None:
    data = connected.download(checks.check_file_url(live_server.url))

    document = docx.Document(io.BytesIO(data))
    assert [paragraph.text for paragraph in document.paragraphs] == [""]


def test_it_refuses_the_check_file_without_a_token(connected, live_server) -> None:
    response = requests.get(live_server.url + reverse("onlyoffice-check-file"), timeout=10)

    assert response.status_code == 403
    assert response.json()["error"] == 1


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        pytest.param("download", id="a link token for another purpose"),
        pytest.param("tampered", id="a check token with one character changed"),
    ],
)
def test_it_refuses_a_forged_check_file_token(connected, live_server, token: str) -> None:
    real = urlsplit(checks.check_file_url(live_server.url)).query.removeprefix("token=")
    value = {
        "forged": "abc:def:ghi",
        "download": links.make_token("download", a=1, v=1, u=1),
        "tampered": real[:-1] + ("A" if real[-1] != "A" else "B"),
    }[token]
    url = f"{live_server.url}{reverse('onlyoffice-check-file')}?token={value}"

    with pytest.raises(DownloadFailed, match="HTTP 403"):
        connected.download(url)


def test_it_refuses_the_check_file_without_the_document_servers_jwt(connected, live_server) -> None:
    url = checks.check_file_url(live_server.url)

    response = requests.get(url, timeout=10)

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert "token" in response.json()["message"]


def test_it_refuses_a_document_server_jwt_signed_for_another_link(connected, live_server) -> None:
    url, other = checks.check_file_url(live_server.url), checks.check_file_url(live_server.url)
    now = int(time.time())

    wrong = requests.get(url, headers={"Authorization": download_header(other, connected.secret, now=now)}, timeout=10)
    right = requests.get(url, headers={"Authorization": download_header(url, connected.secret, now=now)}, timeout=10)

    assert wrong.status_code == 403
    assert right.status_code == 200


def test_it_serves_the_check_file_without_a_jwt_when_no_secret_is_set(db) -> None:
    response = Client().get(checks.check_file_url("http://testserver"))

    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert response.content.startswith(b"PK")


def test_it_answers_only_get_and_head_on_the_check_file(db) -> None:
    url = checks.check_file_url("http://testserver")

    assert Client().head(url).status_code == 200
    response = Client().post(url)
    assert response.status_code == 405
    assert response.json()["error"] == 1


# --- the command --------------------------------------------------------------------------------------------


def test_it_prints_pass_for_every_step_and_exits_zero(connected, live_server) -> None:
    out = io.StringIO()

    call_command("onlyoffice", "check", "--app-url", live_server.url, stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:6]] == ["PASS"] * 6
    assert "PASS  Document Server is healthy: " in out.getvalue()
    assert lines[-1] == "All checks passed."
    assert connected.secret not in out.getvalue()


def test_it_prints_fail_and_skip_lines_and_exits_non_zero(connected) -> None:
    connected.down()
    out = io.StringIO()

    with pytest.raises(CommandError, match="5 of 6 checks did not pass"):
        call_command("onlyoffice", "check", stdout=out)

    labels = [line.split()[0] for line in out.getvalue().splitlines()]
    assert labels == ["PASS", "FAIL", "SKIP", "SKIP", "SKIP", "FAIL"]
    assert "FAIL  Document Server is healthy: GET " in out.getvalue()


def test_it_prints_skip_for_the_step_it_cannot_judge(connected, live_server) -> None:
    out = io.StringIO()

    call_command("onlyoffice", "check", stdout=out)  # no --app-url: judged from the connector URL
    ds_settings.update(connector_url="")
    with pytest.raises(CommandError):  # the Document Server cannot reach this app without an address
        call_command("onlyoffice", "check", stdout=out)

    lines = out.getvalue().splitlines()
    mixed = [line for line in lines if "(no mixed content)" in line]
    assert mixed[0].startswith("PASS  ") and "Judged from the connector URL" in mixed[0]
    assert mixed[1].startswith("SKIP  ") and "--app-url" in mixed[1]
    assert "Not checked" not in out.getvalue()


def test_it_fails_the_command_when_the_connector_url_is_not_set(connected) -> None:
    ds_settings.update(connector_url="")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("onlyoffice", "check", stdout=out)

    assert "FAIL  Document Server can reach this application: Set the connector URL" in out.getvalue()


def test_it_refuses_an_invalid_app_url(connected) -> None:
    with pytest.raises(CommandError, match="--app-url: Enter a URL that starts with http"):
        call_command("onlyoffice", "check", "--app-url", "attachments.example.com", stdout=io.StringIO())

    assert connected.requests == []
