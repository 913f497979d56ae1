"""The connector's entries in the attachment list: "Edit in ONLYOFFICE" or "View in ONLYOFFICE"."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.actions import Action
from attachments.models import Attachment, Role
from attachments.permissions import can_edit
from connector import config, formats


def editor_row_actions(request: HttpRequest, attachment: Attachment, role: Role) -> Iterable[Action]:
    """Called once per row: uses only the cached settings and the format table, never the database."""
    cfg = config.current()
    if not cfg.configured or not formats.can_view(attachment.file_type):
        return []
    url = reverse("onlyoffice-editor", args=[attachment.pk])
    if can_edit(role) and formats.can_edit_in_place(attachment.file_type, cfg.lossy_edit):
        return [Action(label=_("Edit in ONLYOFFICE"), url=url, icon="edit", new_tab=True, primary=True)]
    return [Action(label=_("View in ONLYOFFICE"), url=f"{url}?mode=view", icon="view", new_tab=True)]
