"""moto's standalone S3 server for benchmark stacks: a process of its own, a bucket, the app's S3 variables.

tests/support/s3.py does the same for the test suite, but imports pytest; this is the few lines the harness
needs. Used by ``StackOptions(storage="s3")`` (bench/harness.py).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from typing import Any

import boto3
from botocore.config import Config

# moto accepts any credentials; they only have to match on both sides. Not secrets.
ACCESS_KEY = "bench-access-key"
SECRET_KEY = "bench-secret-key"
REGION = "us-east-1"
BUCKET = "bench"
# moto keeps an object in memory up to this size and spools larger ones to a temporary file. A load run stores
# thousands of versions of 1-50 MB: in memory they would take gigabytes of a shared machine.
KEY_BUFFER_BYTES = 256 * 1024


def command(port: int) -> list[str]:
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def server_env() -> dict[str, str]:
    return {"MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(KEY_BUFFER_BYTES)}


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def client(endpoint_url: str) -> Any:
    """A boto3 client with boto3's defaults, path-style addressing as the app is configured."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


def create_bucket(endpoint_url: str, *, deadline: float = 30.0) -> None:
    """The bucket; moto's Flask app may accept connections a moment before it answers, so retry briefly."""
    give_up = time.monotonic() + deadline
    while True:
        try:
            client(endpoint_url).create_bucket(Bucket=BUCKET)
            return
        except Exception:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.1)


def app_env(endpoint_url: str) -> dict[str, str]:
    """The variables that make the app store files in the bucket (config/settings.py, ``_s3_storage``)."""
    return {
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
