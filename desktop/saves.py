"""A PUT from a desktop app, stored as the file's next version.

The body is spooled to a temporary file as it arrives (flat memory, the upload limit enforced while it streams,
its sha256 taken on the way), then handed to the store's ``version_create`` like every other version: source
"Desktop", the user as author, all-or-nothing. Bytes equal to the current version add nothing (an app that saves
without changes, or saves twice), and neither does an empty body.

Inside the numbering transaction, with the file's row locked, the save is checked once more against the locks:
a save through a lock that has ended (broken by an admin, taken over, expired) is refused, never merged; a save
without a lock is refused while someone else holds the file. A save that follows a version its app never saw (an
ONLYOFFICE save raced it) is kept and marked a conflict, as ONLYOFFICE's own conflicts are.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from attachments import conflicts
from attachments.display import filesize
from attachments.editing import exclusive_hold
from attachments.models import Attachment, Version, VersionSource
from attachments.services import version_create
from attachments.storage import CHUNK_SIZE
from attachments.users import User
from desktop import locks
from desktop.links import Link
from desktop.models import DesktopLock, DesktopSave

# The spool keeps this much in memory, then moves to a temporary file on disk.
_IN_MEMORY = 1024 * 1024


class SaveRefused(Exception):
    def __init__(self, message: str, *, locked: bool = True) -> None:
        super().__init__(message)
        self.message = message
        # 423 Locked when a lock is in the way; 412 when the save's own lock has ended.
        self.locked = locked


class TooLarge(Exception):
    pass


class Spool:
    """Where WsgiDAV writes the PUT body: a temporary file, its size and sha256, the upload limit enforced."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = settings.ATTACHMENTS_MAX_UPLOAD_SIZE if limit is None else limit
        self.file = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115 - closed by discard()
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(
                _("The file is larger than the upload limit of %(limit)s.") % {"limit": filesize(self.limit)}
            )
        self._digest.update(data)
        return self.file.write(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        """The body is complete (WsgiDAV closes what it wrote to); the data stays until ``discard``."""
        self.file.flush()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def chunks(self) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(CHUNK_SIZE):
            yield chunk

    def discard(self) -> None:
        self.file.close()


def desktop_save(
    *, attachment: Attachment, user: User, link: Link, lock_tokens: list[str], spool: Spool
) -> Version | None:
    """Store the spooled body as the next version, or None when it equals the current one. SaveRefused when the
    locks say no (module docstring); nothing is stored then."""
    current = Version.objects.filter(attachment=attachment, number=attachment.current_version).first()
    if current is not None and current.sha256 == spool.sha256 and current.size == spool.size:
        return None
    if spool.size == 0:
        # Some WebDAV clients PUT an empty body before the real one; an empty document is never what was typed.
        return None
    lock = _own_lock(attachment, user, lock_tokens)

    def check_and_record(version: Version) -> None:
        _check_locks(attachment, user, link, lock_tokens, lock)
        base = lock.base_version if lock is not None else link.version
        conflict = _conflict_of(version, base=base, lock=lock, link=link)
        if conflict is not None:
            conflicts.mark(version, conflict)
        DesktopSave.objects.create(
            version=version,
            link_hash=link.digest,
            lock_token=lock.token if lock is not None else "",
            conflict_with=conflict.number if conflict is not None else None,
        )
        if lock is not None:
            DesktopLock.objects.filter(pk=lock.pk).update(base_version=version.number)

    return version_create(
        attachment=attachment,
        chunks=spool.chunks(),
        source=VersionSource.DESKTOP,
        created_by=user,
        max_size=spool.limit,
        before_commit=check_and_record,
    )


def _own_lock(attachment: Attachment, user: User, lock_tokens: list[str]) -> DesktopLock | None:
    """The lock this PUT was made under (its If: header named it), whether or not it is still live."""
    if not lock_tokens:
        return None
    return DesktopLock.objects.filter(attachment=attachment, user=user, token__in=lock_tokens).first()


def _check_locks(
    attachment: Attachment, user: User, link: Link, lock_tokens: list[str], lock: DesktopLock | None
) -> None:
    """Called with the file's row locked, so no lock can be granted or broken meanwhile."""
    if lock_tokens:
        live = lock is not None and locks.live().filter(pk=lock.pk).exists()
        if not live:
            raise SaveRefused(_ended_message(lock), locked=False)
        return
    broken = locks.broken_through(link.digest)
    if broken is not None:
        raise SaveRefused(_ended_message(broken), locked=False)
    hold = exclusive_hold(attachment, except_user_id=user.pk)
    if hold is not None:
        raise SaveRefused(hold.sentence)


def _ended_message(lock: DesktopLock | None) -> str:
    if lock is not None and lock.broken_at is not None:
        return _(
            "Your lock on this file was broken, so this save was refused. Save your copy locally, then upload it "
            "as a new version."
        )
    return _("Your lock on this file has ended, so this save was refused. Open the file again from the site.")


def _conflict_of(version: Version, *, base: int, lock: DesktopLock | None, link: Link) -> conflicts.Conflict | None:
    """The store's rule (attachments/conflicts.py); this app's own earlier saves are those through the same link
    and lock."""

    def own(previous: Version) -> bool:
        token = lock.token if lock is not None else ""
        return DesktopSave.objects.filter(version=previous, lock_token=token, link_hash=link.digest).exists()

    return conflicts.raced(version, base=base, own=own)
