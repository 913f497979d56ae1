"""A Document Server fetch we refuse (download, check file, changes) says why in the log, without any secret.

Django logs only ``Forbidden: <path>`` for a 403; the reason is what an admin needs to fix the DS's settings. The
link token, the DS's JWT and the secrets must stay out of every record, as in tests/test_security_logs.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import pytest
from django.urls import reverse

from attachments.models import Attachment
from connector import checks, ds_settings, history, links

SECRET = "refusal-test-secret-0123456789abcdef"
WRONG_SECRET = "not-our-secret-0123456789abcdef-xyz"
TOKEN_MISMATCH = "the Document Server token is missing or does not match this link"


@dataclass
class Fetch:
    path: str
    link_token: str
    secret: str | None  # signs the DS's JWT; None: the DS sends none
    logged: str  # the warning expected
    signed_path: str = ""  # the link its JWT names, when it is not this one

    def url(self) -> str:
        return f"{self.path}?token={self.link_token}"


@pytest.fixture
def onlyoffice(db) -> ds_settings.DocServerConfig:
    return ds_settings.update(public_url="http://127.0.0.1:9", connector_url="http://testserver", jwt_secret=SECRET)


def _download(
    att: Attachment, user_id: int, reason: str, *, a: int | None = None, secret: str | None = SECRET
) -> Fetch:
    token = links.make_token("download", a=att.pk if a is None else a, v=1, u=user_id)
    path = reverse("onlyoffice-download", args=[att.pk])
    return Fetch(path, token, secret, logged=f"DS download of attachment {att.pk} refused: {reason}")


def _check_file(att: Attachment, user_id: int) -> Fetch:
    token = links.make_token(checks.LINK_PURPOSE, n="0123456789abcdef")
    logged = f"DS download of the check file refused: {TOKEN_MISMATCH}"
    # Signed with our secret, but for another of our links: the DS's JWT must name this very link.
    other = reverse("onlyoffice-download", args=[att.pk])
    return Fetch(reverse("onlyoffice-check-file"), token, SECRET, logged=logged, signed_path=other)


def _changes(att: Attachment, user_id: int) -> Fetch:
    version = att.versions.get()
    token = links.make_token(history.CHANGES_PURPOSE, n=version.pk + 1000, u=user_id)
    logged = f"DS changes download of version {version.pk} refused: the link is for another version"
    return Fetch(reverse("onlyoffice-changes", args=[version.pk]), token, SECRET, logged=logged)


# case: (the DS's request, the reason it is answered)
CASES: dict[str, tuple[Callable[[Attachment, int], Fetch], str]] = {
    "download for another file": (
        lambda att, uid: _download(att, uid, "the link is for another file", a=att.pk + 1000),
        "the link is for another file",
    ),
    "download with a JWT of another secret": (
        lambda att, uid: _download(att, uid, TOKEN_MISMATCH, secret=WRONG_SECRET),
        TOKEN_MISMATCH,
    ),
    "download without a JWT": (lambda att, uid: _download(att, uid, TOKEN_MISMATCH, secret=None), TOKEN_MISMATCH),
    "check file with a JWT for another link": (_check_file, TOKEN_MISMATCH),
    "changes for another version": (_changes, "the link is for another version"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_it_logs_why_a_ds_fetch_was_refused_without_its_tokens(
    caplog, client, personas, make_attachment, onlyoffice, case
) -> None:
    caplog.set_level(logging.DEBUG)
    build, reason = CASES[case]
    attachment = make_attachment(personas.space, "Plan.docx")
    fetch = build(attachment, personas.editor.pk)
    headers = {}
    ds_jwt = ""
    if fetch.secret is not None:
        signed_url = f"http://testserver{fetch.signed_path or fetch.path}?token={fetch.link_token}"
        ds_jwt = jwt.encode({"payload": {"url": signed_url}}, fetch.secret, algorithm="HS256")
        headers[onlyoffice.jwt_header] = f"Bearer {ds_jwt}"

    response = client.get(fetch.url(), headers=headers)

    assert response.status_code == 403
    assert response.json()["message"] == reason
    warnings = [r for r in caplog.records if r.name == "connector.access" and r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [fetch.logged]
    texts = [caplog.text] + [f"{r.msg} {r.args!r} {r.getMessage()}" for r in caplog.records]
    secrets = {"link token": fetch.link_token, "JWT": ds_jwt, "secret": SECRET, "DS's secret": WRONG_SECRET}
    for name, value in secrets.items():
        if value:
            assert not [text for text in texts if value in text], f"the {name} appears in the logs"
