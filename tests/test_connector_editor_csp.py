"""The editor page's Content-Security-Policy allows the one inline handler api.js sets, and nothing wider."""

from __future__ import annotations

import base64
import hashlib

from django.urls import reverse

from connector import ds_settings

DS_URL = "http://127.0.0.1:9"  # never contacted by this test
EMPTY_HANDLER_HASH = base64.b64encode(hashlib.sha256(b"").digest()).decode()


def test_it_allows_only_the_empty_inline_handler_in_script_src_attr(personas, make_attachment, db) -> None:
    ds_settings.update(public_url=DS_URL, connector_url="http://connector.test", jwt_secret="")
    attachment = make_attachment(personas.space, "Plan.docx")
    response = personas.client_for("editor").get(reverse("onlyoffice-editor", args=[attachment.pk]))
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]

    assert EMPTY_HANDLER_HASH == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert [d for d in directives if d.split()[0] == "script-src-attr"] == [
        f"script-src-attr 'unsafe-hashes' 'sha256-{EMPTY_HANDLER_HASH}'"
    ]
    # Hashes apply to inline handlers only through 'unsafe-hashes', and only in script-src-attr.
    assert [d for d in directives if "'unsafe-hashes'" in d or "sha256-" in d] == [
        f"script-src-attr 'unsafe-hashes' 'sha256-{EMPTY_HANDLER_HASH}'"
    ]
    assert f"script-src 'self' {DS_URL}" in directives
    assert "unsafe-inline" not in response["Content-Security-Policy"]
