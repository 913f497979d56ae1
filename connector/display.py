"""What the connector adds to the attachment store's pages: actions, menu entries, statuses and notices.

The store offers slots (attachments/actions.py) and knows nothing of the connector; connector/apps.py registers
the providers below into them. Row providers answer for a whole page of files at once: what they need to know,
who is editing and each file's latest save, is read once per page (``selectors.page_rows``, two queries).

- ``editor_rows``: "Edit in ONLYOFFICE" / "View in ONLYOFFICE", "Being edited by Alice, Bob" and "Saving…";
- ``session_rows``: "Save a version now" and "End editing session" while someone edits (connector/sessions.py);
- ``conversion_rows``: "Convert to DOCX" and "Download as…" (connector/conversion.py);
- ``recovery_rows``: "Conflicting edits", and "Edits by Alice at 14:02 could not be saved" with Retry;
- ``new_document_actions``: the space toolbar's "New document" (connector/newdocs.py);
- ``setup_notices``: why no file offers the editor, to those who can act on it;
- ``preview_panel``: the file page's "Preview", a lazy frame of the read-only viewer (connector/views/preview.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments.actions import Action, Notice, Panel, RowExtras, Status, conflict_status, id_url
from attachments.models import Attachment, Role, Space
from attachments.permissions import can_admin, can_download, can_edit
from connector import ds_settings, formats
from connector.conversion import conversion_choices
from connector.keys import editor_name
from connector.models import EditedVersion, SaveRequest
from connector.selectors import editor_names, page_rows

# The presence label names this many editors, then "and N others": a row must stay one line.
PRESENCE_NAMES_SHOWN = 3
_URL_PATTERN = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


# --- the editor action, who is editing, saving ------------------------------------------------------------------


def editor_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    cfg = ds_settings.for_request(request)
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


@dataclass(frozen=True)
class _EditorLabels:
    """Translated once per page, not once per row."""

    edit: str
    view: str


def _editor_actions(
    attachment: Attachment, role: Role, cfg: ds_settings.DocServerConfig, url: str, labels: _EditorLabels
) -> list[Action]:
    if not formats.can_view(attachment.file_type):
        return []
    if can_edit(role) and formats.can_edit_in_place(attachment.file_type, cfg.lossy_edit):
        return [Action(label=labels.edit, url=url, icon="edit", new_tab=True, primary=True)]
    return [Action(label=labels.view, url=f"{url}?mode=view", icon="view", new_tab=True)]


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
    # A failed save ("Edits by Alice at 14:02 could not be saved", with Retry): recovery_rows.
    return statuses


# --- open editing sessions: "Save a version now", "End editing session" -----------------------------------------


def session_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    """Menu entries for attachments someone is editing now, from the page's row state (selectors.page_rows)."""
    if not can_edit(role) or not attachments or not ds_settings.for_request(request).configured:
        return {}
    edited = page_rows(request, [attachment.pk for attachment in attachments]).live_sessions
    # Back to the page the menu was on (the list or the attachment page) after the POST.
    back = urlencode({"next": request.get_full_path()})
    return {
        attachment.pk: RowExtras(actions=_session_actions(attachment, role, back))
        for attachment in attachments
        if attachment.pk in edited
    }


def _session_actions(attachment: Attachment, role: Role, back: str) -> list[Action]:
    actions = [
        Action(
            label=_("Save a version now"),
            url=f"{reverse('onlyoffice-forcesave', args=[attachment.pk])}?{back}",
            icon="history",
            method="post",
            in_menu=True,
        )
    ]
    if can_admin(role):
        actions.append(
            Action(
                label=_("End editing session"),
                url=f"{reverse('onlyoffice-drop', args=[attachment.pk])}?{back}",
                icon="logout",
                method="post",
                in_menu=True,
                danger=True,
            )
        )
    return actions


# --- conversions -----------------------------------------------------------------------------------------------


def conversion_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    """Row menu entries: no queries, the format table and the role decide (conversion.conversion_choices)."""
    if not ds_settings.for_request(request).configured:
        return {}
    extras: dict[int, RowExtras] = {}
    convert_url = id_url("onlyoffice-convert")  # one reverse for the page
    may_download = can_download(role)  # one look at the download policy for the page
    for attachment in attachments:
        choices = conversion_choices(attachment, role, may_download=may_download)
        url = convert_url(attachment.pk)
        actions: list[Action] = []
        if choices.ooxml:
            label = _("Convert to %(format)s") % {"format": choices.ooxml.upper()}
            actions.append(Action(label=label, url=f"{url}#convert", icon="file-plus", in_menu=True))
        if choices.download:
            actions.append(Action(label=_("Download as…"), url=f"{url}#download-as", icon="download", in_menu=True))
        if actions:
            extras[attachment.pk] = RowExtras(actions=actions)
    return extras


# --- conflicts and failed saves ----------------------------------------------------------------------------------


