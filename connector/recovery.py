"""Conflicts and the recovery of failed saves: nothing an editor typed is lost, and nobody wonders where it went.

- Conflicts: a save on a key whose base version is no longer the newest is still stored, marked
  (``EditedVersion.conflict_with``) and explained in its comment; ``conflict_of`` decides it inside the
  numbering transaction, so concurrent saves are judged against the number they really follow.
- Failed saves: ``save_request_retry`` (the Retry button) puts a failed request back in the queue;
  ``store`` (the save task) falls back to the DS's forgotten files when the callback link has expired, and
  raises ``SaveLost`` when the DS has discarded the file (no Retry can work then);
  ``forgotten_recover`` (``manage.py onlyoffice recover``) stores what the DS kept after our callback failed,
  and ends the session's "Being edited by" (the DS keeps a forgotten file only once everyone has left).
- ``recovery_rows`` shows "Conflicting edits" and "Edits by Alice at 14:02 could not be saved" with Retry.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats as date_formats
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.actions import Action, RowExtras, Status
from attachments.filenames import file_type
from attachments.models import Attachment, Membership, Role, Version, VersionSource
from attachments.permissions import can_edit
from connector import config, docserver, services
from connector.actions import page_rows
from connector.docserver import DocServerError
from connector.keys import display_name, user_id_for_uid
from connector.models import DocumentKey, EditedVersion, SaveRequest

logger = logging.getLogger(__name__)

# The DS signs callback links for 900 s (storage.fs.urlExpires, protocol §3); after that only getForgotten helps.
LINK_LIFETIME = timedelta(seconds=900)
# What a DS link answers once it has expired or the file is gone.
GONE_STATUSES = frozenset({403, 404, 410})
# What the real DS answers for a link past its ``expires`` (routes/static.js): the file is discarded for us.
EXPIRED_STATUS = 410
FORGOTTEN_COMMENT = "Recovered from the Document Server's forgotten files"
# How the version a save raced came about, for its comment ("... while version 4 was uploaded").
_SOURCE_VERBS = {
    VersionSource.UPLOAD: "uploaded",
    VersionSource.RESTORE: "restored",
    VersionSource.EDITOR: "edited",
    VersionSource.FORCESAVE: "edited",
    VersionSource.CONVERSION: "converted",
}
_URL_PATTERN = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


# --- conflicts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    number: int
    comment: str


def conflict_of(*, key: DocumentKey, version: Version) -> Conflict | None:
    """The version this save raced, if any. Call inside version_create's transaction (the row is locked).

    A conflict: the version before this one is newer than the key's base version and did not come from a
    forcesave of this same key (those are the session's own earlier saves).
    """
    previous_number = version.number - 1
    if previous_number <= key.base_version:
        return None
    previous = (
        Version.objects.filter(attachment_id=version.attachment_id, number=previous_number)
        .select_related("edit_info")
        .first()
    )
    if previous is None:
        return None
    info = getattr(previous, "edit_info", None)
    if previous.source == VersionSource.FORCESAVE and info is not None and info.document_key == key.key:
        return None
    verb = _SOURCE_VERBS.get(previous.source, "stored")
    comment = f"Edited from version {key.base_version} while version {previous.number} was {verb}"
    return Conflict(number=previous.number, comment=comment)


def conflict_apply(*, key: DocumentKey, version: Version) -> int | None:
    """Mark the new version's comment when it is a conflict; returns the number it raced (for EditedVersion)."""
    conflict = conflict_of(key=key, version=version)
    if conflict is None:
        return None
    version.comment = conflict.comment[:500]
    Version.objects.filter(pk=version.pk).update(comment=version.comment)
    return conflict.number


# --- the save task's fallback to forgotten files ------------------------------------------------------------


def link_expired(save_request: SaveRequest) -> bool:
    return timezone.now() - save_request.created_at > LINK_LIFETIME


def store(*, save_request: SaveRequest) -> Version | None:
    """Store a claimed save request; when the DS link has expired, through getForgotten instead.

    Raises ``SaveLost`` when the link has expired and the DS kept no forgotten copy, DocServerError otherwise.
    """
    if link_expired(save_request):
        return _store_forgotten_or_lost(save_request)
    try:
        return services.save_request_store(save_request=save_request)
    except DocServerError as exc:
        if exc.http_status not in GONE_STATUSES:
            raise
        logger.info(
            "save request %s: the DS link is gone (HTTP %s); asking for the forgotten file",
            save_request.pk,
            exc.http_status,
        )
        if exc.http_status == EXPIRED_STATUS:
            return _store_forgotten_or_lost(save_request)
        try:
            return store_forgotten(save_request=save_request)
        except ForgottenMissing:
            raise exc from None


class ForgottenMissing(DocServerError):
    """The DS holds no forgotten file under the key."""


class SaveLost(DocServerError):
    """The DS discarded the edited file before it could be fetched; nothing can bring it back."""


def _store_forgotten_or_lost(save_request: SaveRequest) -> Version | None:
    # After our {"error":0} the DS keeps no forgotten copy: once its link has expired, the file is gone for us.
    try:
        return store_forgotten(save_request=save_request)
    except ForgottenMissing as exc:
        raise SaveLost(
            _(
                "The edited file could not be fetched before the Document Server discarded it (its link expired "
                "and it keeps no other copy)."
            ),
            http_status=EXPIRED_STATUS,
        ) from exc


def store_forgotten(*, save_request: SaveRequest, comment: str | None = None) -> Version | None:
    """getForgotten → download → a version flagged ``recovered`` → deleteForgotten. Raises DocServerError."""
    cfg = config.current()
    key = save_request.document_key.key
    url = forgotten_url(key, cfg)
    # In memory only: the stored request keeps the callback's own link for the record.
    save_request.url = url
    save_request.changes_url = ""
    save_request.filetype = _file_type_of(url) or save_request.filetype
    version = services.save_request_store(save_request=save_request, recovered=True, comment=comment)
    forgotten_delete(key, cfg)
    return version


def forgotten_url(key: str, cfg: config.DocServerConfig) -> str:
    try:
        reply = docserver.command("getForgotten", key=key, cfg=cfg)
    except DocServerError as exc:
        if exc.code == 1:
            raise ForgottenMissing(
                _("The Document Server's link has expired and it keeps no forgotten copy of the file.")
            ) from exc
        raise
    url = reply.get("url")
    if not isinstance(url, str) or not url:
        raise ForgottenMissing(_("The Document Server gave no link to its forgotten copy of the file."))
    return url


def forgotten_delete(key: str, cfg: config.DocServerConfig) -> bool:
    """deleteForgotten once the file is stored; a failure only leaves a copy the DS cleans up itself."""
    try:
        docserver.command("deleteForgotten", key=key, cfg=cfg)
    except DocServerError as exc:
        logger.warning("deleteForgotten for a stored file failed: %s", exc.message)
        return False
    return True


def _file_type_of(url: str) -> str:
    return file_type(unquote(urlsplit(url).path.rsplit("/", 1)[-1]))


# --- failing for good, and Retry ----------------------------------------------------------------------------


def save_request_fail(*, save_request_id: int, error: str, lost: bool = False) -> None:
    """Mark the save failed (or ``lost``) for good and tell the space's admins by email (once per failure)."""
    if services.save_request_fail(save_request_id=save_request_id, error=error, lost=lost):
        failure_notify(save_request_id=save_request_id)


class RetryRefused(Exception):
    """The save request is not failed (any more): it is being stored, or already is."""


class RetryImpossible(RetryRefused):
    """The save is lost: the DS discarded the file, so storing it again cannot work."""


def save_request_retry(*, save_request: SaveRequest) -> None:
    """failed → pending with fresh attempts. Only one of two concurrent clicks wins the conditional update."""
    if save_request.state == SaveRequest.State.LOST:
        raise RetryImpossible(str(save_request.pk))
    reset = SaveRequest.objects.filter(pk=save_request.pk, state=SaveRequest.State.FAILED).update(
        state=SaveRequest.State.PENDING, attempts=0, claimed_at=None, updated_at=timezone.now()
    )
    if reset != 1:
        raise RetryRefused(str(save_request.pk))


def retry_undo(*, save_request: SaveRequest, error: str) -> None:
    """The broker refused the task: show the request failed again, so Retry stays offered."""
    SaveRequest.objects.filter(pk=save_request.pk, state=SaveRequest.State.PENDING).update(
        state=SaveRequest.State.FAILED, last_error=error[:2000]
    )


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
        "who": display_name(save.editor) if save.editor else _("an unknown editor"),
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


def safe_reason(error: str) -> str:
    """The stored error, with any link cut out: a DS link or token must never leave the server."""
    return _URL_PATTERN.sub("[link removed]", error or "") or _("unknown error")


def attachment_link(attachment: Attachment) -> str:
    path = reverse("attachment_detail", args=[attachment.pk])
    base = config.current().connector_url or getattr(settings, "SITE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path


# --- the attachment list -----------------------------------------------------------------------------------


def recovery_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    """Rows marked "Conflicting edits" (one query), and a failed save with Retry for editors (actions.page_rows)."""
    if not attachments or not config.for_request(request).configured:
        return {}
    ids = [attachment.pk for attachment in attachments]
    # A join, not a subquery per attachment: a third cheaper for the ORM to compile, on every list page and poll.
    conflicts = EditedVersion.objects.filter(
        version__attachment_id__in=ids,
        version__number=F("version__attachment__current_version"),
        conflict_with__isnull=False,
    ).values_list("version__attachment_id", "conflict_with")
    extras: dict[int, RowExtras] = {}
    for attachment_id, conflict_with in conflicts:
        extras.setdefault(attachment_id, RowExtras()).statuses.append(_conflict_status(conflict_with))
    if not can_edit(role):
        return extras
    back = urlencode({"next": request.get_full_path()})
    for save in page_rows(request, ids).latest_saves.values():
        if save.state in (SaveRequest.State.FAILED, SaveRequest.State.LOST):
            row = extras.setdefault(save.attachment_id, RowExtras())
            row.statuses.append(failed_status(save))
            if save.state == SaveRequest.State.FAILED:
                row.actions.append(_retry_action(save, back))
    return extras


def _conflict_status(number: int) -> Status:
    return Status(
        _("Conflicting edits"),
        tone="warning",
        detail=_(
            "The newest version was edited from an older one while version %(number)d was added; both are kept "
            "in the history. Compare them and merge what is missing."
        )
        % {"number": number},
    )


def failed_status(save: SaveRequest) -> Status:
    local = timezone.localtime(save.created_at)
    when = local.strftime("%H:%M") if local.date() == timezone.localdate() else local.strftime("%Y-%m-%d %H:%M")
    if save.state == SaveRequest.State.LOST:
        return _lost_status(save, when)
    if save.editor is not None:
        label = _("Edits by %(name)s at %(when)s could not be saved") % {
            "name": display_name(save.editor),
            "when": when,
        }
    else:
        label = _("Edits at %(when)s could not be saved") % {"when": when}
    detail = _(
        "They could not be stored after %(attempts)d attempts (%(error)s). The newest version does not contain "
        "them; use Retry, or ask an administrator to check the Document Server."
    ) % {"attempts": save.attempts, "error": safe_reason(save.last_error)}
    return Status(label, tone="danger", detail=detail)


def _lost_status(save: SaveRequest, when: str) -> Status:
    if save.editor is not None:
        label = _("Edits by %(name)s at %(when)s were lost") % {"name": display_name(save.editor), "when": when}
    else:
        label = _("Edits at %(when)s were lost") % {"when": when}
    detail = _(
        "The Document Server discarded them before they could be fetched, and it keeps no other copy. The newest "
        "version does not contain them and they cannot be recovered; the space's admins have been told."
    )
    return Status(label, tone="danger", detail=detail)


def _retry_action(save: SaveRequest, back: str) -> Action:
    return Action(
        label=_("Retry the failed save"),
        url=f"{reverse('onlyoffice-save-retry', args=[save.pk])}?{back}",
        icon="history",
        method="post",
        in_menu=True,
    )


# --- manage.py onlyoffice recover ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoverResult:
    key: str
    outcome: str  # "stored", "already", "foreign", "failed", "would-store"
    attachment_id: int | None = None
    version_number: int | None = None
    message: str = ""


def forgotten_recover(*, dry_run: bool = False) -> list[RecoverResult]:
    """Store every forgotten file whose key we issued as a recovered version, then deleteForgotten it.

    Keys we did not issue belong to another integrator sharing the DS: they are left alone.
    """
    cfg = config.current()
    reply = docserver.command("getForgottenList", cfg=cfg)
    keys = [key for key in reply.get("keys") or [] if isinstance(key, str)]
    ours = {dk.key: dk for dk in DocumentKey.objects.filter(key__in=keys).select_related("attachment")}
    results = []
    for key in keys:
        document_key = ours.get(key)
        if document_key is None:
            results.append(RecoverResult(key=key, outcome="foreign"))
        else:
            results.append(_recover_one(document_key, cfg, dry_run=dry_run))
    return results


def _recover_one(document_key: DocumentKey, cfg: config.DocServerConfig, *, dry_run: bool) -> RecoverResult:
    attachment_id = document_key.attachment_id
    stored = SaveRequest.objects.filter(
        document_key=document_key, callback_status=2, state=SaveRequest.State.SAVED
    ).first()
    if stored is not None:
        # Our callback answered too late for the DS, but the final save was stored from its link meanwhile.
        if not dry_run:
            forgotten_delete(document_key.key, cfg)
            session_ended(document_key)
        number = stored.version.number if stored.version_id else None
        return RecoverResult(document_key.key, "already", attachment_id, number)
    if dry_run:
        return RecoverResult(document_key.key, "would-store", attachment_id)
    save_request = _forgotten_request(document_key)
    if save_request is None:
        return RecoverResult(document_key.key, "failed", attachment_id, message=_("a worker is storing it now"))
    try:
        version = store_forgotten(save_request=save_request, comment=FORGOTTEN_COMMENT)
    except DocServerError as exc:
        services.save_request_fail(save_request_id=save_request.pk, error=exc.message)
        return RecoverResult(document_key.key, "failed", attachment_id, message=exc.message)
    # Failed saves of this key are now in the history: stop offering Retry for them.
    SaveRequest.objects.filter(document_key=document_key, state=SaveRequest.State.FAILED).update(
        state=SaveRequest.State.SAVED, version=version, last_error=""
    )
    session_ended(document_key)
    return RecoverResult(document_key.key, "stored", attachment_id, version.number if version else None)


def session_ended(document_key: DocumentKey) -> None:
    """Nobody edits the key any more: the DS keeps a forgotten file only after everyone left, so a session whose
    final callback we refused would otherwise show "Being edited by" for ever."""
    DocumentKey.objects.filter(pk=document_key.pk).update(editors=[], editors_updated_at=timezone.now())


def _forgotten_author(document_key: DocumentKey) -> int | None:
    """Who made the forgotten edits. A lost final save recorded nobody, but the key's editors are still those of
    the last status 1: when the others had left, only the one whose leaving ended the session. Failing that (they
    were cleared already), the editor of the key's last save request."""
    editors = [uid for uid in document_key.editors or [] if isinstance(uid, str)]
    author = user_id_for_uid(editors[-1]) if editors else None
    if author is not None:
        return author
    return (
        SaveRequest.objects.filter(document_key=document_key, editor__isnull=False)
        .order_by("-id")
        .values_list("editor", flat=True)
        .first()
    )


def _forgotten_request(document_key: DocumentKey) -> SaveRequest | None:
    """A save request of its own for the forgotten file (the audit trail), claimed for this process."""
    dedupe = hashlib.sha256(f"forgotten|{document_key.key}".encode()).hexdigest()
    editor = _forgotten_author(document_key)
    try:
        with transaction.atomic():
            save_request = SaveRequest.objects.create(
                attachment_id=document_key.attachment_id,
                document_key=document_key,
                callback_status=2,
                dedupe_key=dedupe,
                editor_id=editor,
            )
    except IntegrityError:
        # An earlier run recorded it and failed: take it again.
        save_request = SaveRequest.objects.get(dedupe_key=dedupe)
        SaveRequest.objects.filter(pk=save_request.pk, state=SaveRequest.State.FAILED).update(
            state=SaveRequest.State.PENDING
        )
    return services.save_request_claim(save_request_id=save_request.pk)


# --- sessions that ended without a callback we accepted ---------------------------------------------------------

# A key whose editors no callback has changed for this long is checked with the DS (the ``info`` command).
SESSION_QUIET = timedelta(minutes=10)
# Keys checked per sweep; the next minute takes the rest.
SESSION_BATCH = 100


def sessions_reconcile(*, quiet_for: timedelta = SESSION_QUIET) -> list[RecoverResult]:
    """Keys still showing editors with no callback for ``quiet_for``: ask the DS who is editing (``info``).

    The DS answers with the users it has. Nobody, or no such document, means the session ended with a callback
    we did not accept (a refused final save): the file the DS kept as forgotten is stored as ``recover`` would
    store it, and the key's editors are cleared, so no page shows "Being edited by" after the session ended.
    A DS that cannot be reached changes nothing. Returns what was stored.
    """
    cfg = config.current()
    if not cfg.configured:
        return []
    cutoff = timezone.now() - quiet_for
    quiet = list(
        DocumentKey.objects.exclude(editors=[])
        .filter(Q(editors_updated_at__lt=cutoff) | Q(editors_updated_at__isnull=True))
        .order_by("editors_updated_at")[:SESSION_BATCH]
    )
    if not quiet:
        return []
    ended = []
    for document_key in quiet:
        users = _editing_users(document_key, cfg)
        if users:
            DocumentKey.objects.filter(pk=document_key.pk, editors_updated_at=document_key.editors_updated_at).update(
                editors=users, editors_updated_at=timezone.now()
            )
        elif users is not None:
            ended.append(document_key)
    # One list for all of them; without it nothing is cleared, so that no forgotten file is left behind unseen.
    forgotten = _forgotten_keys(cfg) if ended else set()
    if forgotten is None:
        return []
    results = []
    for document_key in ended:
        if document_key.key in forgotten:
            results.append(_recover_one(document_key, cfg, dry_run=False))
        else:
            session_ended(document_key)
    return results


def _editing_users(document_key: DocumentKey, cfg: config.DocServerConfig) -> list[str] | None:
    """The DS's editors of the key ([] when it has no such session); None when it could not say."""
    try:
        reply = docserver.command("info", key=document_key.key, cfg=cfg)
    except DocServerError as exc:
        if exc.code == 1:
            return []
        logger.info("session check of attachment %s: %s", document_key.attachment_id, exc.message)
        return None
    return list(dict.fromkeys(user for user in reply.get("users") or [] if isinstance(user, str)))


def _forgotten_keys(cfg: config.DocServerConfig) -> set[str] | None:
    try:
        reply = docserver.command("getForgottenList", cfg=cfg)
    except DocServerError as exc:
        logger.info("session check: no list of forgotten files: %s", exc.message)
        return None
    return {key for key in reply.get("keys") or [] if isinstance(key, str)}
