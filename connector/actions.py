"""The connector's entries in the attachment pages: the editor action and what is going on with each file.

Three providers answer for a page of rows (this one, connector.sessions, connector.recovery). What they all
need, who is editing and each file's latest save, is read once per page by ``page_rows`` (two queries) and
kept on the request for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments.actions import Action, Notice, RowExtras, Status, id_url
from attachments.models import Attachment, Role, Space
from attachments.permissions import can_admin, can_edit
from connector import config, formats, keys
from connector.models import DocumentKey, SaveRequest

# The presence label names this many editors, then "and N others": a row must stay one line.
PRESENCE_NAMES_SHOWN = 3


@dataclass(frozen=True)
class PageRows:
    """What is going on with the files of one page."""

    # Who is editing (EditorIdentity uids in connection order), counting a retired key while its editors
    # are connected: an upload during a session retires the key, but they edit until the DS says they left.
    editors: dict[int, list[str]]
    # Files whose live key has editors: the DS session a forcesave or drop command can reach.
    live_sessions: frozenset[int]
    # Each file's latest save request, with its editor.
    latest_saves: dict[int, SaveRequest]


_PAGE_ROWS_ATTRIBUTE = "_connector_page_rows"


def page_rows(request: HttpRequest | None, attachment_ids: Sequence[int]) -> PageRows:
    """The page's row state, read once per request and set of files (two queries)."""
    key = tuple(attachment_ids)
    cached = getattr(request, _PAGE_ROWS_ATTRIBUTE, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    editors: dict[int, list[str]] = {}
    live: set[int] = set()
    rows = DocumentKey.objects.filter(attachment_id__in=key).exclude(editors=[]).order_by("created_at", "id")
    for attachment_id, uids, retired_at in rows.values_list("attachment_id", "editors", "retired_at"):
        merged = editors.setdefault(attachment_id, [])
        merged.extend(uid for uid in uids or [] if isinstance(uid, str) and uid not in merged)
        if retired_at is None and uids:
            live.add(attachment_id)
    latest_ids = (
        SaveRequest.objects.filter(attachment_id__in=key)
        .values("attachment_id")
        .annotate(latest=Max("id"))
        .values_list("latest", flat=True)
    )
    latest = SaveRequest.objects.filter(id__in=latest_ids).select_related("editor")
    state = PageRows(
        editors={attachment_id: uids for attachment_id, uids in editors.items() if uids},
        live_sessions=frozenset(live),
        latest_saves={save.attachment_id: save for save in latest},
    )
    if request is not None:
        setattr(request, _PAGE_ROWS_ATTRIBUTE, (key, state))
    return state


def editor_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    cfg = config.for_request(request)
    if not cfg.configured:
        return {}
    rows = page_rows(request, [attachment.pk for attachment in attachments])
    names = editor_names(rows.editors)
    editor_url = id_url("onlyoffice-editor")
    labels = _EditorLabels(edit=_("Edit in ONLYOFFICE"), view=_("View in ONLYOFFICE"))
    extras: dict[int, RowExtras] = {}
    for attachment in attachments:
        extras[attachment.pk] = RowExtras(
            actions=_editor_actions(attachment, role, cfg, editor_url(attachment.pk), labels),
            statuses=_statuses(names.get(attachment.pk, []), rows.latest_saves.get(attachment.pk)),
        )
    return extras


def setup_notices(request: HttpRequest, space: Space, role: Role) -> list[Notice]:
    """Why no file offers the editor, told to those who can act: staff get the settings, space admins a name to ask.

    Everyone else sees the files as they are: without ONLYOFFICE nothing is broken for them.
    """
    if config.for_request(request).configured or not can_admin(role):
        return []
    text = _("ONLYOFFICE is not set up, so no file can be opened in the editor.")
    # The settings page is for staff only (connector/settings_page.py).
    if request.user.is_staff:
        return [Notice(text, link_label=_("Open the ONLYOFFICE settings"), link_url=reverse("onlyoffice-settings"))]
    ask = _("Ask an administrator to set the Document Server address.")
    return [Notice(f"{text} {ask}")]


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
    """Who is editing each attachment now (EditorIdentity uids, in connection order)."""
    return page_rows(None, attachment_ids).editors


def editor_names(uids_by_attachment: dict[int, list[str]]) -> dict[int, list[str]]:
    """Display names for the uids, with one query for all attachments; unknown uids are left out."""
    everyone = sorted({uid for uids in uids_by_attachment.values() for uid in uids})
    users = keys.users_for_uids(everyone) if everyone else {}
    return {
        attachment_id: [keys.display_name(users[uid]) for uid in uids if uid in users]
        for attachment_id, uids in uids_by_attachment.items()
    }


def editing_now(attachments: QuerySet[Attachment]) -> dict[int, list[str]]:
    """attachments.editing's provider: which of these files someone is editing now, with their display names.

    A subquery finds the few files with editors (a whole space is asked about at once), then ``editor_uids``
    reads them as the pages do, so the store's refusals and the "Being edited by" labels always agree.
    """
    edited = DocumentKey.objects.filter(attachment__in=attachments).exclude(editors=[])
    ids = sorted(set(edited.values_list("attachment_id", flat=True)))
    uids = editor_uids(ids) if ids else {}
    names = editor_names(uids)
    return {attachment_id: names.get(attachment_id, []) for attachment_id in uids}


def presence_label(names: Sequence[str]) -> str:
    """The label "Being edited by Alice, Bob": at most PRESENCE_NAMES_SHOWN names, then "and N others"."""
    shown = ", ".join(names[:PRESENCE_NAMES_SHOWN])
    others = len(names) - PRESENCE_NAMES_SHOWN
    if others <= 0:
        return _("Being edited by %(names)s") % {"names": shown}
    return ngettext(
        "Being edited by %(names)s and %(count)d other", "Being edited by %(names)s and %(count)d others", others
    ) % {"names": shown, "count": others}


def _statuses(editor_names: Sequence[str], save: SaveRequest | None) -> list[Status]:
    statuses: list[Status] = []
    if editor_names:
        # Viewers see it too: it tells them the file is about to change.
        statuses.append(
            Status(
                presence_label(editor_names),
                detail=_("Open in ONLYOFFICE by %(names)s.") % {"names": ", ".join(editor_names)},
            )
        )
    if save is not None and save.state in (SaveRequest.State.PENDING, SaveRequest.State.SAVING):
        statuses.append(Status(_("Saving…"), detail=_("The edits are being stored as a new version.")))
    # A failed save ("Edits by Alice at 14:02 could not be saved", with Retry): connector.recovery.recovery_rows.
    return statuses
