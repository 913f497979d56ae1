"""The Document Server client against a small local HTTP stub: what goes on the wire and how failures map."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import jwt
import pytest

from connector import docserver
from connector.docserver import DocServerError, UnsafeUrl
from connector.ds_settings import DocServerConfig
from tests.support_docserver.stub import Recorded, Reply, StubServer, running_stub

SECRET = "the-document-server-secret-used-by-these-tests-it-is-64-bytes-long"
MiB = 1024 * 1024


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub() as server:
        yield server


def make_config(stub: StubServer, **overrides: object) -> DocServerConfig:
    values: dict[str, object] = {
        "public_url": "https://docs.example.com",
        "internal_url": stub.url,
        "connector_url": "",
        "jwt_secret": SECRET,
    }
    values.update(overrides)
    return DocServerConfig(**values)  # type: ignore[arg-type]


def _json(payload: object) -> Reply:
    return Reply(body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})


# --- healthcheck --------------------------------------------------------------------------------------------


def test_it_reports_a_healthy_document_server(stub: StubServer) -> None:
    stub.route("/healthcheck", Reply(body=b"true"))

    assert docserver.healthcheck(make_config(stub)) is True
    assert stub.paths() == ["/healthcheck"]


@pytest.mark.parametrize("reply", [Reply(body=b"false"), Reply(body=b"true, mostly"), Reply(status=502, body=b"true")])
def test_it_reports_an_unhealthy_document_server(stub: StubServer, reply: Reply) -> None:
    stub.route("/healthcheck", reply)

    assert docserver.healthcheck(make_config(stub)) is False


def test_it_reports_a_document_server_that_is_down(stub: StubServer) -> None:
    cfg = make_config(stub, internal_url="http://127.0.0.1:9")  # the discard port: nothing listens

    assert docserver.healthcheck(cfg) is False


def test_it_sends_a_user_agent(stub: StubServer) -> None:
    stub.route("/healthcheck", Reply(body=b"true"))

    docserver.healthcheck(make_config(stub))

    assert stub.requests[0].headers["User-Agent"].startswith("onlyoffice-attachments-connector/")


# --- command service ----------------------------------------------------------------------------------------


def _verifying_command_service(request: Recorded) -> Reply:
    """Like the DS: error 6 unless the body token and the header token both carry the request, signed right."""
    body = json.loads(request.body)
    try:
        body_claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
        header = request.headers["AuthorizationJwt"]
        assert header.startswith("Bearer ")
        header_claims = jwt.decode(header.removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    except (KeyError, AssertionError, jwt.InvalidTokenError):
        return _json({"key": body.get("key"), "error": 6})
    plain = {key: value for key, value in body.items() if key != "token"}
    if {key: body_claims.get(key) for key in plain} != plain or header_claims.get("payload") != plain:
        return _json({"key": body.get("key"), "error": 6})
    return _json({"key": plain.get("key"), "error": 0, "version": "9.0.4.50"})


def test_it_sends_a_command_with_a_body_token_and_a_header_token(stub: StubServer) -> None:
    stub.route("/command", _verifying_command_service)

    reply = docserver.command("forcesave", key="Khirz6zTPdfd7", cfg=make_config(stub, jwt_header="AuthorizationJwt"))

    assert reply["error"] == 0
    sent = json.loads(stub.requests[0].body)
    assert sent["c"] == "forcesave"
    assert sent["key"] == "Khirz6zTPdfd7"
    assert stub.requests[0].headers["Content-Type"] == "application/json"


def test_it_sends_no_token_when_jwt_is_off(stub: StubServer) -> None:
    stub.route("/command", _json({"error": 0, "version": "9.0.4.50"}))

    reply = docserver.command("version", cfg=make_config(stub, jwt_secret=""))

    assert reply["version"] == "9.0.4.50"
    assert json.loads(stub.requests[0].body) == {"c": "version"}
    assert "Authorization" not in stub.requests[0].headers


def test_it_explains_a_secret_mismatch(stub: StubServer) -> None:
    stub.route("/command", _verifying_command_service)
    cfg = make_config(
        stub, jwt_header="AuthorizationJwt", jwt_secret="not-the-secret-the-document-server-has-but-long-enough-anyway!"
    )

    with pytest.raises(DocServerError) as raised:
        docserver.command("version", cfg=cfg)

    assert raised.value.code == 6
    assert "secret key does not match" in raised.value.message
    assert raised.value.transient is False
    assert cfg.jwt_secret not in str(raised.value)


@pytest.mark.parametrize(
    ("code", "fragment", "transient"),
    [
        (1, "document key", False),
        (3, "internal error", True),
        (4, "No changes since the last save", False),
        (5, "does not know this command", False),
        (7, "check that the clocks", False),
    ],
)
def test_it_maps_command_errors_to_messages(stub: StubServer, code: int, fragment: str, transient: bool) -> None:
    stub.route("/command", _json({"key": "k", "error": code}))

    with pytest.raises(DocServerError) as raised:
        docserver.command("forcesave", key="k", cfg=make_config(stub))

    assert raised.value.code == code
    assert fragment in raised.value.message
    assert raised.value.transient is transient


@pytest.mark.parametrize(("status", "transient"), [(500, True), (503, True), (429, True), (404, False), (403, False)])
def test_it_marks_http_failures_transient_or_not(stub: StubServer, status: int, transient: bool) -> None:
    stub.route("/command", Reply(status=status, body=b"nope"))

    with pytest.raises(DocServerError) as raised:
        docserver.command("version", cfg=make_config(stub))

    assert raised.value.transient is transient
    assert str(status) in raised.value.message


def test_it_marks_an_unreachable_document_server_transient(stub: StubServer) -> None:
    with pytest.raises(DocServerError) as raised:
        docserver.command("version", cfg=make_config(stub, internal_url="http://127.0.0.1:9"))

    assert raised.value.transient is True


def test_it_refuses_a_reply_that_is_not_json(stub: StubServer) -> None:
    stub.route("/command", Reply(body=b"<html>a proxy's error page</html>"))

    with pytest.raises(DocServerError, match="not JSON"):
        docserver.command("version", cfg=make_config(stub))


def test_it_refuses_to_call_an_unconfigured_document_server() -> None:
    cfg = DocServerConfig(public_url="", internal_url="", connector_url="", jwt_secret="")

    with pytest.raises(DocServerError, match="not configured"):
        docserver.command("version", cfg=cfg)


# --- conversion ---------------------------------------------------------------------------------------------


def test_it_converts_and_signs_the_request(stub: StubServer) -> None:
    result_url = f"{stub.url}/cache/files/data/conv_k_513/output.pdf/report.pdf?md5=x&expires=1"
    stub.route("/converter", _json({"fileUrl": result_url, "fileType": "pdf", "percent": 100, "endConvert": True}))

    result = docserver.convert(
        url="http://app.example/files/1?sig=abc",
        filetype="docx",
        outputtype="pdf",
        key="k",
        title="report.docx",
        cfg=make_config(stub),
    )

    assert result == docserver.ConversionResult(file_url=result_url, file_type="pdf", percent=100, end=True)
    request = stub.requests[0]
    body = json.loads(request.body)
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
    header_claims = jwt.decode(request.headers["Authorization"].removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    expected = {
        "async": False,
        "filetype": "docx",
        "key": "k",
        "outputtype": "pdf",
        "title": "report.docx",
        "url": "http://app.example/files/1?sig=abc",
    }
    assert {key: claims[key] for key in expected} == expected
    assert header_claims["payload"] == expected
    assert request.headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("code", "fragment", "transient"),
    [
        (-1, "unknown reason", False),
        (-2, "timed out", True),
        (-3, "damaged", False),
        (-4, "could not download the file", False),
        (-5, "password", False),
        (-6, "database or queue", True),
        (-7, "invalid", False),
        (-8, "rejected the token", False),
        (-9, "which format", False),
        (-10, "larger than", False),
    ],
)
def test_it_maps_conversion_errors_to_messages(stub: StubServer, code: int, fragment: str, transient: bool) -> None:
    stub.route("/converter", _json({"error": code}))

    with pytest.raises(DocServerError) as raised:
        docserver.convert(url="http://app/f", filetype="docx", outputtype="pdf", key="k", cfg=make_config(stub))

    assert raised.value.code == code
    assert fragment in raised.value.message
    assert raised.value.message.endswith(f"(conversion error {code})")
    assert raised.value.transient is transient


def test_it_polls_an_async_conversion_with_the_same_key_until_it_ends(stub: StubServer) -> None:
    replies = iter(
        [{"percent": 0, "endConvert": False}] * 2
        + [{"fileUrl": f"{stub.url}/out", "fileType": "odt", "percent": 100, "endConvert": True}]
    )
    stub.route("/converter", lambda request: _json(next(replies)))

    result = docserver.convert_and_wait(
        url="http://app/f", filetype="docx", outputtype="odt", key="save_k_1", cfg=make_config(stub), poll_interval=0
    )

    assert result.end is True
    assert result.file_type == "odt"
    bodies = [json.loads(request.body) for request in stub.requests]
    assert len(bodies) == 3
    assert {(body["key"], body["async"]) for body in bodies} == {("save_k_1", True)}


def test_it_gives_up_polling_at_the_deadline(stub: StubServer) -> None:
    stub.route("/converter", _json({"percent": 0, "endConvert": False}))

    with pytest.raises(DocServerError, match="did not finish") as raised:
        docserver.convert_and_wait(
            url="http://app/f",
            filetype="docx",
            outputtype="odt",
            key="k",
            cfg=make_config(stub),
            poll_interval=0,
            deadline=0,
        )

    assert raised.value.transient is True


# --- which URLs are the Document Server's ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://docs.example.com/cache/files/data/k/output.docx?md5=x", True),
        ("https://DOCS.example.com:443/cache/files/output.docx", True),
        ("http://onlyoffice:8080/cache/files/output.docx", True),
        ("https://evil.example.com/cache/files/output.docx", False),
        ("https://docs.example.com.evil.com/output.docx", False),
        ("https://docs.example.com:8443/output.docx", False),
        ("http://docs.example.com/output.docx", False),
        ("http://onlyoffice/output.docx", False),
        ("https://docs.example.com@evil.com/output.docx", False),
        ("https://ds@docs.example.com/output.docx", False),
        ("http://ds@evil/", False),
        ("file:///etc/passwd", False),
        ("gopher://docs.example.com/", False),
        ("http://2130706433/", False),
        ("http://0x7f.1/", False),
        ("http://[::1]/", False),
        ("http://127.0.0.1/", False),
        ("https://docs.example.com\\@evil.com/", False),
        ("https://docs.example.com:99999/", False),
        ("//docs.example.com/output.docx", False),
        ("", False),
    ],
)
def test_it_recognises_document_server_urls(url: str, accepted: bool) -> None:
    cfg = DocServerConfig(
        public_url="https://docs.example.com", internal_url="http://onlyoffice:8080", connector_url="", jwt_secret=""
    )

    assert docserver.is_docserver_url(url, cfg) is accepted


def test_it_accepts_a_document_server_on_a_loopback_address_when_configured_so() -> None:
    cfg = DocServerConfig(public_url="http://[::1]:8000", internal_url="", connector_url="", jwt_secret="")

    assert docserver.is_docserver_url("http://[::1]:8000/cache/x", cfg) is True
    assert docserver.is_docserver_url("http://127.0.0.1:8000/cache/x", cfg) is False


@pytest.mark.parametrize(
    ("public", "internal", "url", "expected"),
    [
        (
            "https://docs.example.com",
            "http://onlyoffice",
            "https://docs.example.com/cache/a.docx?md5=x&expires=1",
            "http://onlyoffice/cache/a.docx?md5=x&expires=1",
        ),
        (
            "https://example.com/ds",
            "http://onlyoffice:8080",
            "https://example.com/ds/cache/a.docx?md5=x",
            "http://onlyoffice:8080/cache/a.docx?md5=x",
        ),
        (
            "https://docs.example.com",
            "http://onlyoffice",
            "http://onlyoffice/cache/a.docx",
            "http://onlyoffice/cache/a.docx",
        ),
        (
            "https://docs.example.com",
            "https://docs.example.com",
            "https://docs.example.com/cache/a.docx",
            "https://docs.example.com/cache/a.docx",
        ),
    ],
)
def test_it_rewrites_public_links_to_the_internal_address(public: str, internal: str, url: str, expected: str) -> None:
    cfg = DocServerConfig(public_url=public, internal_url=internal, connector_url="", jwt_secret="")

    assert docserver.to_internal(url, cfg) == expected


# --- downloading files ----------------------------------------------------------------------------------


def _download(url: str, cfg: DocServerConfig, *, max_size: int = 10 * MiB) -> list[bytes]:
    with docserver.open_file(url, max_size=max_size, cfg=cfg) as chunks:
        return list(chunks)


def test_it_downloads_a_public_link_from_the_internal_address(stub: StubServer) -> None:
    stub.route("/cache/files/output.docx", Reply(body=b"edited document"))

    chunks = _download("https://docs.example.com/cache/files/output.docx?md5=x&expires=1", make_config(stub))

    assert b"".join(chunks) == b"edited document"
    assert stub.paths() == ["/cache/files/output.docx?md5=x&expires=1"]
    assert "Authorization" not in stub.requests[0].headers


def test_it_streams_a_download_in_chunks_of_at_most_one_mib(stub: StubServer) -> None:
    content = bytes(range(256)) * (10 * 1024)  # 2.5 MiB
    stub.route("/big", Reply(body=content))

    chunks = _download(f"{stub.url}/big", make_config(stub))

    assert b"".join(chunks) == content
    assert len(chunks) >= 3
    assert max(len(chunk) for chunk in chunks) <= MiB


def test_it_refuses_a_url_off_the_document_server_without_fetching_it(stub: StubServer) -> None:
    stub.route("/secret", Reply(body=b"internal data"))
    cfg = make_config(stub, internal_url=f"http://localhost:{stub.port}")

    with pytest.raises(UnsafeUrl) as raised:
        _download(f"http://127.0.0.1:{stub.port}/secret", cfg)

    assert raised.value.transient is False
    assert stub.requests == []


def test_it_does_not_follow_a_redirect(stub: StubServer) -> None:
    stub.route("/cache/output.docx", Reply(status=302, headers={"Location": "/secret"}))
    stub.route("/secret", Reply(body=b"internal data"))

    with pytest.raises(DocServerError, match="redirect") as raised:
        _download(f"{stub.url}/cache/output.docx", make_config(stub))

    assert raised.value.transient is False
    assert stub.paths() == ["/cache/output.docx"]


@pytest.mark.parametrize(("status", "transient"), [(500, True), (502, True), (404, False), (410, False)])
def test_it_marks_download_failures_transient_or_not(stub: StubServer, status: int, transient: bool) -> None:
    stub.route("/cache/output.docx", Reply(status=status, body=b"error"))

    with pytest.raises(DocServerError) as raised:
        _download(f"{stub.url}/cache/output.docx", make_config(stub))

    assert raised.value.transient is transient


def test_it_refuses_a_file_whose_declared_size_is_over_the_limit(stub: StubServer) -> None:
    stub.route("/cache/output.docx", Reply(body=b"x" * 2048))

    with pytest.raises(DocServerError, match="larger than the limit") as raised:
        _download(f"{stub.url}/cache/output.docx", make_config(stub), max_size=1024)

    assert raised.value.transient is False


def test_it_stops_a_stream_that_grows_over_the_limit(stub: StubServer) -> None:
    # Content-Encoding hides the real size from the Content-Length check, so the byte count must catch it.
    stub.route("/cache/output.docx", Reply(body=gzip.compress(b"x" * (3 * MiB)), headers={"Content-Encoding": "gzip"}))

    with pytest.raises(DocServerError, match="larger than the limit"):
        _download(f"{stub.url}/cache/output.docx", make_config(stub), max_size=2 * MiB)


def test_it_reports_a_truncated_body_as_transient(stub: StubServer) -> None:
    stub.route("/cache/output.docx", Reply(body=b"only part of it", declared_length=5000))

    with pytest.raises(DocServerError, match="cut short") as raised:
        _download(f"{stub.url}/cache/output.docx", make_config(stub))

    assert raised.value.transient is True


def test_it_reports_a_download_from_a_server_that_is_down_as_transient(stub: StubServer) -> None:
    cfg = make_config(stub, internal_url="http://127.0.0.1:9")

    with pytest.raises(DocServerError) as raised:
        _download("https://docs.example.com/cache/output.docx", cfg)

    assert raised.value.transient is True


def test_it_routes_key_requests_to_the_documents_shard(fake_ds) -> None:
    cfg = DocServerConfig(public_url=fake_ds.url, internal_url=fake_ds.url, connector_url="", jwt_secret=fake_ds.secret)

    with pytest.raises(DocServerError):
        docserver.command("forcesave", key="Khirz6zTPdfd7", cfg=cfg)
    docserver.command("version", cfg=cfg)

    forcesave, version = fake_ds.requests_to("/command")
    assert forcesave.query == "shardkey=Khirz6zTPdfd7"
    assert version.query == ""
