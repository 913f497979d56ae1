"""Open editing sessions: "Save a version now" (the ``forcesave`` command) and "End editing session" (``drop``).

Both only ask the Document Server (protocol §6); what it stores or ends arrives later as callbacks (status 6
for a forcesave, 1/2/4 as editors are dropped), which the usual pipeline records. Nothing here changes a key,
a version or the editor list itself.

Who may do what: editors of the space may ask for a version now; only space admins may end a session. Staff
count as admins of every space (``attachments.permissions.role_in_space``), so they may end sessions too. The
attachment pages offer both in a file's menu while someone edits it (connector/display.py).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TypedDict, Unpack

from django.utils.translation import gettext as _

from attachments.models import Attachment
from attachments.users import User
from connector import docserver, ds_settings
from connector.keys import editor_uid, issued_live_key

logger = logging.getLogger(__name__)

# Command errors (protocol §6) whose meaning the user can act on.
_NOT_OPEN, _NOT_MODIFIED, _BAD_TOKEN = 1, 4, 6


class SessionError(Exception):
    """The command was not carried out; ``message`` is fit to show the user who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _command_message(exc: docserver.DocServerError, *, not_modified: str) -> str:
    if exc.code == _NOT_OPEN:
        return _("Nobody is editing this file any more.")
    if exc.code == _NOT_MODIFIED:
        return not_modified
    if exc.code == _BAD_TOKEN:
        return _(
            "The Document Server refused the request: its secret key does not match this application's. "
            "Ask an administrator to check the ONLYOFFICE settings."
        )
    if exc.code is None:
        # Connection refused, timeout, HTTP error or a reply that is not the DS's: the detail is for the log.
        return _("The Document Server cannot be reached; try again later.")
    return exc.message


class CommandFields(TypedDict, total=False):
    """What a session command sends besides its key (forcesave: ``userdata``; drop: ``users``)."""

    userdata: str
    users: list[str]


def _send(command: str, *, attachment: Attachment, not_modified: str = "", **fields: Unpack[CommandFields]) -> None:
    if not ds_settings.current().configured:
        raise SessionError(_("ONLYOFFICE is not set up."))
    key = issued_live_key(attachment)
    if key is None:
        raise SessionError(_("Nobody is editing this file any more."))
    try:
        docserver.command(command, key=key.key, **fields)
    except docserver.DocServerError as exc:
        logger.warning("%s command for attachment %s failed: %s", command, attachment.pk, exc.message)
        raise SessionError(_command_message(exc, not_modified=not_modified)) from exc


def forcesave_request(*, attachment: Attachment, user: User) -> None:
    """Ask the DS to store the open session's changes now; the version arrives as a status 6 callback.

    The key stays the same, so the session goes on. Callers check that ``user`` may edit. Raises
    ``SessionError`` (error 4: nothing changed since the last save; error 1: the session has ended).
    """
    # userdata comes back in the status 6 callback: the audit trail then says who asked for the version.
    _send(
        "forcesave",
        attachment=attachment,
        userdata=editor_uid(user),
        not_modified=_("No changes since the last save — nothing to store."),
    )
    logger.info("forcesave requested for attachment %s by user %s", attachment.pk, user.pk)


def session_drop(*, attachment: Attachment, user: User) -> None:
    """Disconnect everyone known to be editing the attachment. Callers check that ``user`` is a space admin.

    The DS then saves what they changed (status 2) or reports no changes (status 4), as when they close.
    Raises ``SessionError`` when nobody is editing or the DS refuses.
    """
    key = issued_live_key(attachment)
    editors = list(key.editors or []) if key is not None else []
    if not editors:
        raise SessionError(_("Nobody is editing this file any more."))
    # The known editors are named: omitting `users` drops everyone only from DS 8.3 on (protocol §6).
    _send("drop", attachment=attachment, users=editors)
    logger.info("session of attachment %s dropped by user %s (%d editors)", attachment.pk, user.pk, len(editors))


def users_drop(*, attachment: Attachment, uids: Collection[str]) -> list[str]:
    """Disconnect these editors (their editor uids) from the attachment's live session; the ones that were in it.

    For access that ended while the editor was open (a share link revoked): the DS saves what they changed, as
    when they close, so nothing typed is lost. Nobody of them editing is no error (an empty list). Raises
    ``SessionError`` when the DS refuses or cannot be reached.
    """
    key = issued_live_key(attachment)
    wanted = set(uids)
    present = [uid for uid in (key.editors or []) if uid in wanted] if key is not None else []
    if present:
        _send("drop", attachment=attachment, users=present)
        logger.info("%d editors dropped from the session of attachment %s", len(present), attachment.pk)
    return present
