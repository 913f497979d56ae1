"""Share links: one file, opened by anyone who has the link, with the link's access (connector.editor.Access).

The link's secret is shown once, when it is made; only its sha256 is stored, so a copy of the database opens
nothing. A password, when set, is stored as Django stores passwords.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from attachments.models import Attachment


class LinkAccess(models.TextChoices):
    # In increasing power, as connector.editor.ACCESS_MODES.
    VIEW = "view", _("View")
    # A context of its own: "Comment" is also a version's comment (a noun); here it is what the link lets one do.
    COMMENT = "comment", pgettext_lazy("share access", "Comment")
    REVIEW = "review", _("Review")
    FILL = "fill", _("Fill in")
    EDIT = "edit", _("Edit")


class ShareLink(models.Model):
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="+")
    access = models.CharField(max_length=10, choices=LinkAccess.choices)
    secret_hash = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(access__in=LinkAccess.values), name="sharelink_access_valid")
        ]

    def __str__(self) -> str:
        return f"{self.access} link to {self.attachment_id}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class Guest(models.Model):
    """Someone who opened a share link without being a member of the file's space: an account of their own
    (attachments.users.is_guest: it cannot sign in), named as they asked, bound to the one link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_guest")
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="guests")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"guest {self.user_id} of link {self.link_id}"
