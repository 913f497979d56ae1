"""Save requests, the one home of their writes: how an edit the Document Server hands over becomes a version.

The pipeline, in function names: ``callback_record`` (the callback request: one short transaction records the
event, who is editing and a save request, *pending*; enqueued after commit) → ``save_request_enqueue`` (the save
task, connector/tasks.py) → ``save_request_claim`` (pending → saving, a conditional update: a duplicate delivery,
a retry or a second worker never stores the same save twice) → ``forgotten.store`` → ``save_request_store``
(download from the DS, a new version, the request *saved*, all in one transaction) → on a transient error
``save_request_release`` (saving → pending, for the retry), on a permanent one ``save_request_fail`` (the request
*failed* or *lost*; the space's admins get an e-mail) → ``save_request_retry`` (the Retry button: failed → pending).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from celery import current_app
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from attachments.models import Attachment, Version, VersionSource
from attachments.services import version_create
from attachments.storage import delete_quietly, storage_name_for, store_chunks
from connector import docserver, ds_settings, emails, formats
from connector.callbacks import Callback, CallbackRejected
from connector.conflicts import conflict_apply
from connector.converted import verified_chunks
from connector.keys import key_retire_on_final_save, user_id_for_uid
from connector.models import CallbackEvent, DocumentKey, EditedVersion, SaveRequest

logger = logging.getLogger(__name__)

# Statuses whose callback brings a file to store (3 only when the DS still has the assembled file).
_SAVE_STATUSES = {2, 3, 6}


# --- recording a callback ------------------------------------------------------------------------------------------


def _dedupe_key(callback: Callback) -> str:
    identity = callback.lastsave or callback.url
    return hashlib.sha256(f"{callback.key}|{callback.status}|{identity}".encode()).hexdigest()


def callback_record(*, attachment_id: int, callback: Callback) -> int | None:
    """Record a verified callback; for a save, add a save request and enqueue it once committed.

    Idempotent: the same save delivered twice records one save request (unique dedupe key).
    Returns the id of the save request enqueued, if any; ``EnqueueFailed`` when the broker refused it.
    Raises CallbackRejected when the attachment does not exist (404) or never issued the key (403).
    """
    with transaction.atomic():
        key_id = _attachment_lock_and_key(attachment_id, callback.key)
        _callback_event_add(attachment_id=attachment_id, callback=callback)
        if callback.status == 2:
            # The DS will not reopen this key for editing once we accept the save (protocol §2).
            key_retire_on_final_save(attachment_id=attachment_id, saved_key_id=key_id)
        else:
            _editors_update(key_id, callback)
        if callback.status not in _SAVE_STATUSES or not callback.url:
            if callback.status in {3, 7}:
                logger.warning(
                    "document server reports a failed save (status %s) for attachment %s",
                    callback.status,
                    attachment_id,
                )
            return None
        save_request_id = _save_request_add(attachment_id=attachment_id, document_key_id=key_id, callback=callback)
        if save_request_id is not None:
            transaction.on_commit(lambda: save_request_enqueue(save_request_id))
        return save_request_id


def _attachment_lock_and_key(attachment_id: int, key: str) -> int:
    """Lock the attachment and read the id of the callback's key, in one statement.

    The attachment is locked first, as version_create does: otherwise this transaction holds the document key rows
    while PostgreSQL's deferred foreign-key checks wait for the attachment at commit, and a concurrent
    version_create (attachment locked, then retiring the key) deadlocks with it. The lock also makes the dedupe
    check of ``_save_request_add`` race-free. Raw SQL, as the statements below: every callback runs them, and the
    ORM spent more CPU building and compiling each than the database takes to run it (docs/performance.md). The
    names are fixed; the key and the id are bound parameters. SQLite has no FOR UPDATE (its writers take the
    whole database, ``transaction_mode`` IMMEDIATE).
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f'SELECT (SELECT k."id" FROM "{DocumentKey._meta.db_table}" k '  # noqa: S608
        f'WHERE k."attachment_id" = a."id" AND k."key" = %s) FROM "{Attachment._meta.db_table}" a WHERE a."id" = %s'
        f"{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, attachment_id])
        found = cursor.fetchone()
    if found is None:
        raise CallbackRejected("no such file", 404)
    key_id: int | None = found[0]
    if key_id is None:
        raise CallbackRejected("the document key was not issued for this attachment", 403)
    return key_id


