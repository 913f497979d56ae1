"""The e-mails of failed saves: the space's admins hear of edits that could not be stored, or were lost.

Sent once per failure, by ``services.save_request_fail``. They name the file, who edited it and when, the reason
(with any link cut out: ``display.safe_reason``) and a link to the file; never a Document Server link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats as date_formats
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.models import Attachment, Membership, Role
from connector import ds_settings
from connector.display import safe_reason
from connector.keys import editor_name
from connector.models import SaveRequest

logger = logging.getLogger(__name__)


def failure_notify(*, save_request_id: int) -> None:
    save = SaveRequest.objects.select_related("attachment__space", "editor").filter(pk=save_request_id).first()
    if save is None:
        return
    recipients = list(
        Membership.objects.filter(space_id=save.attachment.space_id, role=Role.ADMIN)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    subject, body = _failure_email(save)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        # The failure is recorded and shown on the attachment; a mail outage must not hide that.
        logger.exception("save request %s: the email to the space admins could not be sent", save_request_id)


def _failure_email(save: SaveRequest) -> tuple[str, str]:
    attachment = save.attachment
    values = {
        "title": attachment.title,
        "who": editor_name(save.editor) if save.editor else _("an unknown editor"),
        "when": date_formats.date_format(timezone.localtime(save.created_at), "DATETIME_FORMAT"),
        "reason": safe_reason(save.last_error),
        "link": attachment_link(attachment),
    }
    if save.state == SaveRequest.State.LOST:
        return _lost_email(values)
    subject = _("Edits to “%(title)s” could not be saved") % values
    body = (
        _(
            "The edits %(who)s made to “%(title)s” in ONLYOFFICE at %(when)s could not be stored as a new version.\n\n"
            "Reason: %(reason)s\n\n"
            "Open the file and use Retry, or run “./manage.py onlyoffice recover”:\n%(link)s\n"
        )
        % values
    )
    return subject, body


def _lost_email(values: dict[str, str]) -> tuple[str, str]:
    subject = _("Edits to “%(title)s” were lost") % values
    body = (
        _(
            "The edits %(who)s made to “%(title)s” in ONLYOFFICE at %(when)s could not be fetched before the "
            "Document Server discarded them. They are not in the file's history and cannot be recovered.\n\n"
            "Reason: %(reason)s\n\n"
            "The Document Server keeps an edited file for 15 minutes after it reports the save "
            "(storage.fs.urlExpires); check that the save workers are running and can reach it.\n%(link)s\n"
        )
        % values
    )
    return subject, body


def attachment_link(attachment: Attachment) -> str:
    path = reverse("attachment_detail", args=[attachment.pk])
    base = ds_settings.current().connector_url or getattr(settings, "SITE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path
