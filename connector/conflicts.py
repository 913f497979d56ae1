"""Conflicts of ONLYOFFICE's saves: a save on a key whose base version is no longer the newest is still stored.

The rule is the store's (attachments/conflicts.py); here, what a key's base is and which versions are its own. The
new version is marked (``EditedVersion.conflict_with``) and the attachment pages show "Conflicting edits"
(connector/display.py). The save (connector/services.py) asks ``conflict_apply`` inside the numbering transaction.
"""

from __future__ import annotations

from attachments import conflicts
from attachments.conflicts import Conflict
from attachments.models import Version, VersionSource
from connector.models import DocumentKey, EditedVersion


def conflict_of(*, key: DocumentKey, version: Version) -> Conflict | None:
    """The version this save raced, if any (attachments.conflicts' rule). Call inside version_create's transaction
    (the row is locked). The session's own forcesaves of this same key are no conflict."""

    def own(previous: Version) -> bool:
        if previous.source != VersionSource.FORCESAVE:
            return False
        return EditedVersion.objects.filter(version=previous, document_key=key.key).exists()

    return conflicts.raced(version, base=key.base_version, own=own)


def conflict_apply(*, key: DocumentKey, version: Version) -> int | None:
    """Mark the new version's comment when it is a conflict; returns the number it raced (for EditedVersion)."""
    conflict = conflict_of(key=key, version=version)
    if conflict is None:
        return None
    conflicts.mark(version, conflict)
    return conflict.number