def _callback_event_add(*, attachment_id: int, callback: Callback) -> None:
    """The audit row of a verified callback (one INSERT; values prepared by their fields, as the ORM would)."""
    fields = CallbackEvent._meta
    payload = fields.get_field("payload").get_db_prep_save(_loggable(callback), connection)
    received_at = fields.get_field("received_at").get_db_prep_save(timezone.now(), connection)
    sql = (
        f'INSERT INTO "{fields.db_table}" ("attachment_id", "key", "status", "payload", "received_at") '  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [attachment_id, callback.key, callback.status, payload, received_at])


def _loggable(callback: Callback) -> dict[str, object]:
    # The signed links are short-lived but still grant access to the document: keep their shape, not the query.
    fields = {k: v for k, v in callback.fields.items() if k not in {"url", "changesurl", "token"}}
    fields["has_url"] = bool(callback.url)
    return fields


def _editors_update(key_id: int, callback: Callback) -> None:
    # Status 2 clears the editors together with retiring the key (keys.key_retire_on_final_save).
    if callback.status == 1:
        editors = list(dict.fromkeys(callback.users))
    elif callback.status in {3, 4}:
        editors = []
    else:
        return
    DocumentKey.objects.filter(pk=key_id).update(editors=editors, editors_updated_at=timezone.now())


def _save_request_add(*, attachment_id: int, document_key_id: int, callback: Callback) -> int | None:
    """The id of the save request to enqueue: a new one, or a resent one still waiting; None when already taken.

    A plain SELECT decides, without a savepoint: the caller holds the attachment's lock, and every save request with
    a callback's dedupe key is written here, under the lock of the one attachment that issued its key. Should a
    writer outside this function still make the INSERT hit the unique dedupe key, the IntegrityError (a
    DatabaseError) rolls the callback back, the view answers 503 and the DS resends it, and the resend finds the row.
    """
    dedupe_key = _dedupe_key(callback)
    # Raw SQL for the reason given in _attachment_lock_and_key; the dedupe key is unique, so no order is needed.
    sql = f'SELECT "id", "state" FROM "{SaveRequest._meta.db_table}" WHERE "dedupe_key" = %s'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [dedupe_key])
        existing = cursor.fetchone()
    if existing is not None:
        # A resent callback. If its save is still waiting (the first enqueue may have failed, which is why the
        # DS resent it), hand it back to be enqueued again: the worker's claim keeps it to one version.
        save_request_id, state = existing
        waiting = state == SaveRequest.State.PENDING
        logger.info(
            "duplicate save callback for attachment %s %s", attachment_id, "re-enqueued" if waiting else "ignored"
        )
        return save_request_id if waiting else None
    return SaveRequest.objects.create(
        attachment_id=attachment_id,
        document_key_id=document_key_id,
        callback_status=callback.status,
        dedupe_key=dedupe_key,
        url=callback.url,
        changes_url=callback.changes_url,
        filetype=callback.filetype,
        history=callback.history,
        users=callback.users,
        actions=callback.actions,
        lastsave=callback.lastsave,
        forcesave_type=callback.forcesave_type,
        not_modified=callback.not_modified,
        editor_id=user_id_for_uid(callback.last_user),
    ).pk


# --- sending it to a worker, who claims it -------------------------------------------------------------------------


# The save task (connector/tasks.py), sent by its name: that module imports this one, so this one must not import
# it. The name is pinned there; queued messages and the sweep's resends name it.
SAVE_TASK = "connector.tasks.save_document"


class EnqueueFailed(Exception):
    """The save request is recorded but the broker did not take the task."""


def save_request_enqueue(save_request_id: int) -> None:
    """Send the save task for the request. Raises ``EnqueueFailed`` when the broker refuses it.

    The request stays pending in the database either way: the callback then answers with an error, so the DS sends
    it again and the duplicate is enqueued once the broker is back, and the sweep resends what waits too long.
    """
    try:
        current_app.tasks[SAVE_TASK].delay(save_request_id)
    except Exception as exc:
        logger.exception("save request %s recorded but not enqueued", save_request_id)
        raise EnqueueFailed(str(save_request_id)) from exc


