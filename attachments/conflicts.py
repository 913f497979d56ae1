"""Conflicts: a version saved from an older one than the newest is still stored, and both are kept.

Every editing app judges its saves by this one rule (ONLYOFFICE's in connector/conflicts.py, the desktop apps' in
desktop/saves.py): the version before the new one is newer than the one the writer opened (its base), and is not
one of the writer's own earlier saves. The new version's comment then says what it raced ("Edited from version 3
while version 4 was uploaded") and the pages show "Conflicting edits" (attachments.actions.conflict_status). Call
inside version_create's numbering transaction (its ``before_commit``), so that the judgement is against the number
the save really follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attachments.models import Version, VersionSource

# How the version a save raced came about, for its comment ("... while version 4 was uploaded").
_SOURCE_VERBS: dict[str, str] = {
    VersionSource.UPLOAD: "uploaded",
    VersionSource.RESTORE: "restored",
    VersionSource.EDITOR: "edited",
    VersionSource.FORCESAVE: "edited",
    VersionSource.CONVERSION: "converted",
    VersionSource.DESKTOP: "saved from a desktop app",
}


@dataclass(frozen=True)
class Conflict:
    number: int
    comment: str


def raced(version: Version, *, base: int, own: Callable[[Version], bool]) -> Conflict | None:
    """The version this new one followed without having seen it, if any. ``own(previous)`` tells the writer's
    own earlier saves (a session's forcesaves, a desktop app's saves under the same lock), which are no conflict."""
    previous_number = version.number - 1
    if previous_number <= base:
        return None
    previous = Version.objects.filter(attachment_id=version.attachment_id, number=previous_number).first()
    if previous is None or own(previous):
        return None
    verb = _SOURCE_VERBS.get(previous.source, "stored")
    return Conflict(previous.number, f"Edited from version {base} while version {previous.number} was {verb}")


def mark(version: Version, conflict: Conflict) -> None:
    """Say in the new version's comment what it raced."""
    version.comment = conflict.comment[:500]
    Version.objects.filter(pk=version.pk).update(comment=version.comment)
