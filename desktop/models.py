"""Desktop locks and the versions saved through them.

A lock is what Word or LibreOffice takes over WebDAV when it opens a file for editing: the whole file is written
back on each save, so while one is held nobody else may store a version (attachments.editing: an exclusive hold).
Locks live in the database, so that every web process and machine sees the same ones, and expire unless the app
refreshes them. A broken lock (an admin's doing) stays as a row until the sweep, so that its owner's next save is
refused with the reason rather than merged.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from attachments.models import Attachment, Version


class DesktopLock(models.Model):
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The WebDAV lock token the app sends back in If: headers ("opaquelocktoken:<uuid>"): a secret of the lock.
    token = models.CharField(max_length=100, unique=True)
    # The sha256 of the link (desktop.links) the lock was taken through: the link keeps working while it is held.
    link_hash = models.CharField(max_length=64, db_index=True)
    # The <owner> element the app sent, kept as it came (WebDAV asks servers to hand it back unchanged).
    owner = models.TextField(blank=True)
    scope = models.CharField(max_length=10, default="exclusive")
    timeout = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    # The version the app opened: a save that follows another writer's version is kept and marked a conflict.
    base_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["attachment", "expires_at"], name="desktop_lock_live")]

    def __str__(self) -> str:
        return f"desktop lock on {self.attachment_id} by {self.user_id}"


class DesktopSave(models.Model):
    """A version stored from a desktop app: which link and lock it came through, and what it raced, if anything."""

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="desktop_save")
    link_hash = models.CharField(max_length=64)
    lock_token = models.CharField(max_length=100, blank=True)
    # The number of the version this save followed without having seen it (desktop.saves): both are kept.
    conflict_with = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"desktop save {self.version_id}"
