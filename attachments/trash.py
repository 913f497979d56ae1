"""The trash: a file deleted from a space waits in the space's trash ATTACHMENTS_TRASH_DAYS days, then is purged.

The writes and reads of the trash, shared by the pages (attachments.trash_views, the file's "Move to trash") and
the API (attachments.trash_api, ``DELETE /api/attachments/<id>/``):

- Moving a file to the trash only marks it (``deleted_at``, ``deleted_by``). Every read of a space's files leaves it
  out (attachments.selectors, the API's querysets, the connector's editor and Document Server endpoints), but its
  rows and files stay, so restoring it loses nothing. Storage is freed only when it is purged: by an admin, or by
  ``trash_sweep`` once its days are up.
- A file someone is editing is not moved (``BeingEdited``): nobody would see the saves of their session. A save
  that still arrives for a trashed file (a session that ended just before it was moved) is stored all the same.
- A trashed file holds no name (the unique constraint leaves trashed rows out): a restored file whose name another
  file took meanwhile gets the next free number, as a new file would.

Who may do what is attachments.permissions' (``can_see_trash``, ``can_restore``, ``can_purge``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments import editing, services
from attachments.errors import BeingEdited, NotInTrash
from attachments.models import Attachment, Role, Space
from attachments.permissions import sees_whole_trash
from attachments.users import User

logger = logging.getLogger(__name__)

# Files purged per sweep; the next run (hourly, CELERY_BEAT_SCHEDULE) takes the rest.
SWEEP_BATCH = 500


# --- reads ---------------------------------------------------------------------------------------------------------


def trash_lifetime() -> timedelta:
    return timedelta(days=settings.ATTACHMENTS_TRASH_DAYS)


def purge_due(attachment: Attachment) -> datetime:
    """When the sweep purges this trashed file: the setting in force decides, also for files already in the trash."""
    assert attachment.deleted_at is not None
    return attachment.deleted_at + trash_lifetime()


def trash_of(space: Space, *, user: User, role: Role) -> QuerySet[Attachment]:
    """The trashed files of the space the user may see, most recently deleted first: all of them for its admins,
    the ones they deleted themselves for its editors (callers have checked ``can_see_trash``)."""
    items = (
        Attachment.objects.filter(space=space, current_version__gte=1, deleted_at__isnull=False)
        .select_related("deleted_by")
        .order_by("-deleted_at", "-id")
    )
    return items if sees_whole_trash(role) else items.filter(deleted_by=user)


def being_edited_message(attachment: Attachment) -> str:
    """Why the file cannot go to the trash now, naming who is editing it; "" when nobody is."""
    edited = editing.editors_of(Attachment.objects.filter(pk=attachment.pk))
    if attachment.pk not in edited:
        return ""
    names = edited[attachment.pk]
    if not names:  # a session whose people the editing app cannot name still holds the file
        return _("“%(title)s” is being edited; it can be deleted once the session ends.") % {"title": attachment.title}
    return _("“%(title)s” is being edited by %(names)s; it can be deleted once the session ends.") % {
        "title": attachment.title,
        "names": ", ".join(names),
    }


# --- writes --------------------------------------------------------------------------------------------------------


def attachment_trash(*, attachment: Attachment, deleted_by: User | None) -> None:
    """Move the file to its space's trash. Idempotent: a file already in the trash stays as it was.

    Raises BeingEdited, changing nothing, while someone is editing it (attachments.editing).
    """
    with transaction.atomic():
        # The connector takes this row lock to record who joins a session (connector.services.callback_record), so
        # the check and the move cannot interleave with a join: either the editor is recorded first and the file
        # stays, or the file is trashed first and its editor page is refused from then on.
        locked = Attachment.objects.select_for_update().filter(pk=attachment.pk, deleted_at__isnull=True).first()
        if locked is None:
            return
        refusal = being_edited_message(locked)
        if refusal:
            raise BeingEdited(refusal)
        now = timezone.now()
        Attachment.objects.filter(pk=locked.pk).update(deleted_at=now, deleted_by=deleted_by)
    attachment.deleted_at, attachment.deleted_by = now, deleted_by


def attachment_restore(*, attachment: Attachment) -> Attachment:
    """Bring the file back from the trash into its space; its title is then the name it got.

    A name another file took meanwhile gets the next free number, as a new file's would (the store's naming rule,
    ``services._under_free_title``). Raises NotInTrash when someone restored or purged it meanwhile.
    """

    def write(name: str) -> str:
        # Conditional: of two people restoring the same file at once, one restores it and the other is told.
        restored = Attachment.objects.filter(pk=attachment.pk, deleted_at__isnull=False).update(
            title=name, deleted_at=None, deleted_by=None
        )
        if restored != 1:
            raise NotInTrash(_("“%(title)s” is no longer in the trash.") % {"title": attachment.title})
        return name

    # The file's own row is in the trash, so it never collides with itself: no exclude_id needed.
    title = services._under_free_title(space=attachment.space_id, wanted=attachment.title, exclude_id=None, write=write)
    attachment.title, attachment.deleted_at, attachment.deleted_by = title, None, None
    return attachment


def attachment_purge(*, attachment: Attachment) -> None:
    """Delete a trashed file for good: its rows now, its files once that has committed (storage is freed then).

    Raises NotInTrash when it was restored (or purged) meanwhile: a file back in its space is never purged.
    """
    if not _purge(attachment.pk, deleted_before=None):
        raise NotInTrash(_("“%(title)s” is no longer in the trash.") % {"title": attachment.title})


def trash_sweep(*, now: datetime | None = None) -> int:
    """Purge the files whose days in the trash are up; return how many were purged.

    Safe to run at any time and from several processes at once: each file is purged under its row lock, and only if
    it is still in the trash since before the cutoff (a file restored and deleted again meanwhile starts anew).
    """
    cutoff = (now or timezone.now()) - trash_lifetime()
    expired = Attachment.objects.filter(deleted_at__lt=cutoff).order_by("deleted_at", "id")
    purged = sum(_purge(pk, deleted_before=cutoff) for pk in list(expired.values_list("pk", flat=True)[:SWEEP_BATCH]))
    if purged:
        logger.info("trash sweep purged %s files", purged)
    return purged


def _purge(attachment_id: int, *, deleted_before: datetime | None) -> bool:
    with transaction.atomic():
        trashed = Attachment.objects.select_for_update().filter(pk=attachment_id, deleted_at__isnull=False)
        if deleted_before is not None:
            trashed = trashed.filter(deleted_at__lt=deleted_before)
        locked = trashed.first()
        if locked is None:
            return False
        # Rows now, files after the commit: a rollback leaves every version with its file.
        services.attachment_delete(attachment=locked)
    return True