def recovery_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    """Rows marked "Conflicting edits" (one query), and a failed save with Retry for editors (page_rows)."""
    if not attachments or not ds_settings.for_request(request).configured:
        return {}
    ids = [attachment.pk for attachment in attachments]
    # A join, not a subquery per attachment: cheaper for the ORM to compile, on every list page and poll.
    conflicts = EditedVersion.objects.filter(
        version__attachment_id__in=ids,
        version__number=F("version__attachment__current_version"),
        conflict_with__isnull=False,
    ).values_list("version__attachment_id", "conflict_with")
    extras: dict[int, RowExtras] = {}
    for attachment_id, conflict_with in conflicts:
        if conflict_with is not None:  # always: the query leaves the others out
            extras.setdefault(attachment_id, RowExtras()).statuses.append(conflict_status(conflict_with))
    if not can_edit(role):
        return extras
    back = urlencode({"next": request.get_full_path()})
    for save in page_rows(request, ids).latest_saves.values():
        if save.state in (SaveRequest.State.FAILED, SaveRequest.State.LOST):
            row = extras.setdefault(save.attachment_id, RowExtras())
            row.statuses.append(failed_status(save))
            if save.state == SaveRequest.State.FAILED:
                row.actions.append(_retry_action(save, back))
    return extras


def failed_status(save: SaveRequest) -> Status:
    local = timezone.localtime(save.created_at)
    when = local.strftime("%H:%M") if local.date() == timezone.localdate() else local.strftime("%Y-%m-%d %H:%M")
    if save.state == SaveRequest.State.LOST:
        return _lost_status(save, when)
    if save.editor is not None:
        label = _("Edits by %(name)s at %(when)s could not be saved") % {
            "name": editor_name(save.editor),
            "when": when,
        }
    else:
        label = _("Edits at %(when)s could not be saved") % {"when": when}
    detail = _(
        "They could not be stored after %(attempts)d attempts (%(error)s). The newest version does not contain "
        "them; use Retry, or ask an administrator to check the Document Server."
    ) % {"attempts": save.attempts, "error": safe_reason(save.last_error)}
    return Status(label, tone="danger", detail=detail)


def _lost_status(save: SaveRequest, when: str) -> Status:
    if save.editor is not None:
        label = _("Edits by %(name)s at %(when)s were lost") % {"name": editor_name(save.editor), "when": when}
    else:
        label = _("Edits at %(when)s were lost") % {"when": when}
    detail = _(
        "The Document Server discarded them before they could be fetched, and it keeps no other copy. The newest "
        "version does not contain them and they cannot be recovered; the space's admins have been told."
    )
    return Status(label, tone="danger", detail=detail)


def _retry_action(save: SaveRequest, back: str) -> Action:
    return Action(
        label=_("Retry the failed save"),
        url=f"{reverse('onlyoffice-save-retry', args=[save.pk])}?{back}",
        icon="history",
        method="post",
        in_menu=True,
    )


def safe_reason(error: str) -> str:
    """The stored error, with any link cut out: a DS link or token must never leave the server."""
    return _URL_PATTERN.sub("[link removed]", error or "") or _("unknown error")


# --- the space's toolbar and notices ----------------------------------------------------------------------------


def new_document_actions(request: HttpRequest, space: Space, role: Role) -> list[Action]:
    """The space toolbar's "New document", for its editors while ONLYOFFICE is set up."""
    if not can_edit(role) or not ds_settings.for_request(request).configured:
        return []
    return [Action(label=_("New document"), url=reverse("onlyoffice-new", args=[space.pk]), icon="file-plus")]


def setup_notices(request: HttpRequest, space: Space, role: Role) -> list[Notice]:
    """Why no file offers the editor, told to those who can act: staff get the settings, space admins a name to ask.

    Everyone else sees the files as they are: without ONLYOFFICE nothing is broken for them.
    """
    if ds_settings.for_request(request).configured or not can_admin(role):
        return []
    text = _("ONLYOFFICE is not set up, so no file can be opened in the editor.")
    # The settings page is for staff only (connector/views/settings.py).
    if request.user.is_staff:
        return [Notice(text, link_label=_("Open the ONLYOFFICE settings"), link_url=reverse("onlyoffice-settings"))]
    ask = _("Ask an administrator to set the Document Server address.")
    return [Notice(f"{text} {ask}")]


# --- the file page's preview --------------------------------------------------------------------------------------


def preview_panel(request: HttpRequest, attachment: Attachment, role: Role, extras: RowExtras) -> Panel | None:
    """ "Preview" on the file's page while ONLYOFFICE is set up and opens the type. Only a frame of our own preview
    page, loaded lazily: the file page asks nothing of the Document Server, so it is as fast when the DS is down."""
    if not ds_settings.for_request(request).configured or not formats.can_view(attachment.file_type):
        return None
    html = render_to_string("connector/_preview_panel.html", {"attachment": attachment}, request=request)
    return Panel(html=html)
