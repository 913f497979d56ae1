"""Desktop locks: taken, refreshed, released and broken, and what the store learns of them (attachments.editing).

A lock is granted under the file's row lock, after checking every other hold on it: another person's desktop lock
or a live ONLYOFFICE session refuses it (LockRefused names who holds the file), so two web processes can never
grant two. It lasts the timeout the app asked for, within LOCK_SECONDS, and ends unless the app refreshes it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.display import user_name
from attachments.editing import Hold, holds_on
from attachments.models import Attachment
from attachments.users import User
from desktop.models import DesktopLock

APP = "desktop"
# The timeouts granted: Word asks for an hour and refreshes; a crashed app's lock frees the file within the hour.
LOCK_SECONDS = (60, 3600)
# How long a broken lock stays as a row after it ended, so that its owner's save is refused with the reason.
BROKEN_KEPT = timedelta(days=2)


class LockRefused(Exception):
    """Someone else holds the file; ``hold`` says who and where."""

    def __init__(self, hold: Hold) -> None:
        super().__init__(hold.sentence)
        self.hold = hold


def granted_timeout(asked: int | None) -> int:
    """The seconds granted for a lock the app asked ``asked`` for (None or negative: "Infinite")."""
    low, high = LOCK_SECONDS
    if asked is None or asked < 0:
        return high
    return max(low, min(high, asked))


def live(attachments: QuerySet[Attachment] | None = None) -> QuerySet[DesktopLock]:
    locks = DesktopLock.objects.filter(broken_at__isnull=True, expires_at__gt=timezone.now())
    return locks if attachments is None else locks.filter(attachment__in=attachments)


def live_probe() -> tuple[str, list[object]]:
    """attachments.editing's probe: whether a live lock is on the outer query's attachment row, as SQL.

    Raw SQL with fixed names and a bound time: read on every view of the editor page, where the ORM would spend
    more CPU compiling an Exists() than the database takes to run it (docs/performance.md). The same condition as
    ``live``: not broken, not expired.
    """
    table, attachments = DesktopLock._meta.db_table, Attachment._meta.db_table
    sql = (
        f'EXISTS(SELECT 1 FROM "{table}" l WHERE l."attachment_id" = "{attachments}"."id" '  # noqa: S608
        'AND l."broken_at" IS NULL AND l."expires_at" > %s)'
    )
    # Prepared as the field prepares it: SQLite compares the stored text, which has no time zone.
    now = DesktopLock._meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection)
    return sql, [now]


def live_through(*, attachment: Attachment, user: User, link_digest: str) -> QuerySet[DesktopLock]:
    """The user's live lock on the file taken through this link (desktop.links.Link.digest): it keeps the link
    working past its first minutes, and names the lock of the app's writes that name none."""
    return live().filter(attachment=attachment, user=user, link_hash=link_digest)


def lock_create(
    *, attachment_id: int, user_id: int, link_digest: str, owner: str, scope: str, timeout: int | None
) -> DesktopLock:
    """A new lock for this user, or LockRefused when anybody else holds the file (any app), or the user has it
    open in ONLYOFFICE.

    The user's own earlier desktop lock is taken over: they opened the file again (after a crash, say), and the
    newest click wins. The old lock ends as if broken, so an app still holding it cannot save over the new one.
    """
    seconds = granted_timeout(timeout)
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
        for hold in holds_on(attachment):
            if hold.app != APP or hold.user_ids != {user_id}:
                raise LockRefused(hold)
        live().filter(attachment=attachment, user_id=user_id).update(broken_at=timezone.now(), broken_by_id=user_id)
        return DesktopLock.objects.create(
            attachment=attachment,
            user_id=user_id,
            token=f"opaquelocktoken:{uuid.uuid4()}",
            link_hash=link_digest,
            owner=owner,
            scope=scope,
            timeout=seconds,
            expires_at=timezone.now() + timedelta(seconds=seconds),
            base_version=attachment.current_version,
        )


def lock_refresh(*, token: str, timeout: int | None) -> DesktopLock | None:
    """The lock with its new expiry, or None when it has ended (expired, released or broken)."""
    seconds = granted_timeout(timeout)
    lock = live().filter(token=token).first()
    if lock is None:
        return None
    lock.timeout = seconds
    lock.expires_at = timezone.now() + timedelta(seconds=seconds)
    lock.save(update_fields=["timeout", "expires_at"])
    return lock


def lock_release(*, token: str) -> None:
    """UNLOCK: the lock ends. A broken lock stays until the sweep, for its owner's next save to be told."""
    DesktopLock.objects.filter(token=token, broken_at__isnull=True).delete()


def lock_break(*, attachment: Attachment, broken_by: User) -> list[DesktopLock]:
    """End the live locks on the file now (an admin's doing). Their owners' next saves are refused, not merged."""
    with transaction.atomic():
        locks = list(live().select_for_update().filter(attachment=attachment).select_related("user"))
        DesktopLock.objects.filter(pk__in=[lock.pk for lock in locks]).update(
            broken_at=timezone.now(), broken_by=broken_by
        )
    return locks


def broken_through(link_digest: str) -> DesktopLock | None:
    """The broken lock taken through this link, if any: the app that held it may not write through the link again,
    with or without a lock token. A fresh link (a new click, after the break) works."""
    return DesktopLock.objects.filter(link_hash=link_digest, broken_at__isnull=False).order_by("-broken_at").first()


def locks_sweep() -> int:
    """Delete locks that ended: expired ones at once, broken ones after BROKEN_KEPT. Returns how many."""
    now = timezone.now()
    ended = DesktopLock.objects.filter(broken_at__isnull=True, expires_at__lte=now)
    deleted, _rows = ended.delete()
    old_broken, _rows = DesktopLock.objects.filter(broken_at__lte=now - BROKEN_KEPT).delete()
    return deleted + old_broken


def desktop_holds(attachments: QuerySet[Attachment]) -> dict[int, list[Hold]]:
    """attachments.editing's provider: the files held by a live desktop lock, and by whom (one query)."""
    holds: dict[int, list[Hold]] = {}
    for lock in live(attachments).select_related("user"):
        name = user_name(lock.user)
        holds.setdefault(lock.attachment_id, []).append(
            Hold(
                app=APP,
                names=(name,),
                user_ids=frozenset({lock.user_id}),
                exclusive=True,
                sentence=_("%(name)s is editing this in a desktop app.") % {"name": name},
            )
        )
    return holds
