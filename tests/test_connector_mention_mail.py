"""A mention when mail cannot go out (connector/events.py ``notify``, POST .../notify/).

The editor page's script reads every answer of that endpoint as JSON, so a mail failure must never become
Django's HTML 500: it is logged, reported in the JSON answer, and the recipients whose mail did go out keep it.
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
from collections.abc import Iterator, Sequence

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse

from attachments.models import Attachment
from tests.conftest import Personas

# Both members other than the sender: Olivia (owner) and Vera (viewer).
MENTIONED = ["olivia@example.com", "vera@example.com"]


class FirstMailFailsBackend(EmailBackend):
    """Delivers to ``mail.outbox`` like locmem, but the first message of the test is refused by "the server"."""

    refused = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if FirstMailFailsBackend.refused == 0:
            FirstMailFailsBackend.refused = 1
            raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"mailbox unavailable")})
        return super().send_messages(messages)


@pytest.fixture
def closed_smtp_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but never listens: every SMTP connection to it is refused at once."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", user=personas.owner)


def post_notify(personas: Personas, attachment: Attachment, emails: list[str]):
    # As in production: an exception that escaped the view would be rendered as Django's HTML 500 page.
    client = Client(raise_request_exception=False)
    client.force_login(personas.editor)
    body = {"emails": emails, "message": "Please check the numbers"}
    url = reverse("onlyoffice-event-notify", args=[attachment.pk])
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_it_answers_json_and_logs_when_the_mail_server_is_unreachable(
    personas: Personas, plan: Attachment, settings, closed_smtp_port: int, caplog
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_smtp_port
    settings.EMAIL_HOST_PASSWORD = "smtp-password-never-logged"

    with caplog.at_level(logging.WARNING, logger="connector.events"):
        response = post_notify(personas, plan, MENTIONED)

    assert response.status_code == 502
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "sent": 0,
        "failed": 2,
        "error": 1,
        "message": "The emails to 2 people you mentioned could not be sent.",
    }
    failures = [r.getMessage() for r in caplog.records if "could not be sent" in r.getMessage()]
    assert len(failures) == 2
    assert all(f"attachment {plan.pk}" in line and "ConnectionRefusedError" in line for line in failures)
    assert "smtp-password-never-logged" not in caplog.text


def test_it_still_mails_the_others_when_one_recipient_fails(
    personas: Personas, plan: Attachment, settings, caplog, mailoutbox
) -> None:
    FirstMailFailsBackend.refused = 0
    settings.EMAIL_BACKEND = f"{__name__}.FirstMailFailsBackend"

    with caplog.at_level(logging.WARNING, logger="connector.events"):
        response = post_notify(personas, plan, MENTIONED)

    assert response.status_code == 502
    assert response.json() == {
        "sent": 1,
        "failed": 1,
        "error": 1,
        "message": "The email to 1 person you mentioned could not be sent.",
    }
    [delivered] = mailoutbox
    assert delivered.to[0] in MENTIONED
    [failure] = [r.getMessage() for r in caplog.records if "could not be sent" in r.getMessage()]
    assert "SMTPRecipientsRefused" in failure
