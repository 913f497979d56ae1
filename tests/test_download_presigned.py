"""ONLYOFFICE_DOWNLOAD_REDIRECT=presigned: the Document Server's downloads go to the bucket, people's keep streaming.

The tests marked ``s3`` run the live server against moto's S3 server on 127.0.0.1 (tests/support/s3.py) and the
fake Document Server, which follows redirects as the real one does (tests/fakeds/redirects.py). The others check
that following on a pair of small HTTP servers, and the settings' refusals.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from django.urls import reverse

from attachments.models import Attachment
from connector import ds_settings
from tests.conftest import Personas
from tests.fakeds import DownloadFailed, FakeDocServer
from tests.fakeds.redirects import MAX_REDIRECTS, keeps_credentials
from tests.support.production import run_with_production_settings
from tests.support.s3 import S3Bucket
from tests.test_connector_callback import editor_config

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT = b"the bytes of the report " * 64


@dataclass
class Setup:
    personas: Personas
    attachment: Attachment
    fake_ds: FakeDocServer
    bucket: S3Bucket
    app_url: str


@pytest.fixture
def presigned(s3_storage: S3Bucket, personas: Personas, make_attachment, live_server, fake_ds, settings) -> Setup:
    """The live server with files in the bucket, the option on, and the fake DS pointed at it; one file to open."""
    settings.ONLYOFFICE_DOWNLOAD_REDIRECT = "presigned"
    settings.ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS = 90
    ds_settings.update(public_url=fake_ds.url, connector_url=live_server.url, jwt_secret=fake_ds.secret)
    attachment = make_attachment(personas.space, "Bericht März.docx", content=CONTENT, user=personas.owner)
    return Setup(personas, attachment, fake_ds, s3_storage, live_server.url)


def document_url(setup: Setup) -> str:
    return editor_config(setup.personas, setup.attachment)["document"]["url"]


def ds_jwt(url: str, secret: str) -> str:
    return "Bearer " + jwt.encode({"payload": {"url": url}}, secret, algorithm="HS256")


def bucket_url(setup: Setup) -> str:
    return setup.bucket.client.meta.endpoint_url


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_sends_the_document_server_to_the_bucket_which_serves_the_exact_bytes(presigned: Setup) -> None:
    cfg = editor_config(presigned.personas, presigned.attachment)

    session = presigned.fake_ds.open(cfg)

    assert session.document == CONTENT
    ours, bucket = presigned.fake_ds.download_hops
    assert ours.url == cfg["document"]["url"] and ours.status == 302
    assert bucket.url.startswith(f"{bucket_url(presigned)}/{presigned.bucket.name}/")
    assert bucket.status == 200
    # The DS's JWT went to us and, as follow-redirects does on another host:port, not on to the bucket.
    assert ours.headers["Authorization"].startswith("Bearer ")
    assert "Authorization" not in bucket.headers
    assert bucket.headers["User-Agent"] == ours.headers["User-Agent"]


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_signs_a_short_lived_url_that_names_and_types_the_file(presigned: Setup) -> None:
    url = document_url(presigned)
    before = datetime.now(UTC).replace(microsecond=0)

    answer = requests.get(
        url, headers={"Authorization": ds_jwt(url, presigned.fake_ds.secret)}, timeout=10, allow_redirects=False
    )

    after = datetime.now(UTC)
    assert answer.status_code == 302
    assert answer.headers["Cache-Control"] == "no-store"
    location = answer.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    version = presigned.attachment.versions.get()
    assert urlsplit(location).path == f"/{presigned.bucket.name}/{version.file.name}"
    # moto does not enforce the expiry; S3 refuses the URL once X-Amz-Date + X-Amz-Expires has passed.
    assert query["X-Amz-Expires"] == "90"
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= signed_at <= after
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Signature"]
    from_bucket = requests.get(location, timeout=10)
    assert from_bucket.status_code == 200
    assert from_bucket.content == CONTENT
    assert from_bucket.headers["Content-Type"] == DOCX_TYPE
    assert from_bucket.headers["Content-Disposition"] == ("attachment; filename*=utf-8''Bericht%20M%C3%A4rz.docx")


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_writes_no_part_of_the_presigned_url_to_the_logs(presigned: Setup, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    presigned.fake_ds.open(editor_config(presigned.personas, presigned.attachment))

    bucket_hop = presigned.fake_ds.download_hops[-1]
    signature = parse_qs(urlsplit(bucket_hop.url).query)["X-Amz-Signature"][0]
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert signature not in logged
    assert urlsplit(bucket_hop.url).query not in logged


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_wrong_token_or_jwt_without_redirecting(presigned: Setup) -> None:
    url = document_url(presigned)
    secret = presigned.fake_ds.secret
    tampered = url.replace("token=", "token=x")
    attempts = {
        "no JWT": (url, {}),
        "a JWT for another link": (url, {"Authorization": ds_jwt(tampered, secret)}),
        "a JWT with another secret": (url, {"Authorization": ds_jwt(url, "another-secret-" + "0" * 40)}),
        "a tampered link token": (tampered, {"Authorization": ds_jwt(tampered, secret)}),
        "no link token": (url.split("?")[0], {"Authorization": ds_jwt(url.split("?")[0], secret)}),
    }

    for case, (target, headers) in attempts.items():
        answer = requests.get(target, headers=headers, timeout=10, allow_redirects=False)
        assert answer.status_code == 403, case
        assert "Location" not in answer.headers, case
        assert answer.json()["error"] == 1, case


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_streams_to_people_and_answers_head_itself(presigned: Setup, live_server) -> None:
    client = presigned.personas.client_for("viewer")
    cookies = {"sessionid": client.cookies["sessionid"].value}
    pages = [
        reverse("attachment_download", args=[presigned.attachment.pk]),
        f"/api/attachments/{presigned.attachment.pk}/download/",
    ]

    for page in pages:
        answer = requests.get(live_server.url + page, cookies=cookies, timeout=10, allow_redirects=False)
        assert answer.status_code == 200, page
        assert answer.content == CONTENT, page
        assert answer.headers["Content-Security-Policy"] == "sandbox", page
        assert answer.headers["X-Content-Type-Options"] == "nosniff", page
    url = document_url(presigned)
    head = requests.head(url, headers={"Authorization": ds_jwt(url, presigned.fake_ds.secret)}, timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(CONTENT))


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_it_opens_saves_and_shows_the_history_through_the_bucket(presigned: Setup) -> None:
    setup = presigned
    cfg = editor_config(setup.personas, setup.attachment)
    session = setup.fake_ds.open(cfg)
    uid = cfg["editorConfig"]["user"]["id"]
    session.edit(uid, b"edited bytes")

    record = session.close(uid)

    assert (record.http_status, record.response_json) == (200, {"error": 0})
    setup.attachment.refresh_from_db()
    assert setup.attachment.current_version == 2
    edited = setup.attachment.versions.get(number=2)
    assert setup.bucket.read(edited.file.name) == b"edited bytes"
    history = setup.personas.client_for("viewer").get(
        reverse("onlyoffice-history-data", args=[setup.attachment.pk]) + "?" + urlencode({"version": 2})
    )
    assert history.status_code == 200
    data = history.json()
    assert setup.fake_ds.download(data["url"]) == b"edited bytes"
    assert setup.fake_ds.download(data["previous"]["url"]) == CONTENT
    statuses = [(urlsplit(hop.url).netloc, hop.status) for hop in setup.fake_ds.download_hops]
    app, bucket = urlsplit(setup.app_url).netloc, urlsplit(bucket_url(setup)).netloc
    assert statuses == [(app, 302), (bucket, 200)] * 3


# ---- the fake DS follows redirects as the real one does --------------------------------------------------------


@dataclass
class EchoServer:
    """Answers ``/go?to=<url>`` with a 302 there, ``/loop`` with a 302 to itself, anything else with its headers."""

    received: list[dict[str, str]] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def _echo_handler(echo: EchoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            echo.received.append(dict(self.headers.items()))
            parts = urlsplit(self.path)
            if parts.path in ("/go", "/loop"):
                target = parse_qs(parts.query)["to"][0] if parts.path == "/go" else "/loop"
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(dict(self.headers.items())).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


@pytest.fixture
def echo_pair() -> Iterator[tuple[EchoServer, EchoServer]]:
    """Two servers on 127.0.0.1, on two ports: two hosts for follow-redirects, which compares host:port."""
    servers = [EchoServer(), EchoServer()]
    threads = []
    for server in servers:
        server.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler(server))
        thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
        thread.start()
        threads.append(thread)
    yield servers[0], servers[1]
    for server, thread in zip(servers, threads, strict=True):
        assert server.httpd is not None
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)


def test_it_drops_the_authorization_header_on_a_redirect_to_another_port(echo_pair, fake_ds) -> None:
    here, there = echo_pair

    body = fake_ds.download(f"{here.url}/go?{urlencode({'to': f'{there.url}/file'})}")

    assert "Authorization" in here.received[0]
    assert "Authorization" not in json.loads(body)
    assert json.loads(body)["User-Agent"] == here.received[0]["User-Agent"]


def test_it_keeps_the_authorization_header_on_a_redirect_to_the_same_host(echo_pair, fake_ds) -> None:
    here, _there = echo_pair

    body = fake_ds.download(f"{here.url}/go?{urlencode({'to': '/file'})}")

    assert json.loads(body)["Authorization"] == here.received[0]["Authorization"]


def test_it_keeps_a_custom_jwt_header_on_a_redirect_to_another_host(echo_pair) -> None:
    here, there = echo_pair

    with FakeDocServer(header="AuthorizationJwt", download_retry_delay=0.01) as fake:
        body = fake.download(f"{here.url}/go?{urlencode({'to': f'{there.url}/file'})}")

    token = json.loads(body)["AuthorizationJwt"]
    assert token == here.received[0]["AuthorizationJwt"] and token.startswith("Bearer ")


def test_it_gives_up_after_as_many_redirects_as_follow_redirects(echo_pair, fake_ds) -> None:
    here, _there = echo_pair

    with pytest.raises(DownloadFailed, match=f"more than {MAX_REDIRECTS} redirects"):
        fake_ds.download(f"{here.url}/loop")

    # Three attempts, each of the first request and 21 redirects followed.
    assert len(here.received) == 3 * (1 + MAX_REDIRECTS)


@pytest.mark.parametrize(
    ("current", "target", "kept"),
    [
        ("http://app.example/d", "http://app.example/other", True),
        ("http://app.example/d", "http://app.example:80/other", True),  # the default port is no other host
        ("http://app.example/d", "http://APP.example/other", True),
        ("http://app.example/d", "http://app.example:8080/other", False),
        ("http://app.example/d", "http://s3.example/b/k", False),
        ("http://app.example/d", "http://bucket.app.example/k", True),  # a subdomain keeps them
        ("http://bucket.app.example/d", "http://app.example/k", False),  # a superdomain does not
        ("http://app.example/d", "https://app.example/k", True),  # an upgrade keeps them
        ("https://app.example/d", "http://app.example/k", False),  # a downgrade does not
        ("http://127.0.0.1:8000/d", "http://127.0.0.1:9000/b/k", False),
    ],
)
def test_it_decides_like_follow_redirects_when_credentials_go_on(current: str, target: str, kept: bool) -> None:
    assert keeps_credentials(current, target) is kept


# ---- the setting ----------------------------------------------------------------------------------------------


def _start(tmp_path: Path, **variables: str) -> Any:
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.ONLYOFFICE_DOWNLOAD_REDIRECT)"
    )
    defaults = {
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    return run_with_production_settings(code, tmp_path, **{**defaults, **variables})


def test_it_refuses_to_start_with_presigned_downloads_and_files_on_disk(tmp_path: Path) -> None:
    result = _start(tmp_path, ONLYOFFICE_DOWNLOAD_REDIRECT="presigned")

    assert result.returncode != 0
    assert "ONLYOFFICE_DOWNLOAD_REDIRECT=presigned needs STORAGE_BACKEND=s3" in result.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ONLYOFFICE_DOWNLOAD_REDIRECT": "s3"}, "ONLYOFFICE_DOWNLOAD_REDIRECT='s3' is not one of off, presigned"),
        ({"ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS": "5"}, "ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS=5 must be at least 10"),
        ({"ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS": "86400"}, "must be at most 3600"),
    ],
)
def test_it_refuses_a_bad_value_and_names_the_variable(tmp_path: Path, variables: dict[str, str], message: str) -> None:
    result = _start(tmp_path, **variables)

    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_presigned_downloads_from_a_bucket(tmp_path: Path) -> None:
    result = _start(
        tmp_path,
        ONLYOFFICE_DOWNLOAD_REDIRECT="Presigned",
        AWS_STORAGE_BUCKET_NAME="attachments",
        AWS_S3_REGION_NAME="eu-central-1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "presigned"
