"""Production settings from the environment: optional S3 storage and JSON logs (no network involved)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.production import run_with_production_settings

_S3_PROBE = """
import json, django
django.setup()
from django.core.files.storage import storages
s = storages["default"]
print(json.dumps({"class": f"{type(s).__module__}.{type(s).__name__}", "bucket": s.bucket_name,
    "endpoint": s.endpoint_url, "region": s.region_name, "access_key": s.access_key,
    "secret_set": bool(s.secret_key), "addressing": s.addressing_style, "overwrite": s.file_overwrite,
    "custom_domain": s.custom_domain, "querystring_auth": s.querystring_auth}))
"""


def _run(code: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Python with the production settings, a secret key and nothing else in the environment but ``variables``."""
    defaults = {
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only",
        # boto3 must find nothing of a developer's own AWS set-up.
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    return run_with_production_settings(code, tmp_path, **{**defaults, **variables})


def test_it_configures_s3_storage_from_the_environment(tmp_path: Path) -> None:
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text("secret-from-a-file\n", encoding="utf-8")

    result = _run(
        _S3_PROBE,
        tmp_path,
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="attachments",
        AWS_S3_ENDPOINT_URL="http://minio:9000",
        AWS_S3_REGION_NAME="eu-central-1",
        AWS_S3_ACCESS_KEY_ID="access-key",
        AWS_S3_SECRET_ACCESS_KEY_FILE=str(secret_file),
        AWS_S3_ADDRESSING_STYLE="path",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "attachments",
        "endpoint": "http://minio:9000",
        "region": "eu-central-1",
        "access_key": "access-key",
        "secret_set": True,
        "addressing": "path",
        "overwrite": False,
        "custom_domain": None,
        "querystring_auth": True,
    }


def test_it_keeps_files_on_disk_without_a_bucket(tmp_path: Path) -> None:
    code = "import django; django.setup(); from django.conf import settings; print(settings.STORAGES['default'])"

    result = _run(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "FileSystemStorage" in result.stdout


def test_it_refuses_s3_without_a_bucket_and_names_the_variable(tmp_path: Path) -> None:
    result = _run("import django; django.setup()", tmp_path, STORAGE_BACKEND="s3")

    assert result.returncode != 0
    assert "STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_it_writes_one_json_object_per_log_line(tmp_path: Path) -> None:
    code = (
        "import django, logging; django.setup(); log = logging.getLogger('connector.test');"
        "log.warning('save request %s failed', 7, extra={'attachment_id': 3});"
        "\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('boom')"
    )

    result = _run(code, tmp_path, DJANGO_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert len(lines) == 2
    assert lines[0]["message"] == "save request 7 failed"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "connector.test"
    assert lines[0]["attachment_id"] == 3
    assert "ZeroDivisionError" in lines[1]["exception"]


def test_it_refuses_an_unknown_log_format(tmp_path: Path) -> None:
    result = _run("import django; django.setup()", tmp_path, DJANGO_LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT='xml' is not one of plain, json" in result.stderr


def test_it_refuses_a_metrics_allowlist_entry_that_is_not_an_address(tmp_path: Path) -> None:
    result = _run("import django; django.setup()", tmp_path, METRICS_ALLOWED_IPS="10.0.0.0/8,prometheus")

    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS: 'prometheus' is not an IP address or network" in result.stderr


def test_it_never_redirects_the_document_server_or_the_probes_to_https(settings, db) -> None:
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    # No redirect: the link token is checked (and refused) instead.
    assert client.get("/onlyoffice/download/1/?token=wrong").status_code in {403, 404}
