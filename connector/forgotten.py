"""The Document Server's forgotten files: edits it kept when we could not take them from the callback's link.

The DS keeps an edited file behind the callback's ``url`` for 900 s (storage.fs.urlExpires) and, once our callback
was answered with an error, as a *forgotten* file under its key (``getForgotten``). Three ways lead here:

- ``store`` is how the save task (connector/tasks.py) stores a claimed request: from the callback's link while it
  lives (``services.save_request_store``), else through getForgotten; it raises ``SaveLost`` when the DS has
  discarded the file, since no Retry can work then;
- ``forgotten_recover`` (``manage.py onlyoffice recover``) stores what the DS kept after our callback failed;
- ``sessions_reconcile`` (the sessions sweep, every minute) asks the DS about sessions that went quiet: one that
  ended without a callback we accepted has its forgotten file stored, and its "Being edited by" ended.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.filenames import file_type
from attachments.models import Version
from connector import docserver, ds_settings, services
from connector.docserver import DocServerError
from connector.keys import user_id_for_uid
from connector.models import DocumentKey, SaveRequest

logger = logging.getLogger(__name__)

# The DS signs callback links for 900 s (storage.fs.urlExpires, protocol §3); after that only getForgotten helps.
LINK_LIFETIME = timedelta(seconds=900)
# What a DS link answers once it has expired or the file is gone.
GONE_STATUSES = frozenset({403, 404, 410})
# What the real DS answers for a link past its ``expires`` (routes/static.js): the file is discarded for us.
EXPIRED_STATUS = 410
FORGOTTEN_COMMENT = "Recovered from the Document Server's forgotten files"


# --- the save task: the callback's link, else the forgotten file ------------------------------------------------


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
    cfg = ds_settings.current()
    key = save_request.document_key.key
    url = forgotten_url(key, cfg)
    # In memory only: the stored request keeps the callback's own link for the record.
    save_request.url = url
    save_request.changes_url = ""
    save_request.filetype = _file_type_of(url) or save_request.filetype
    version = services.save_request_store(save_request=save_request, recovered=True, comment=comment)
    forgotten_delete(key, cfg)
    return version


def forgotten_url(key: str, cfg: ds_settings.DocServerConfig) -> str:
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


def forgotten_delete(key: str, cfg: ds_settings.DocServerConfig) -> bool:
    """deleteForgotten once the file is stored; a failure only leaves a copy the DS cleans up itself."""
    try:
        docserver.command("deleteForgotten", key=key, cfg=cfg)
    except DocServerError as exc:
        logger.warning("deleteForgotten for a stored file failed: %s", exc.message)
        return False
    return True


def _file_type_of(url: str) -> str:
    return file_type(unquote(posixpath.basename(urlsplit(url).path)))


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
    cfg = ds_settings.current()
    reply = docserver.command("getForgottenList", cfg=cfg)
    keys = _strings(reply.get("keys"))
    ours = {dk.key: dk for dk in DocumentKey.objects.filter(key__in=keys).select_related("attachment")}
    results = []
    for key in keys:
        document_key = ours.get(key)
        if document_key is None:
            results.append(RecoverResult(key=key, outcome="foreign"))
        else:
            results.append(_recover_one(document_key, cfg, dry_run=dry_run))
    return results


def _recover_one(document_key: DocumentKey, cfg: ds_settings.DocServerConfig, *, dry_run: bool) -> RecoverResult:
    attachment_id = document_key.attachment_id
    stored = SaveRequest.objects.filter(
        document_key=document_key, callback_status=2, state=SaveRequest.State.SAVED
    ).first()
    if stored is not None:
        # Our callback answered too late for the DS, but the final save was stored from its link meanwhile.
        if not dry_run:
            forgotten_delete(document_key.key, cfg)
            session_ended(document_key)
        number = stored.version.number if stored.version is not None else None
        return RecoverResult(document_key.key, "already", attachment_id, number)
    if dry_run:
        return RecoverResult(document_key.key, "would-store", attachment_id)
    save_request = _forgotten_request(document_key)
    if save_request is None:
        return RecoverResult(document_key.key, "failed", attachment_id, message=_("a worker is storing it now"))
    try:
        version = store_forgotten(save_request=save_request, comment=FORGOTTEN_COMMENT)
    except DocServerError as exc:
        # The command prints the failure to whoever runs it: no e-mail.
        services.save_request_fail(save_request_id=save_request.pk, error=exc.message, notify=False)
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
    cfg = ds_settings.current()
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


def _editing_users(document_key: DocumentKey, cfg: ds_settings.DocServerConfig) -> list[str] | None:
    """The DS's editors of the key ([] when it has no such session); None when it could not say."""
    try:
        reply = docserver.command("info", key=document_key.key, cfg=cfg)
    except DocServerError as exc:
        if exc.code == 1:
            return []
        logger.info("session check of attachment %s: %s", document_key.attachment_id, exc.message)
        return None
    return list(dict.fromkeys(_strings(reply.get("users"))))


def _forgotten_keys(cfg: ds_settings.DocServerConfig) -> set[str] | None:
    try:
        reply = docserver.command("getForgottenList", cfg=cfg)
    except DocServerError as exc:
        logger.info("session check: no list of forgotten files: %s", exc.message)
        return None
    return set(_strings(reply.get("keys")))


def _strings(value: object) -> list[str]:
    """The strings of a list in a DS reply; none of a missing or malformed one."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
