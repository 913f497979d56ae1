"""The attachment store's refusals: a write that breaks one of its rules raises one of these.

Each carries a ``message`` fit to show the user (already translated): the pages show it as a form error, the
API answers it as a 400, the connector's editor endpoints as their JSON error.
"""

from __future__ import annotations


class AttachmentRuleError(Exception):
    """A write the attachment store refuses; nothing was stored or changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExtensionChange(AttachmentRuleError):
    """A rename would change (or add, or drop) the file's extension, and with it the file's type."""


class FileTypeMismatch(AttachmentRuleError):
    """A new version's file is not of the attachment's type (its name has another extension)."""


class SpaceNameMismatch(AttachmentRuleError):
    """A space was to be deleted without its name typed exactly: the confirmation that guards a final delete."""


class SpaceBeingEdited(AttachmentRuleError):
    """A file of the space is open in an editor; deleting it would pull the file from under its editors."""

    def __init__(self, message: str, titles: list[str]) -> None:
        super().__init__(message)
        self.titles = titles


class BeingEdited(AttachmentRuleError):
    """The file is open in an editor: it cannot go to the trash until the session ends (attachments.trash)."""


class NotInTrash(AttachmentRuleError):
    """The file is no longer in the trash: someone restored or purged it meanwhile."""


class FileHeld(AttachmentRuleError):
    """Someone else holds the file exclusively (a desktop app has it locked): a write now would be overwritten by
    their next save, or overwrite it (attachments.editing)."""
