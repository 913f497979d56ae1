"""Document templates: files a new document starts as a copy of ("New document", ``POST /api/attachments/``).

A template with no space is offered in every space (staff manage those); one with a space only there (its admins
manage it). The stored file is only ever read: using a template copies its bytes into a new attachment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attachments.models import Space


class TemplateType(models.TextChoices):
    DOCX = "docx", _("Document")
    XLSX = "xlsx", _("Spreadsheet")
    PPTX = "pptx", _("Presentation")
    PDF = "pdf", _("PDF form")


class DocumentTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(max_length=500)
    file_type = models.CharField(max_length=8, choices=TemplateType.choices)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # None: offered in every space.
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # A language code of settings.LANGUAGES, or "" for any; "New document" lists the user's language first.
    language = models.CharField(_("language"), max_length=8, blank=True)
    thumbnail = models.FileField(max_length=500, blank=True)
    # Shipped with the product (doctemplates/builtin/), installed by `manage.py doctemplates install` under this key.
    builtin_key = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin_key"], condition=~models.Q(builtin_key=""), name="doctemplates_unique_builtin_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def builtin(self) -> bool:
        return bool(self.builtin_key)


class DismissedBuiltin(models.Model):
    """A shipped template someone deleted: ``doctemplates install`` leaves it out from then on, so a deletion
    sticks; ``doctemplates restore`` forgets the dismissal and installs it again."""

    key = models.CharField(max_length=100, unique=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deleted shipped template")
        verbose_name_plural = _("deleted shipped templates")

    def __str__(self) -> str:
        return self.key
