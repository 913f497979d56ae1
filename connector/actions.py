"""The connector's entries in the attachment pages: the editor action and what is going on with each file.

One provider answers for a whole page of rows with two queries at most (attachments.actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats as date_formats
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments.actions import Action, RowExtras, Status
from attachments.models import Attachment, Role
from attachments.permissions import can_edit
from connector import config, formats
from connector.models import DocumentKey, SaveRequest


@dataclass(frozen=True)
class _RowState:
    editors: int = 0
    latest_save: SaveRequest | None = None


def editor_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    cfg = config.current()
    if not cfg.configured:
        return {}
    states = _row_states([attachment.pk for attachment in attachments])
    extras: dict[int, RowExtras] = {}
    for attachment in attachments:
        state = states.get(attachment.pk, _RowState())
        extras[attachment.pk] = RowExtras(
            actions=_editor_actions(attachment, role, cfg),
            statuses=_statuses(state, role),
        )
    return extras


def _editor_actions(attachment: Attachment, role: Role, cfg: config.DocServerConfig) -> list[Action]:
    if not formats.can_view(attachment.file_type):
        return []
    url = reverse("onlyoffice-editor", args=[attachment.pk])
    if can_edit(role) and formats.can_edit_in_place(attachment.file_type, cfg.lossy_edit):
        return [Action(label=_("Edit in ONLYOFFICE"), url=url, icon="edit", new_tab=True, primary=True)]
    return [Action(label=_("View in ONLYOFFICE"), url=f"{url}?mode=view", icon="view", new_tab=True)]


def _row_states(attachment_ids: list[int]) -> dict[int, _RowState]:
    editing = dict(
        DocumentKey.objects.filter(attachment_id__in=attachment_ids, retired_at__isnull=True).values_list(
            "attachment_id", "editors"
        )
    )
    latest_ids = (
        SaveRequest.objects.filter(attachment_id__in=attachment_ids)
        .values("attachment_id")
        .annotate(latest=Max("id"))
        .values_list("latest", flat=True)
    )
    latest = {save.attachment_id: save for save in SaveRequest.objects.filter(id__in=list(latest_ids))}
    return {
        attachment_id: _RowState(editors=len(editing.get(attachment_id) or []), latest_save=latest.get(attachment_id))
        for attachment_id in attachment_ids
    }


def _statuses(state: _RowState, role: Role) -> list[Status]:
    statuses: list[Status] = []
    if state.editors:
        statuses.append(
            Status(ngettext("%(count)d editing", "%(count)d editing", state.editors) % {"count": state.editors})
        )
    save = state.latest_save
    if save is None:
        return statuses
    if save.state in (SaveRequest.State.PENDING, SaveRequest.State.SAVING):
        statuses.append(Status(_("Saving…"), detail=_("The edits are being stored as a new version.")))
    elif save.state == SaveRequest.State.FAILED and can_edit(role):
        # Viewers cannot act on it; editors and admins must know their edits are not in the history.
        statuses.append(Status(_("Save failed"), tone="danger", detail=_failure_detail(save)))
    return statuses


def _failure_detail(save: SaveRequest) -> str:
    when = date_formats.date_format(timezone.localtime(save.created_at), "SHORT_DATETIME_FORMAT")
    return _(
        "The ONLYOFFICE edits sent at %(when)s could not be stored after %(attempts)d attempts (%(error)s). "
        "The newest version does not contain them; ask an administrator to check the Document Server."
    ) % {"when": when, "attempts": save.attempts, "error": save.last_error or _("unknown error")}
