"""Concurrent uploads of new versions through the API get gap-free, unique numbers (PostgreSQL row locks)."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from attachments import services
from attachments.models import Attachment
from tests.conftest import Personas

UPLOADERS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_numbers_concurrent_new_versions_without_gaps(personas: Personas, transactional_db: None) -> None:
    attachment = services.attachment_create(
        space=personas.space, title="shared.docx", chunks=[b"version 1"], created_by=personas.owner
    )
    token = Token.objects.create(user=personas.editor).key
    payloads = [f"version from uploader {i}".encode() * (i + 1) for i in range(UPLOADERS)]
    barrier = threading.Barrier(UPLOADERS)

    def upload(i: int) -> int:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            file = SimpleUploadedFile(f"v{i}.docx", payloads[i])
            barrier.wait(timeout=30)  # all requests start together, so their transactions really overlap
            return client.post(f"/api/attachments/{attachment.pk}/versions/", {"file": file}).status_code
        finally:
            connection.close()  # this thread's own connection; the test database cannot be dropped otherwise

    with ThreadPoolExecutor(max_workers=UPLOADERS) as pool:
        statuses = list(pool.map(upload, range(UPLOADERS)))

    assert statuses == [201] * UPLOADERS
    versions = list(attachment.versions.order_by("number"))
    assert [v.number for v in versions] == list(range(1, UPLOADERS + 2))
    for version in versions:
        with default_storage.open(version.file.name, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == version.sha256
    expected = {hashlib.sha256(p).hexdigest() for p in [b"version 1", *payloads]}
    assert {v.sha256 for v in versions} == expected
    attachment.refresh_from_db()
    assert attachment.current_version == UPLOADERS + 1
    assert Attachment.objects.get(pk=attachment.pk).size == versions[-1].size
