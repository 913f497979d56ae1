"""Reads of the connector for the store's pages: who is editing which file now, and each file's latest save.

What is going on with the files of a page is read once per page by ``page_rows`` (two queries) and kept on the
request, for every provider of connector/display.py. ``editing_now`` answers the store's "who is editing this
file" slot (attachments/editing.py) from the same reads, so that its refusals and the pages' labels agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from attachments.editing import Hold
from attachments.models import Attachment
from attachments.users import User
from connector import keys
from connector.models import DocumentKey, SaveRequest


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
    cached: tuple[tuple[int, ...], PageRows] | None = getattr(request, _PAGE_ROWS_ATTRIBUTE, None)
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


def editor_uids(attachment_ids: list[int]) -> dict[int, list[str]]:
    """Who is editing each attachment now (EditorIdentity uids, in connection order)."""
    return page_rows(None, attachment_ids).editors


def editor_names(uids_by_attachment: dict[int, list[str]]) -> dict[int, list[str]]:
    """Names for the uids (``keys.editor_name``), with one query for all attachments; unknown uids are left out."""
    everyone = sorted({uid for uids in uids_by_attachment.values() for uid in uids})
    users = keys.users_for_uids(everyone) if everyone else {}
    return {
        attachment_id: [keys.editor_name(users[uid]) for uid in uids if uid in users]
        for attachment_id, uids in uids_by_attachment.items()
    }


def editing_now(attachments: QuerySet[Attachment]) -> dict[int, list[Hold]]:
    """attachments.editing's provider: which of these files someone is editing in ONLYOFFICE now, with who.

    A subquery finds the few files with editors (a whole space is asked about at once), then ``editor_uids``
    reads them as the pages do, so the store's refusals and the "Being edited by" labels always agree.
    """
    edited = DocumentKey.objects.filter(attachment__in=attachments).exclude(editors=[])
    ids = sorted(set(edited.values_list("attachment_id", flat=True)))
    uids = editor_uids(ids) if ids else {}
    everyone = sorted({uid for some in uids.values() for uid in some})
    users = keys.users_for_uids(everyone) if everyone else {}
    return {
        attachment_id: [_session_hold([users[uid] for uid in some if uid in users])]
        for attachment_id, some in uids.items()
    }


def _session_hold(editors: list[User]) -> Hold:
    names = tuple(keys.editor_name(user) for user in editors)
    return Hold(
        app="onlyoffice",
        names=names,
        user_ids=frozenset(user.pk for user in editors),
        sentence=_("%(names)s is editing this in ONLYOFFICE.") % {"names": ", ".join(names) or _("Someone")},
    )
