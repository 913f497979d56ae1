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

from attachments.actions import RowExtras, id_url
from attachments.models import Attachment
from config.jinja2 import datetime_format, filesize, user_name


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


def list_rows(attachments: Sequence[Attachment], extras: Mapping[int, RowExtras]) -> list[ListRow]:
    """One ListRow per attachment, in order; ``extras`` comes from ``actions.row_extras`` for the same rows."""
    detail, download, rename, delete = (
        id_url(name) for name in ("attachment_detail", "attachment_download", "attachment_rename", "attachment_delete")
    )
    download_label, more_label = _("Download %(title)s"), _("More actions for %(title)s")
    return [
        ListRow(
            attachment=attachment,
            extras=extras[attachment.pk],
            detail_url=detail(attachment.pk),
            download_url=download(attachment.pk),
            rename_url=rename(attachment.pk),
            delete_url=delete(attachment.pk),
            size_display=filesize(attachment.size),
            updated_display=datetime_format(attachment.updated_at, "SHORT_DATETIME_FORMAT"),
            updated_iso=attachment.updated_at.isoformat(),
            updated_by=user_name(attachment.updated_by),
            download_aria_label=download_label % {"title": attachment.title},
            more_aria_label=more_label % {"title": attachment.title},
        )
        for attachment in attachments
    ]
