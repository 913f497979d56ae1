"""Conflicts: a save on a key whose base version is no longer the newest is still stored, both are kept.

The new version is marked (``EditedVersion.conflict_with``) and its comment says what it raced ("Edited from version
3 while version 4 was uploaded"); the attachment pages show "Conflicting edits" (connector/display.py). The save
(connector/services.py) asks ``conflict_apply`` inside the numbering transaction, so concurrent saves are judged
against the number they really follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from attachments.models import Version, VersionSource
from connector.models import DocumentKey

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
