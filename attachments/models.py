"""The attachment store: spaces with members, attachments in spaces, and their numbered versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from attachments import filenames


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    # Reads, and comments in the editor; the document itself stays as it is.
    COMMENTER = "commenter", _("Commenter")
    # Every change is a tracked change that an editor accepts or rejects.
    REVIEWER = "reviewer", _("Reviewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")


# Roles in increasing order of power: a role includes every capability of the ones before it.
ROLE_RANK = {Role.VIEWER: 1, Role.COMMENTER: 2, Role.REVIEWER: 3, Role.EDITOR: 4, Role.ADMIN: 5}


class Space(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="spaces")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "user"], name="membership_unique_user_per_space"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.space} ({self.role})"


class Attachment(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=255)
    # Denormalised from the versions so that the list needs no aggregate and writers have a row to lock.
    current_version = models.PositiveIntegerField(default=0)
    size = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # Set while the file is in its space's trash (attachments.trash): out of every list, its files still stored.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            # The space page: its filter and its COUNT(*) read this index alone; its order, by lower(title), comes from
            # the unique constraint's index below (attachments.selectors.in_name_order).
            models.Index(
                fields=["space", "title", "id"],
                condition=models.Q(current_version__gte=1, deleted_at__isnull=True),
                name="attachment_space_listed",
            ),
            # The trash pages and the sweep read only the few trashed rows.
            models.Index(
                fields=["deleted_at"], condition=models.Q(deleted_at__isnull=False), name="attachment_trashed"
            ),
        ]
        constraints = [
            # One name per space, whatever its case (attachments.services gives a taken name a number). A file in the
            # trash holds no name: restoring it into a name taken meanwhile numbers it (attachments.trash).
            models.UniqueConstraint(
                "space",
                Lower("title"),
                condition=models.Q(deleted_at__isnull=True),
                name="attachment_unique_title_per_space",
                violation_error_message=_("The space already has a file of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def file_type(self) -> str:
        """The lower-case extension without the dot ("docx"), or "" when the title has none."""
        return filenames.file_type(self.title)


class VersionSource(models.TextChoices):
    # A context of their own: "Editor" here is the ONLYOFFICE editor, not the role, and German needs nouns.
    UPLOAD = "upload", pgettext_lazy("version source", "Upload")
    EDITOR = "editor", pgettext_lazy("version source", "Editor")
    FORCESAVE = "forcesave", pgettext_lazy("version source", "Forcesave")
    RESTORE = "restore", pgettext_lazy("version source", "Restore")
    CONVERSION = "conversion", pgettext_lazy("version source", "Conversion")
    # Saved from Word, Excel, PowerPoint or LibreOffice over WebDAV (the desktop app).
    DESKTOP = "desktop", pgettext_lazy("version source", "Desktop")


class ThumbnailState(models.TextChoices):
    """Where a version's first-page picture stands (made by the connector; attachments/thumbnails.py stores it)."""

    NONE = "none", pgettext_lazy("thumbnail state", "None")
    PENDING = "pending", pgettext_lazy("thumbnail state", "Pending")
    READY = "ready", pgettext_lazy("thumbnail state", "Ready")
    FAILED = "failed", pgettext_lazy("thumbnail state", "Failed")


class Version(models.Model):
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(max_length=500)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=16, choices=VersionSource.choices, default=VersionSource.UPLOAD)
    comment = models.CharField(max_length=500, blank=True)
    # A PNG of the first page, stored beside the file; a FileField, so deleting the row frees it like the file.
    thumbnail = models.FileField(max_length=500, blank=True)
    thumbnail_state = models.CharField(max_length=8, choices=ThumbnailState.choices, default=ThumbnailState.NONE)

    class Meta:
        ordering = ["attachment", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["attachment", "number"], name="version_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(condition=models.Q(source__in=VersionSource.values), name="version_source_valid"),
            models.CheckConstraint(
                condition=models.Q(thumbnail_state__in=ThumbnailState.values), name="version_thumbnail_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attachment} v{self.number}"

    @property
    def stored_name(self) -> str:
        """The file's name in storage. Every saved version has one: its file is written before its row."""
        name = self.file.name
        assert name, "a version without a stored file"
        return name
