"""The rows of a space's attachment list, worked out in Python for the page and for its live list.

A page shows up to 50 rows and nearly all of its cost is per row. Every call a Jinja template makes (a macro, a
method, ``_()``, a URL) goes through Jinja's ``Context.call``, which costs several times the Python it runs, so
the values a row shows are computed here once and the template only places them. The live list
(``views.space_rows``) sends the same values as JSON: the page and its updates cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from attachments.actions import Action, RowExtras, id_url, menu_sections
from attachments.display import datetime_format, filesize, user_name
from attachments.models import Attachment, Role
from attachments.permissions import can_edit
from attachments.thumbnails import ready_thumbnail_urls


@dataclass(frozen=True)
class ListRow:
    attachment: Attachment
    extras: RowExtras
    detail_url: str
    download_url: str
    rename_url: str
    delete_url: str
    size_display: str
    updated_display: str
    updated_iso: str
    updated_by: str
    # The accessible names of the row's icon-only buttons, which name the file.
    download_aria_label: str
    more_aria_label: str
    # The "More actions" menu: the store's entries and the providers', in sections (actions.menu_sections).
    menu: list[list[Action]]
    # The current version's first page when it is ready (attachments/thumbnails.py); "" shows the type icon.
    thumbnail_url: str = ""


def list_rows(
    attachments: Sequence[Attachment], extras: Mapping[int, RowExtras], role: Role | None = None
) -> list[ListRow]:
    """One ListRow per attachment, in order; ``extras`` comes from ``actions.row_extras`` for the same rows.

    ``role`` (the user's, in the rows' space) picks the store's own entries of each row's menu.
    """
    detail, download, rename, delete = (
        id_url(name) for name in ("attachment_detail", "attachment_download", "attachment_rename", "attachment_delete")
    )
    download_label, more_label = _("Download %(title)s"), _("More actions for %(title)s")
    store_entries = _StoreEntries.for_role(role)
    thumbnails = ready_thumbnail_urls(attachments)
    rows = []
    for attachment in attachments:
        row_extras = extras[attachment.pk]
        detail_url, rename_url, delete_url = detail(attachment.pk), rename(attachment.pk), delete(attachment.pk)
        rows.append(
            ListRow(
                attachment=attachment,
                extras=row_extras,
                detail_url=detail_url,
                download_url=download(attachment.pk),
                rename_url=rename_url,
                delete_url=delete_url,
                size_display=filesize(attachment.size),
                updated_display=datetime_format(attachment.updated_at),
                updated_iso=attachment.updated_at.isoformat(),
                updated_by=user_name(attachment.updated_by),
                download_aria_label=download_label % {"title": attachment.title},
                more_aria_label=more_label % {"title": attachment.title},
                menu=menu_sections([*store_entries.actions(detail_url, rename_url, delete_url), *row_extras.menu]),
                thumbnail_url=thumbnails.get(attachment.pk, ""),
            )
        )
    return rows


@dataclass(frozen=True)
class _StoreEntries:
    """The store's own entries of a row's "More actions" menu, labelled once per page rather than once per row."""

    versions: str
    new_version: str | None  # None: the role may not
    rename: str | None
    delete: str | None

    @classmethod
    def for_role(cls, role: Role | None) -> _StoreEntries:
        editor = can_edit(role)
        return cls(
            versions=_("Versions"),
            new_version=_("Upload new version") if editor else None,
            rename=_("Rename") if editor else None,
            # Editors move files to the trash; what they may restore or purge there is attachments.trash's rule.
            delete=_("Move to trash…") if editor else None,
        )

    def actions(self, detail_url: str, rename_url: str, delete_url: str) -> list[Action]:
        entries = [Action(label=self.versions, url=detail_url, icon="history", in_menu=True)]
        if self.new_version is not None:
            entries.append(Action(label=self.new_version, url=f"{detail_url}#new-version", icon="upload", in_menu=True))
        if self.rename is not None:
            entries.append(Action(label=self.rename, url=rename_url, icon="pencil", in_menu=True))
        if self.delete is not None:
            entries.append(Action(label=self.delete, url=delete_url, icon="trash", in_menu=True, danger=True))
        return entries
