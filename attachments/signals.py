"""Signals other apps listen to, so that the attachment store never imports them."""

from django.dispatch import Signal

# Sent after the transaction that stored a new version commits.
# Arguments: attachment_id: int, version_id: int, number: int, source: str.
version_stored = Signal()
