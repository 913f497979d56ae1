"""Writes to the attachment store. Every function here is typed, keyword-only and transactional.

A version is all-or-nothing: its file is written first, under a fresh name, then the row is added in a
short transaction that locks the attachment to take the next number. If the row cannot be added, the
file is deleted; so there is never a row without a file, and a failed write leaves no file behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from attachments.filenames import clean_title
from attachments.models import Attachment, Membership, Role, Space, Version, VersionSource
from attachments.signals import version_stored
from attachments.storage import (
    content_type_for,
    delete_quietly,
    open_chunks,
    storage_name_for,
    store_chunks,
)


def space_create(*, name: str, created_by: AbstractBaseUser | None, description: str = "") -> Space:
    """A new space; its creator becomes its admin."""
    with transaction.atomic():
        space = Space.objects.create(name=name.strip(), description=description, created_by=created_by)
        if created_by is not None:
            Membership.objects.create(space=space, user=created_by, role=Role.ADMIN)
    return space


class LastAdmin(Exception):
    """The change would leave the space without an admin (only staff could manage it then)."""


def membership_set(*, space: Space, user: AbstractBaseUser, role: Role | str) -> Membership:
    """Add the user to the space with the role, or change their role. Idempotent.

    Raises LastAdmin when it would demote the space's only admin.
    """
    with transaction.atomic():
        _refuse_losing_the_last_admin(space, user, Role(role))
        membership, _created = Membership.objects.update_or_create(
            space=space, user=user, defaults={"role": Role(role)}
        )
    return membership


def membership_remove(*, space: Space, user: AbstractBaseUser) -> None:
    """Take the user out of the space. Raises LastAdmin when they are its only admin."""
    with transaction.atomic():
        _refuse_losing_the_last_admin(space, user, None)
        Membership.objects.filter(space=space, user=user).delete()


def _refuse_losing_the_last_admin(space: Space, user: AbstractBaseUser, new_role: Role | None) -> None:
    if new_role == Role.ADMIN:
        return
    # Locking the space row serialises membership changes: two admins demoting each other at once cannot
    # both pass this check.
    Space.objects.select_for_update().filter(pk=space.pk).first()
    admins = Membership.objects.filter(space=space, role=Role.ADMIN)
    if admins.filter(user=user).exists() and admins.count() == 1:
        raise LastAdmin(_("A space needs at least one admin."))


def version_create(
    *,
    attachment: Attachment,
    chunks: Iterable[bytes],
    source: VersionSource | str,
    created_by: AbstractBaseUser | None,
    comment: str = "",
    max_size: int | None = None,
    before_commit: Any = None,
) -> Version:
    """Store the chunks as the attachment's next version (numbers are 1..n, unique and gap-free).

    ``before_commit(version)``, if given, runs inside the numbering transaction, so that a caller's
    own bookkeeping (a save request marked done, say) commits together with the version or not at all.
    Raises FileTooLarge when ``max_size`` is exceeded; nothing is stored then.
    """
    stored = store_chunks(
        chunks, name=storage_name_for(space_id=attachment.space_id, title=attachment.title), max_size=max_size
    )
    try:
        with transaction.atomic():
            locked = Attachment.objects.select_for_update().get(pk=attachment.pk)
            version = Version.objects.create(
                attachment=locked,
                number=locked.current_version + 1,
                file=stored.name,
                size=stored.size,
                sha256=stored.sha256,
                content_type=content_type_for(locked.title),
                created_by=created_by,
                source=VersionSource(source),
                comment=comment[:500],
            )
            locked.current_version = version.number
            locked.size = stored.size
            locked.updated_by = created_by
            locked.save(update_fields=["current_version", "size", "updated_by", "updated_at"])
            if before_commit is not None:
                before_commit(version)
            # Inside the transaction: what receivers write (a new document key, say) commits with the version.
            version_stored.send(
                sender=Version,
                attachment_id=locked.pk,
                version_id=version.pk,
                number=version.number,
                source=version.source,
            )
    except BaseException:
        delete_quietly(stored.name)
        raise
    attachment.current_version = locked.current_version
    attachment.size = locked.size
    attachment.updated_by = created_by
    attachment.updated_at = locked.updated_at
    return version


def attachment_create(
    *,
    space: Space,
    title: str,
    chunks: Iterable[bytes],
    created_by: AbstractBaseUser | None,
    source: VersionSource | str = VersionSource.UPLOAD,
    comment: str = "",
    max_size: int | None = None,
) -> Attachment:
    """A new attachment with its first version. If storing the file fails, no attachment is left."""
    attachment = Attachment.objects.create(
        space=space, title=clean_title(title), created_by=created_by, updated_by=created_by
    )
    try:
        version_create(
            attachment=attachment,
            chunks=chunks,
            source=source,
            created_by=created_by,
            comment=comment,
            max_size=max_size,
        )
    except BaseException:
        attachment.delete()
        raise
    return attachment


def version_restore(*, version: Version, restored_by: AbstractBaseUser | None) -> Version:
    """Copy an old version's file into a new version; the history is never rewritten."""
    return version_create(
        attachment=version.attachment,
        chunks=open_chunks(version.file.name),
        source=VersionSource.RESTORE,
        created_by=restored_by,
        comment=f"Restored from version {version.number}",
    )


def attachment_rename(*, attachment: Attachment, title: str, renamed_by: AbstractBaseUser | None) -> Attachment:
    attachment.title = clean_title(title, fallback=attachment.title)
    attachment.updated_by = renamed_by
    attachment.save(update_fields=["title", "updated_by", "updated_at"])
    return attachment


def attachment_delete(*, attachment: Attachment) -> None:
    """Delete the attachment, its versions and, once that has committed, their files."""
    names = list(attachment.versions.values_list("file", flat=True))
    with transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: [delete_quietly(name) for name in names])
