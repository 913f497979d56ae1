"""What the attachment pages show of desktop editing (attachments.actions' row slot), for a page of rows at once.

- "Open in Word" (Excel, PowerPoint: the app that edits the type) and "Open in LibreOffice" in the row's menu, for
  those who may edit, or view and download; each goes through desktop.views.open_in_app for a fresh link. The file
  page shows the same entries in a section of their own (templates/desktop/_file_page.html);
- "Being edited in a desktop app by Alice" while a desktop lock is held, as ONLYOFFICE's editors are shown, with
  "Break desktop lock" for the space's admins;
- "Conflicting edits" when the newest version is a desktop save that raced another writer.

Two queries per page: the live locks, and the conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.actions import Action, Panel, RowExtras, Status, conflict_status, id_url
from attachments.models import Attachment, Role
from attachments.permissions import can_admin, can_download, can_edit
from desktop import links
from desktop.locks import desktop_holds
from desktop.models import DesktopSave

_OFFICE_APPS = {"ms-word": "Word", "ms-excel": "Excel", "ms-powerpoint": "PowerPoint"}


def desktop_rows(request: HttpRequest, attachments: Sequence[Attachment], role: Role) -> dict[int, RowExtras]:
    if not attachments:
        return {}
    ids = [attachment.pk for attachment in attachments]
    queryset = Attachment.objects.filter(pk__in=ids)
    holds = desktop_holds(queryset)
    conflicts = dict(
        DesktopSave.objects.filter(
            version__attachment_id__in=ids,
            version__number=F("version__attachment__current_version"),
            conflict_with__isnull=False,
        ).values_list("version__attachment_id", "conflict_with")
    )
    # Viewers get a read-only link, and only when they may take a copy: the app stores one on their computer.
    opens = can_download(role)
    urls = _Urls()
    back = urlencode({"next": request.get_full_path()})
    extras: dict[int, RowExtras] = {}
    for attachment in attachments:
        row = RowExtras(actions=_open_actions(attachment, urls) if opens else [])
        held = holds.get(attachment.pk, [])
        for hold in held:
            names = ", ".join(hold.names)
            row.statuses.append(
                Status(
                    _("Being edited in a desktop app by %(names)s") % {"names": names},
                    detail=_("Others can open it read-only until %(names)s closes it in the app.") % {"names": names},
                )
            )
        if held and can_admin(role):
            # One entry however many locks: it breaks them all.
            row.actions.append(
                Action(
                    label=_("Break desktop lock"),
                    url=f"{urls.lock_break(attachment.pk)}?{back}",
                    icon="logout",
                    method="post",
                    in_menu=True,
                    danger=True,
                )
            )
        conflict = conflicts.get(attachment.pk)
        if conflict is not None:
            row.statuses.append(conflict_status(conflict))
        if row.actions or row.statuses:
            extras[attachment.pk] = row
    return extras


class _Urls:
    """Reversed once per page (attachments.actions.id_url)."""

    def __init__(self) -> None:
        self.office = id_url("desktop-open-office")
        self.libreoffice = id_url("desktop-open-libreoffice")
        self.lock_break = id_url("desktop-lock-break")


def _open_actions(attachment: Attachment, urls: _Urls) -> list[Action]:
    actions: list[Action] = []
    scheme = links.office_scheme(attachment.file_type)
    if scheme is not None:
        label = _("Open in %(app)s") % {"app": _OFFICE_APPS[scheme]}
        actions.append(Action(label=label, url=urls.office(attachment.pk), icon="desktop", in_menu=True))
    if links.libreoffice_opens(attachment.file_type):
        actions.append(
            Action(label=_("Open in LibreOffice"), url=urls.libreoffice(attachment.pk), icon="desktop", in_menu=True)
        )
    return actions


def file_panel(request: HttpRequest, attachment: Attachment, role: Role, extras: RowExtras) -> Panel | None:
    """ "Open in a desktop app" on the file's page, with the row's entries and a "How does this work?" dialog."""
    urls = {
        reverse("desktop-open-office", args=[attachment.pk]),
        reverse("desktop-open-libreoffice", args=[attachment.pk]),
    }
    entries = [action for action in extras.actions if action.url in urls]
    if not entries:
        return None
    context = {"attachment": attachment, "entries": entries, "can_edit": can_edit(role)}
    html = render_to_string("desktop/_file_page.html", context, request=request)
    return Panel(html=html, shows=frozenset(urls))
