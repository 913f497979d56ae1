"""Editor events answered by this app: save a copy, rename, insert an image, mentions (protocol §1).

The editor page's script (static/connector/events.js) turns each event into a call to an endpoint in
``connector/views/events.py``; the rules live here. Nothing here trusts the browser: a URL to save must be on the
Document Server, a space to save into must be one the user may edit, an image must be in the file's own space,
and mentions only ever reach members of that space.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.errors import AttachmentRuleError
from attachments.filenames import clean_title, split_extension, with_extension
from attachments.models import Attachment, Role, Space, VersionSource
from attachments.permissions import can_download, can_edit, visible_spaces
from attachments.services import attachment_create, attachment_rename
from attachments.storage import FileTooLarge
from attachments.users import User
from connector import docserver, editor, formats, jwt_codec
from connector.access import Refused
from connector.ds_settings import DocServerConfig
from connector.keys import editor_name, editor_uid, issued_live_key

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
MAX_MESSAGE = 2000
# editorConfig.actionLink comes back in a URL; a bigger one is dropped rather than making the link unusable.
MAX_ACTION_LINK = 2048
MAX_MEMBERS_LISTED = 1000
_COMMAND_NOT_OPEN = 1
_TOKEN_WORD = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
# jpeg is not in ONLYOFFICE's table (it names jpg) but is a common spelling of the same format.
_EXTRA_IMAGE_TYPES = ("jpeg",)


class EventError(Refused):
    """The request is refused; ``message`` is fit to show the user, ``status`` is the HTTP status."""


# --- save a copy ---------------------------------------------------------------------------------------------


def editable_spaces(user: User) -> QuerySet[Space]:
    """Spaces the user may add files to: editor or admin there (staff: every space)."""
    spaces = visible_spaces(user)
    if user.is_staff:
        return spaces
    return spaces.filter(memberships__user=user, memberships__role__in=[Role.EDITOR, Role.ADMIN]).distinct()


def can_save_copy(user: User, role: Role) -> bool:
    """Whether the editor offers "Save copy as": the user may take a copy and has a space to put it in.

    The editor hides the button when ``onRequestSaveAs`` has no handler (static/connector/events.js), so a viewer
    with no space of their own is never offered a dialog that can only say there is nowhere to save.
    """
    if not can_download(role):
        return False
    # An editor of the file's own space has that space: no query needed.
    return can_edit(role) or editable_spaces(user).exists()


def _copy_title(title: object, extension: str, fallback: str) -> str:
    """The DS's title with the extension of the file it actually hands us (a "Save copy as PDF" is a .pdf)."""
    return with_extension(clean_title(title if isinstance(title, str) else "", fallback=fallback), extension)


def _save_as_type(file_type: object) -> str:
    if not isinstance(file_type, str) or not _EXTENSION.match(file_type.lower()):
        raise EventError(_("The file type of the copy is missing or not valid."))
    file_type = file_type.lower()
    if formats.format_for(file_type) is None and file_type not in image_types():
        raise EventError(_("ONLYOFFICE cannot open files of type “%(type)s”.") % {"type": file_type})
    return file_type


def save_as(
    *,
    attachment: Attachment,
    user: User,
    url: object,
    title: object,
    file_type: object,
    space_id: object,
    cfg: DocServerConfig,
) -> Attachment:
    """Store the file at ``url`` (on the Document Server only) as a new attachment in the space ``space_id``.

    Raises ``EventError``: 403 when the user may not add files to that space, 400 for a bad URL or type,
    413 for a file over ``cfg.max_edit_size``, 502 when the download fails. Nothing is stored then.
    """
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise EventError(_("Choose the space to save the copy in."))
    # A space the user is not a member of gets the same answer as one they only view: nothing is revealed.
    space = editable_spaces(user).filter(pk=space_id).first()
    if space is None:
        raise EventError(_("You cannot add files to that space."), 403)
    extension = _save_as_type(file_type)
    if not isinstance(url, str) or not url:
        raise EventError(_("The editor gave no file to save."))
    # attachment_create numbers a name the space already has; the answer shows the name the copy got.
    name = _copy_title(title, extension, fallback=split_extension(attachment.title)[0])
    try:
        with docserver.open_file(url, max_size=cfg.max_edit_size, cfg=cfg) as chunks:
            return attachment_create(
                space=space,
                title=name,
                chunks=chunks,
                created_by=user,
                source=VersionSource.EDITOR,
                comment=f"Saved as a copy of {attachment.title}"[:500],
                max_size=cfg.max_edit_size,
            )
    except docserver.UnsafeUrl as exc:
        logger.warning("save-as for attachment %s refused a URL off the Document Server", attachment.pk)
        raise EventError(_("The copy must come from the Document Server."), 400) from exc
    except (FileTooLarge, docserver.TooLarge) as exc:
        limit = cfg.max_edit_size
        raise EventError(_("The copy is larger than the limit of %(size)d bytes.") % {"size": limit}, 413) from exc
    except docserver.DocServerError as exc:
        logger.warning("save-as for attachment %s failed: %s", attachment.pk, exc.message)
        raise EventError(_("The copy could not be downloaded from the Document Server; try again."), 502) from exc