def save_request_claim(*, save_request_id: int) -> SaveRequest | None:
    """Take the save request for this worker (pending → saving). None when someone else has it or it is done."""
    claimed = SaveRequest.objects.filter(pk=save_request_id, state=SaveRequest.State.PENDING).update(
        state=SaveRequest.State.SAVING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None
    return SaveRequest.objects.select_related("attachment", "document_key", "editor").get(pk=save_request_id)


# --- storing it ----------------------------------------------------------------------------------------------------


def save_request_store(
    *, save_request: SaveRequest, recovered: bool = False, comment: str | None = None
) -> Version | None:
    """Download the edited file from the DS and store it as a new version, with its changes and history.

    All-or-nothing: the version, its edit info and the request marked saved commit together; any file
    written before a failure is deleted. Raises docserver.DocServerError (``transient`` says if worth a retry).
    ``recovered`` flags a file fetched again through getForgotten (connector/forgotten.py).
    """
    if _earlier_save_unfinished(save_request):
        raise EarlierSaveUnfinished()
    cfg = ds_settings.current()
    attachment = save_request.attachment
    unchanged = _unchanged_since_forcesave(save_request)
    if unchanged is not None:
        _mark_saved_as(save_request, unchanged)
        return unchanged
    changes_name = _changes_store(save_request, cfg)
    try:
        with _edited_file(save_request, cfg) as chunks:
            version = version_create(
                attachment=attachment,
                chunks=chunks,
                source=VersionSource.FORCESAVE if save_request.callback_status == 6 else VersionSource.EDITOR,
                created_by=save_request.editor,
                comment=comment or _comment(save_request),
                max_size=cfg.max_edit_size,
                before_commit=lambda version: _mark_saved(save_request, version, changes_name, recovered=recovered),
            )
    except BaseException:
        if changes_name:
            delete_quietly(changes_name)
        raise
    return version


class EarlierSaveUnfinished(docserver.DocServerError):
    """An earlier save of the same editing session is not stored yet: this one must wait for it."""

    def __init__(self) -> None:
        super().__init__(gettext("An earlier save of this editing session is still being stored."), transient=True)


def _earlier_save_unfinished(save_request: SaveRequest) -> bool:
    """Whether a save the DS sent earlier for this session (a forcesave, say) is still pending or being stored.

    A session's saves are stored in the order the DS sent them. With several workers, a final save taken while
    the forcesave before it is still downloading would otherwise be numbered first, and the forcesave's older
    content would become the current version; and a final save flagged ``notmodified`` would not yet see the
    forcesave it repeats, and store a second copy (as bench/load.py once saw with two workers).
    """
    return SaveRequest.objects.filter(
        document_key_id=save_request.document_key_id,
        pk__lt=save_request.pk,
        state__in=(SaveRequest.State.PENDING, SaveRequest.State.SAVING),
    ).exists()


def _unchanged_since_forcesave(save_request: SaveRequest) -> Version | None:
    """A final save flagged ``notmodified`` repeats this session's last forcesave: no second copy."""
    if save_request.callback_status != 2 or not save_request.not_modified:
        return None
    latest = save_request.attachment.versions.order_by("-number").select_related("edit_info").first()
    info = getattr(latest, "edit_info", None) if latest is not None else None
    if latest is None or latest.source != VersionSource.FORCESAVE or info is None:
        return None
    return latest if info.document_key == save_request.document_key.key else None


def _mark_saved_as(save_request: SaveRequest, version: Version) -> None:
    SaveRequest.objects.filter(pk=save_request.pk).update(state=SaveRequest.State.SAVED, version=version, last_error="")


def _comment(save_request: SaveRequest) -> str:
    if save_request.callback_status == 3:
        return "Recovered after a save error reported by the Document Server"
    if save_request.callback_status == 6:
        return "Saved while editing"
    return "Edited in ONLYOFFICE"


def _mark_saved(save_request: SaveRequest, version: Version, changes_name: str, *, recovered: bool = False) -> None:
    history = save_request.history or {}
    # Inside the numbering transaction: the version before this one is final, so the race is judged right.
    conflict_with = conflict_apply(key=save_request.document_key, version=version)
    EditedVersion.objects.create(
        version=version,
        document_key=save_request.document_key.key,
        changes_file=changes_name,
        history=save_request.history,
        server_version=str(history.get("serverVersion", ""))[:32],
        recovered=recovered or save_request.callback_status == 3,
        conflict_with=conflict_with,
    )
    _mark_saved_as(save_request, version)


def _changes_store(save_request: SaveRequest, cfg: ds_settings.DocServerConfig) -> str:
    if not save_request.changes_url:
        return ""
    with docserver.open_file(save_request.changes_url, max_size=cfg.max_edit_size, cfg=cfg) as chunks:
        stored = store_chunks(
            chunks,
            name=storage_name_for(space_id=save_request.attachment.space_id, title="changes.zip"),
            max_size=cfg.max_edit_size,
        )
    return stored.name


def _url_in_attachment_format(save_request: SaveRequest, cfg: ds_settings.DocServerConfig) -> str:
    """The DS returns OOXML unless told otherwise; convert back so an .odt stays an .odt."""
    wanted = save_request.attachment.file_type
    returned = save_request.filetype
    if not returned or not wanted or returned == wanted or formats.format_for(wanted) is None:
        return save_request.url
    if not docserver.is_docserver_url(save_request.url, cfg):
        # The DS would download the url for us: check it before handing it on, as open_file does (SSRF).
        raise docserver.UnsafeUrl(gettext("Refused to download a file that is not on the configured Document Server."))
    result = docserver.convert_and_wait(
        url=save_request.url,
        filetype=returned,
        outputtype=wanted,
        key=f"save_{save_request.document_key.key}_{save_request.pk}"[:128],
        cfg=cfg,
    )
    return result.file_url or ""


@contextmanager
def _edited_file(save_request: SaveRequest, cfg: ds_settings.DocServerConfig) -> Iterator[Iterable[bytes]]:
    url = _url_in_attachment_format(save_request, cfg)
    with docserver.open_file(url, max_size=cfg.max_edit_size, cfg=cfg) as chunks:
        if url == save_request.url:
            yield chunks  # the DS's own file, in the attachment's format already
            return
        # Converted back (an edited .odt returned as .docx): stored only if it really is the attachment's format.
        with verified_chunks(
            chunks, expected_ext=save_request.attachment.file_type, label=f"save request {save_request.pk}"
        ) as checked:
            yield checked


# --- when it fails: release for a retry, fail for good, Retry ------------------------------------------------------


def save_request_release(*, save_request_id: int, error: str) -> None:
    """Give a claimed request back (saving → pending) so a retry can claim it again."""
    SaveRequest.objects.filter(pk=save_request_id, state=SaveRequest.State.SAVING).update(
        state=SaveRequest.State.PENDING, last_error=error[:2000]
    )


_FINAL_STATES = (SaveRequest.State.SAVED, SaveRequest.State.FAILED, SaveRequest.State.LOST)


def save_request_fail(*, save_request_id: int, error: str, lost: bool = False, notify: bool = True) -> bool:
    """Mark the save failed for good; the attachment shows it to its editors. True if it was not failed yet.

    ``lost``: the DS no longer has the file, so nothing can store it (state ``lost``, no Retry). ``notify``: tell the
    space's admins by e-mail (connector/emails.py), once per failure.
    """
    state = SaveRequest.State.LOST if lost else SaveRequest.State.FAILED
    failed = (
        SaveRequest.objects.filter(pk=save_request_id)
        .exclude(state__in=_FINAL_STATES)
        .update(state=state, last_error=error[:2000])
    )
    logger.error("save request %s %s for good: %s", save_request_id, "lost" if lost else "failed", error[:500])
    if failed == 1 and notify:
        emails.failure_notify(save_request_id=save_request_id)
    return failed == 1


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


def save_request_retry_undo(*, save_request: SaveRequest, error: str) -> None:
    """The broker refused the retry's task: show the request failed again, so Retry stays offered."""
    SaveRequest.objects.filter(pk=save_request.pk, state=SaveRequest.State.PENDING).update(
        state=SaveRequest.State.FAILED, last_error=error[:2000]
    )
