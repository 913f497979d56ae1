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