def copy_url(attachment: Attachment) -> str:
    """Where "Open the copy" leads: the editor when ONLYOFFICE opens the type, else the file's page."""
    if formats.can_view(attachment.file_type):
        return reverse("onlyoffice-editor", args=[attachment.pk])
    return reverse("attachment_detail", args=[attachment.pk])


# --- rename ----------------------------------------------------------------------------------------------------


def _renamed_title(attachment: Attachment, wanted: object) -> str:
    """The editor's new name with the file's own extension added: its Rename dialog edits the name without it.

    The rule that a rename keeps the extension is the service's (attachments.services.attachment_rename).
    """
    if not isinstance(wanted, str) or not clean_title(wanted, fallback=""):
        raise EventError(_("Enter a name for the file."))
    extension = split_extension(attachment.title)[1]
    name = clean_title(wanted)
    if not extension or split_extension(name)[1].lower() == extension.lower():
        return name
    return clean_title(f"{name}.{extension}")


def rename(*, attachment: Attachment, user: User, title: object) -> str:
    """Rename the attachment, then tell an open editing session (``meta``) so co-editors see the new title.

    Returns the title it got (numbered when another file of the space has the name); the editor shows it.
    """
    try:
        attachment_rename(attachment=attachment, title=_renamed_title(attachment, title), renamed_by=user)
    except AttachmentRuleError as exc:
        raise EventError(exc.message) from exc
    # Only a live key with a session matters; never issue a key just to rename.
    live = issued_live_key(attachment)
    if live is not None:
        try:
            docserver.command("meta", key=live.key, meta={"title": attachment.title[:128]})
        except docserver.DocServerError as exc:
            # Error 1: nobody has the file open, so nobody needs telling. Otherwise the rename still stands.
            if exc.code != _COMMAND_NOT_OPEN:
                logger.warning("meta command for attachment %s failed: %s", attachment.pk, exc.message)
    return attachment.title


# --- insert an image -------------------------------------------------------------------------------------------


@cache
def image_types() -> frozenset[str]:
    """Image extensions the editor can insert: the type-less image entries of ONLYOFFICE's formats table."""
    entries = json.loads(Path(formats._DATA).read_text(encoding="utf-8"))
    found = {
        entry["name"]
        for entry in entries
        if not entry.get("type") and any(mime.startswith("image/") for mime in entry.get("mime", ()))
    }
    found.discard("pdfa")  # listed with an image/pdf mime type, but it is a document
    return frozenset(found | set(_EXTRA_IMAGE_TYPES))


def images_in_space(attachment: Attachment) -> QuerySet[Attachment]:
    """Image attachments of the file's own space (callers have checked the user may view it)."""
    by_type = Q()
    for extension in image_types():
        by_type |= Q(title__iendswith=f".{extension}")
    return (
        Attachment.objects.filter(space_id=attachment.space_id, current_version__gte=1, deleted_at__isnull=True)
        .filter(by_type)
        .order_by("title", "id")
    )


def _command_word(value: object, default: str) -> str:
    return value if isinstance(value, str) and _TOKEN_WORD.match(value) else default


