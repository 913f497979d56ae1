"""The one e-mail of desktop editing: telling someone an admin broke their lock, and how to keep their edits."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils.translation import gettext as _

from attachments.display import user_name
from attachments.models import Attachment
from attachments.users import User

logger = logging.getLogger(__name__)


def lock_broken(*, holder: User, admin: User, attachment: Attachment, link: str) -> None:
    """Mail the lock's holder that their next save from the app will be refused; ``link`` is the file's page.
    A mail server's trouble is logged, never raised: the lock is broken either way."""
    if not holder.email:
        return
    values = {"admin": user_name(admin), "title": attachment.title, "link": link}
    # A title never carries a line break into the subject (Django would refuse the mail).
    subject = " ".join((_("Your desktop lock on “%(title)s” was broken") % values).split())
    body = (
        _(
            "%(admin)s broke your desktop lock on “%(title)s”, so that others can edit the file. Your next save from "
            "the app will be refused rather than overwrite their edits.\n\n"
            "To keep your changes, save a copy on your computer, then upload it as a new version of the file:\n"
            "%(link)s"
        )
        % values
    )
    try:
        send_mail(subject, body, None, [holder.email])
    except Exception as exc:  # any failure of the mail server: the admin's click must not fail
        logger.warning(
            "desktop lock break mail for attachment %s to user %s could not be sent: %s: %s",
            attachment.pk,
            holder.pk,
            type(exc).__name__,
            exc,
        )
