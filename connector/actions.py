"""The connector's entries in the attachment pages: the editor action and what is going on with each file.

One provider answers for a whole page of rows with two queries at most (attachments.actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments.actions import Action, RowExtras, Status, id_url
from attachments.models import Attachment, Role
from attachments.permissions import can_edit
from connector import config, formats, keys
from connector.models import DocumentKey, SaveRequest

# The presence label names this many editors, then "and N others": a row must stay one line.
PRESENCE_NAMES_SHOWN = 3


@dataclass(frozen=True)
class _RowState:
    editor_names: tuple[str, ...] = ()
    latest_save: SaveRequest | None = None


def editor_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    cfg = config.for_request(request)
    if not cfg.configured:
        return {}
    states = _row_states([attachment.pk for attachment in attachments])
    editor_url = id_url("onlyoffice-editor")
    labels = _EditorLabels(edit=_("Edit in ONLYOFFICE"), view=_("View in ONLYOFFICE"))
    extras: dict[int, RowExtras] = {}
    for attachment in attachments:
        state = states.get(attachment.pk, _RowState())
        extras[attachment.pk] = RowExtras(
            actions=_editor_actions(attachment, role, cfg, editor_url(attachment.pk), labels),
            statuses=_statuses(state, role),
        )
    return extras


@dataclass(frozen=True)
class _EditorLabels:
    """Translated once per page, not once per row."""

    edit: str
    view: str


def _editor_actions(
    attachment: Attachment, role: Role, cfg: config.DocServerConfig, url: str, labels: _EditorLabels
) -> list[Action]:
    if not formats.can_view(attachment.file_type):
        return []
    if can_edit(role) and formats.can_edit_in_place(attachment.file_type, cfg.lossy_edit):
        return [Action(label=labels.edit, url=url, icon="edit", new_tab=True, primary=True)]
    return [Action(label=labels.view, url=f"{url}?mode=view", icon="view", new_tab=True)]


def editor_uids(attachment_ids: list[int]) -> dict[int, list[str]]:
    """Who is editing each attachment now (EditorIdentity uids, in connection order), in one query.

    A retired key still counts while its editors are connected: an upload during a session retires the key,
    but those people are still editing until the DS reports they left (status 2/4 clears the list).
    """
    uids: dict[int, list[str]] = {}
    rows = DocumentKey.objects.filter(attachment_id__in=attachment_ids).exclude(editors=[])
    for attachment_id, editors in rows.order_by("created_at", "id").values_list("attachment_id", "editors"):
        merged = uids.setdefault(attachment_id, [])
        merged.extend(uid for uid in editors or [] if isinstance(uid, str) and uid not in merged)
    return uids


def editor_names(uids_by_attachment: dict[int, list[str]]) -> dict[int, list[str]]:
    """Display names for the uids, with one query for all attachments; unknown uids are left out."""
    everyone = sorted({uid for uids in uids_by_attachment.values() for uid in uids})
    users = keys.users_for_uids(everyone) if everyone else {}
    return {
        attachment_id: [keys.display_name(users[uid]) for uid in uids if uid in users]
        for attachment_id, uids in uids_by_attachment.items()
    }


def presence_label(names: Sequence[str]) -> str:
    """The label "Being edited by Alice, Bob": at most PRESENCE_NAMES_SHOWN names, then "and N others"."""
    shown = ", ".join(names[:PRESENCE_NAMES_SHOWN])
    others = len(names) - PRESENCE_NAMES_SHOWN
    if others <= 0:
        return _("Being edited by %(names)s") % {"names": shown}
    return ngettext(
        "Being edited by %(names)s and %(count)d other", "Being edited by %(names)s and %(count)d others", others
    ) % {"names": shown, "count": others}


def _row_states(attachment_ids: list[int]) -> dict[int, _RowState]:
    names = editor_names(editor_uids(attachment_ids))
    latest_ids = (
        SaveRequest.objects.filter(attachment_id__in=attachment_ids)
        .values("attachment_id")
        .annotate(latest=Max("id"))
        .values_list("latest", flat=True)
    )
    latest = {save.attachment_id: save for save in SaveRequest.objects.filter(id__in=list(latest_ids))}
    return {
        attachment_id: _RowState(
            editor_names=tuple(names.get(attachment_id, [])), latest_save=latest.get(attachment_id)
        )
        for attachment_id in attachment_ids
    }


def _statuses(state: _RowState, role: Role) -> list[Status]:
    statuses: list[Status] = []
    if state.editor_names:
        # Viewers see it too: it tells them the file is about to change.
        statuses.append(
            Status(
                presence_label(state.editor_names),
                detail=_("Open in ONLYOFFICE by %(names)s.") % {"names": ", ".join(state.editor_names)},
            )
        )
    save = state.latest_save
    if save is None:
        return statuses
    if save.state in (SaveRequest.State.PENDING, SaveRequest.State.SAVING):
        statuses.append(Status(_("Saving…"), detail=_("The edits are being stored as a new version.")))
    # A failed save ("Edits by Alice at 14:02 could not be saved", with Retry): connector.recovery.recovery_rows.
    return statuses
