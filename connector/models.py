"""What the connector keeps: its settings, the document keys it issued, who is editing, and save requests.

The attachment store knows none of this; everything here points at ``attachments`` models, never back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attachments.models import Attachment, Space, Version


class ConnectorSettings(models.Model):
    """The one row of Document Server settings (pk=1). Blank fields fall back to ONLYOFFICE_* variables.

    Read through ``connector.ds_settings.current()``, which caches it where every process sees a change at once.
    """

    public_url = models.CharField(_("Document Server URL (public)"), max_length=500, blank=True)
    internal_url = models.CharField(_("Document Server URL (internal)"), max_length=500, blank=True)
    connector_url = models.CharField(_("Connector URL"), max_length=500, blank=True)
    jwt_secret = models.CharField(_("JWT secret"), max_length=500, blank=True)
    jwt_header = models.CharField(_("JWT header"), max_length=100, blank=True)
    # None means "not set here": the environment (or the default, on) decides.
    verify_tls = models.BooleanField(_("Verify TLS certificates"), null=True, blank=True)
    # Everything else the admin page edits (forcesave, lossy formats, customization, ...), as JSON.
    options = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ONLYOFFICE settings")
        verbose_name_plural = _("ONLYOFFICE settings")

    def __str__(self) -> str:
        return "ONLYOFFICE settings"


class EditorIdentity(models.Model):
    """The stable, opaque id a user has in the Document Server (``editorConfig.user.id``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editor_identity")
    uid = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return self.uid


class DocumentKey(models.Model):
    """A document key issued for an attachment. The live one (retired_at is null) is shared by every
    editor who opens the attachment; storing a version (except a forcesave) retires it."""

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="document_keys")
    key = models.CharField(max_length=128, unique=True)
    # The version the editors started from: a save on this key over a newer version is a conflict.
    base_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # Who is editing now (EditorIdentity uids), from status 1/4/2 callbacks.
    editors = models.JSONField(default=list, blank=True)
    editors_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attachment"], condition=models.Q(retired_at__isnull=True), name="documentkey_one_live"
            )
        ]

    def __str__(self) -> str:
        return self.key


class SaveRequest(models.Model):
    """A save the Document Server asked for (status 2, 3 with a url, or 6): the transactional outbox.

    Recorded in the callback's transaction; a worker claims it with a conditional update
    (pending → saving) and stores the file as a version; a sweep re-enqueues the stuck ones.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SAVING = "saving", _("Saving")
        SAVED = "saved", _("Saved")
        FAILED = "failed", _("Failed")
        # Failed for good with nothing left to fetch: the DS discarded the file (its link expired, and it keeps
        # no forgotten copy once we answered {"error":0}). Retry cannot work, so it is not offered.
        LOST = "lost", _("Lost")

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="save_requests")
    # RESTRICT, not PROTECT: a key with save requests is never deleted on its own, but a deleted file (or space) takes
    # its keys and their save requests together; PROTECT refused that cascade with a ProtectedError.
    document_key = models.ForeignKey(DocumentKey, on_delete=models.RESTRICT, related_name="save_requests")
    callback_status = models.PositiveSmallIntegerField()
    # Duplicated callbacks (the DS retries and resends) map to the same value: one version at most.
    dedupe_key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    url = models.TextField(blank=True)
    changes_url = models.TextField(blank=True)
    filetype = models.CharField(max_length=16, blank=True)
    history = models.JSONField(null=True, blank=True)
    users = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    lastsave = models.CharField(max_length=64, blank=True)
    forcesave_type = models.PositiveSmallIntegerField(null=True, blank=True)
    not_modified = models.BooleanField(default=False)
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"], name="saverequest_state_updated")]

    def __str__(self) -> str:
        return f"save {self.pk} of attachment {self.attachment_id} ({self.state})"


class EditedVersion(models.Model):
    """What the editor left with a version it saved: the key, the changes zip and the history JSON."""

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="edit_info")
    document_key = models.CharField(max_length=128)
    changes_file = models.FileField(max_length=500, blank=True)
    history = models.JSONField(null=True, blank=True)
    server_version = models.CharField(max_length=32, blank=True)
    # Edited from an older version while a newer one arrived from elsewhere; both are kept.
    conflict_with = models.PositiveIntegerField(null=True, blank=True)
    recovered = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"edit info of {self.version_id}"


class CallbackEvent(models.Model):
    """Every verified callback, as received: the audit trail an admin reads when a save goes wrong."""

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="callback_events")
    key = models.CharField(max_length=128)
    status = models.PositiveSmallIntegerField()
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["attachment", "received_at"], name="callbackevent_att_time")]

    def __str__(self) -> str:
        return f"status {self.status} for {self.key}"


class ConversionJob(models.Model):
    """One "Convert to OOXML" or "Download as" request: the DS converts, a worker stores the result.

    Created by ``connector.conversion.conversion_start`` and claimed by a worker with a conditional update
    (pending → running), like a save request. The attachment and the user are kept nullable so that the
    row, and so the sweep that deletes its file, outlives them.
    """

    class Kind(models.TextChoices):
        OOXML = "ooxml", _("Convert to OOXML")
        DOWNLOAD = "download", _("Download as")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    attachment = models.ForeignKey(Attachment, null=True, on_delete=models.SET_NULL, related_name="conversion_jobs")
    version_number = models.PositiveIntegerField()
    # The title when the job started: the result is named after it even if the file is renamed meanwhile.
    source_title = models.CharField(max_length=255)
    input_type = models.CharField(max_length=16)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    output_type = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    percent = models.PositiveSmallIntegerField(default=0)
    error_code = models.SmallIntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # The conversion key: every poll of one conversion repeats it (protocol §5).
    key = models.CharField(max_length=128, unique=True)
    # How the DS reaches this app, taken from the request that started the job: a task has no request.
    connector_base = models.CharField(max_length=500)
    attempts = models.PositiveIntegerField(default=0)
    result_attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_file = models.CharField(max_length=500, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "Is the same conversion already under way?" when a job is started.
            models.Index(fields=["attachment", "requested_by", "state"], name="conversionjob_att_user_state"),
            # The sweep of old download files.
            models.Index(fields=["kind", "created_at"], name="conversionjob_kind_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="conversionjob_percent_max_100"),
        ]

    def __str__(self) -> str:
        return f"conversion {self.pk} to {self.output_type} ({self.state})"


WATERMARK_DEFAULT_TEXT = "{name} · {email} · {date}"
WATERMARK_TEXT_MAX_LENGTH = 200


class SpaceWatermark(models.Model):
    """A space's watermark policy, set by its admins (connector/watermarks.py; no row: off)."""

    space = models.OneToOneField(Space, on_delete=models.CASCADE, primary_key=True, related_name="+")
    enabled = models.BooleanField(default=False)
    # False: only those who open a file for less than editing; True: everyone, editors and admins too.
    everyone = models.BooleanField(default=False)
    # A share link's guests, whatever the link's access.
    share_links = models.BooleanField(default=False)
    text = models.CharField(max_length=WATERMARK_TEXT_MAX_LENGTH, default=WATERMARK_DEFAULT_TEXT)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"watermark of space {self.space_id}"
