"""Signals other apps listen to, so that the attachment store never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that stores a new version, so receivers' writes commit (or roll back) with it.
# Arguments: attachment_id: int, version_id: int, number: int, source: str.
version_stored = Signal()