def insert_image(
    request: HttpRequest,
    *,
    attachment: Attachment,
    image_id: int,
    user: User,
    c: object,
    cfg: DocServerConfig,
) -> dict[str, object]:
    """The argument of ``insertImage``: a signed download link the DS fetches with its JWT, and a token over it.

    Raises ``EventError(404)`` for an image that is not in the file's space or not an image.
    """
    image = images_in_space(attachment).filter(pk=image_id).first()
    if image is None:
        raise EventError(_("No such image in this space."), 404)
    result: dict[str, object] = {
        "c": _command_word(c, "add"),
        "images": [
            {"fileType": image.file_type, "url": editor.document_url(request, attachment=image, user=user, cfg=cfg)}
        ],
    }
    if cfg.jwt_enabled:
        result["token"] = jwt_codec.encode(result, cfg.jwt_secret, expires_in=editor.CONFIG_TOKEN_LIFETIME)
    return result


# --- mentions --------------------------------------------------------------------------------------------------


def _members(space: Space) -> QuerySet[User]:
    # Members only: staff may open every space, but they are not people to mention in it.
    return get_user_model().objects.filter(memberships__space=space, is_active=True).exclude(email="").distinct()


def mention_users(attachment: Attachment, c: object) -> dict[str, object]:
    """The argument of ``setUsers``: the space's members (every role may view the file), never anyone else."""
    members = _members(attachment.space).order_by("first_name", "last_name", "pk")[:MAX_MEMBERS_LISTED]
    users = [{"email": user.email, "name": editor_name(user), "id": editor_uid(user)} for user in members]
    return {"c": _command_word(c, "mention"), "users": users}


def _emails(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(email, str) for email in value):
        raise EventError(_("The list of people to notify is not valid."))
    unique = list(dict.fromkeys(email.strip().lower() for email in value if email.strip()))
    if len(unique) > MAX_RECIPIENTS:
        raise EventError(_("At most %(count)d people can be notified at once.") % {"count": MAX_RECIPIENTS})
    return unique


def action_link_from_query(raw: str | None) -> dict[str, object] | None:
    """``editorConfig.actionLink`` from the editor page's ``?action=``: a JSON object, size-capped, else None."""
    if not raw or len(raw) > MAX_ACTION_LINK:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _editor_link(request: HttpRequest, attachment: Attachment, action_link: object) -> str:
    link = request.build_absolute_uri(reverse("onlyoffice-editor", args=[attachment.pk]))
    if isinstance(action_link, dict):
        encoded = json.dumps(action_link, separators=(",", ":"))
        if len(encoded) <= MAX_ACTION_LINK:
            link = f"{link}?{urlencode({'action': encoded})}"
    return link


@dataclass(frozen=True)
class Notified:
    """What became of a mention's mails: ``sent`` delivered to the mail server, ``failed`` refused or unsent."""

    sent: int
    failed: int


def notify(
    request: HttpRequest,
    *,
    attachment: Attachment,
    sender: User,
    emails: object,
    message: object,
    action_link: object,
) -> Notified:
    """Email the mentioned members of the file's space; other addresses are ignored.

    Never raises for a mail failure: each recipient is tried, and those whose mail failed are logged and counted.
    """
    wanted = _emails(emails)
    if not wanted:
        return Notified(sent=0, failed=0)
    # Every role in the space may view the file, so membership is the whole check.
    recipients = [user for user in _members(attachment.space) if user.email.lower() in wanted]
    text = message.strip()[:MAX_MESSAGE] if isinstance(message, str) else ""
    link = _editor_link(request, attachment, action_link)
    # Header injection: a name or title is never allowed to carry a newline into the subject.
    subject = " ".join(
        (_("%(name)s mentioned you in %(title)s") % {"name": editor_name(sender), "title": attachment.title}).split()
    )
    body = "\n\n".join(part for part in (text, _("Open the file: %(link)s") % {"link": link}) if part)
    sent = failed = 0
    for user in recipients:
        # One mail each, so that recipients do not see one another's addresses. Any backend error counts (SMTP
        # down, a refused address, a broken custom backend): the editor must still get its JSON answer, and one
        # address that fails must not cost the others their mail.
        try:
            sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception as exc:
            failed += 1
            # The reason names the mail server's complaint, never its password; the user by id, not address.
            logger.warning(
                "mention mail for attachment %s to user %s could not be sent: %s: %s",
                attachment.pk,
                user.pk,
                type(exc).__name__,
                exc,
            )
    return Notified(sent=sent, failed=failed)
