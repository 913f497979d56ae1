"""Writes to the attachment store. Every function here is typed, keyword-only and transactional.

A version is all-or-nothing: its file is written first, under a fresh name, then the row is added in a
short transaction that locks the attachment to take the next number. If the row cannot be added, the
file is deleted; so there is never a row without a file, and a failed write leaves no file behind.

Names: a title is unique in its space, case aside (a database constraint; a taken name gets a number), and its
extension, the file's type, never changes (a rename keeps it, a new version must have it). The refusals are
the typed errors of attachments.errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import IntegrityError, models, router, transaction
from django.db.models.deletion import Collector
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments import editing, filenames, selectors
from attachments.errors import ExtensionChange, FileTypeMismatch, SpaceBeingEdited, SpaceNameMismatch
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
from attachments.users import User, is_guest

T = TypeVar("T")
# Each lost race for a name costs one attempt; this many writers naming files alike at the same instant is absurd.
_NAME_ATTEMPTS = 20
# Rows whose stored names one query reads when a delete frees their files (well below every database's limit).
_DELETE_BATCH = 500


def space_create(*, name: str, created_by: User | None, description: str = "") -> Space:
    """A new space; its creator becomes its admin."""
    with transaction.atomic():
        space = Space.objects.create(name=name.strip(), description=description, created_by=created_by)
        if created_by is not None:
            Membership.objects.create(space=space, user=created_by, role=Role.ADMIN)
    return space


def space_rename(*, space: Space, name: str, description: str | None = None) -> Space:
    """Give the space a new name and, unless ``description`` is None, a new description. Space names need not be
    unique: people tell their spaces apart by what is in them, as they did when creating them."""
    with transaction.atomic():
        space.name = name.strip()
        fields = ["name"]
        if description is not None:
            space.description = description
            fields.append("description")
        space.save(update_fields=fields)
    return space


def space_delete(*, space: Space, confirmation: str) -> int:
    """Delete the space for good and return how many files went with it: its memberships, every file with every
    version (files in its trash too: a deleted space has no trash to restore from) and, once that has committed,
    their stored files. Nothing is moved to the trash.

    ``confirmation`` must be the space's name exactly (surrounding blanks aside), or SpaceNameMismatch; while any
    of its files is being edited (attachments.editing), SpaceBeingEdited names them: a file is never pulled from
    under its editors, whose saves would then have nowhere to go. Either refusal leaves everything as it was.
    """
    with transaction.atomic():
        # The row lock orders this after membership changes and renames in flight; the name compared is the
        # stored one, not what the page showed.
        locked = Space.objects.select_for_update().filter(pk=space.pk).first()
        if locked is None or confirmation.strip() != locked.name:
            raise SpaceNameMismatch(_("Type the space's name exactly as it is shown to delete it."))
        # The connector records who joins a session under the file's row lock (connector.services), so with every
        # file of the space locked, nobody can join between this check and the delete.
        list(Attachment._base_manager.select_for_update().filter(space=locked).order_by("pk").values_list("pk"))
        edited = selectors.files_being_edited(locked)
        if edited:
            titles = [title for title, _names in edited]
            raise SpaceBeingEdited(_being_edited_message(edited), titles)
        deleted = _delete_with_stored_files(locked)
    return deleted.get(Attachment._meta.label, 0)


def _being_edited_message(edited: list[tuple[str, list[str]]]) -> str:
    files = "; ".join(
        _("“%(title)s” (by %(names)s)") % {"title": title, "names": ", ".join(names)} if names else f"“{title}”"
        for title, names in edited
    )
    return ngettext(
        "A file is being edited: %(files)s. The space can be deleted once its editing session has ended.",
        "%(count)d files are being edited: %(files)s. The space can be deleted once their editing sessions have ended.",
        len(edited),
    ) % {"count": len(edited), "files": files}


class LastAdmin(Exception):
    """The change would leave the space without an admin (only staff could manage it then)."""


class InactiveUser(Exception):
    """A deactivated account would join a space. Said like an unknown username (the message), so that whoever
    adds members learns nothing about accounts they could not add anyway."""


def membership_set(*, space: Space, user: User, role: Role | str) -> Membership:
    """Add the user to the space with the role, or change their role. Idempotent.

    Raises InactiveUser when a deactivated account would join (a member's role may still change, so that
    someone who left can be demoted), LastAdmin when it would demote the space's only admin.
    """
    with transaction.atomic():
        # A share link's guest (attachments.users.is_guest) never joins a space: said like an unknown username too.
        if is_guest(user) or (not user.is_active and not Membership.objects.filter(space=space, user=user).exists()):
            raise InactiveUser(str(selectors.UNKNOWN_USER))
        _refuse_losing_the_last_admin(space, user, Role(role))
        membership, _created = Membership.objects.update_or_create(
            space=space, user=user, defaults={"role": Role(role)}
        )
    return membership


def membership_remove(*, space: Space, user: User) -> None:
    """Take the user out of the space. Raises LastAdmin when they are its only admin."""
    with transaction.atomic():
        _refuse_losing_the_last_admin(space, user, None)
        Membership.objects.filter(space=space, user=user).delete()


def _refuse_losing_the_last_admin(space: Space, user: User, new_role: Role | None) -> None:
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
    created_by: User | None,
    comment: str = "",
    max_size: int | None = None,
    before_commit: Callable[[Version], object] | None = None,
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
    created_by: User | None,
    source: VersionSource | str = VersionSource.UPLOAD,
    comment: str = "",
    max_size: int | None = None,
) -> Attachment:
    """A new attachment with its first version. If storing the file fails, no attachment is left.

    It gets a name free in the space (``_under_free_title``): "Report (2).docx" when "Report.docx" is taken,
    case aside. The returned attachment's title is the name it got; callers show it.
    """
    attachment = _under_free_title(
        space=space,
        wanted=clean_title(title),
        exclude_id=None,
        write=lambda name: Attachment.objects.create(
            space=space, title=name, created_by=created_by, updated_by=created_by
        ),
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


def _under_free_title(*, space: Space | int, wanted: str, exclude_id: int | None, write: Callable[[str], T]) -> T:
    """``write(name)`` in a savepoint, with the first name free in the space (attachments.filenames.free_title).

    Names are unique per space by a database constraint on (space, lower(title)), not by a lock on the space
    row: the constraint holds for every writer (the admin, scripts, apps to come), not only for code that
    remembers to lock, and nothing stays locked while a caller's longer transaction streams a file in. Two
    writers can still pick the same free name at once; the second insert fails on the constraint (PostgreSQL
    makes it wait for the first to commit), and it tries again, now seeing the name the first one took.
    """
    for attempt in range(1, _NAME_ATTEMPTS + 1):
        name = selectors.free_title(space, wanted, exclude_id=exclude_id)
        try:
            with transaction.atomic():
                return write(name)
        except IntegrityError:
            # Any other integrity error (a space deleted meanwhile, say) is not a lost race: never retry it.
            if attempt == _NAME_ATTEMPTS or not selectors.title_taken(space, name, exclude_id=exclude_id):
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def version_upload(
    *,
    attachment: Attachment,
    uploaded_name: str,
    chunks: Iterable[bytes],
    created_by: User | None,
    comment: str = "",
    max_size: int | None = None,
) -> Version:
    """A new version a person uploads (pages and API), stored as ``version_create`` stores it.

    Its file must be of the attachment's type: the name it was uploaded under has the attachment's extension,
    case aside, since the title's extension decides how every version is served and opened. An attachment
    without an extension takes any file. Raises FileTypeMismatch before anything is stored, and FileHeld while
    someone else holds the file exclusively (attachments.editing: a desktop app has it locked).
    """
    editing.refuse_if_held(attachment, writer_id=_user_id(created_by))
    expected = attachment.file_type
    if expected and filenames.file_type(clean_title(uploaded_name)) != expected:
        raise FileTypeMismatch(
            _("The new version must be a .%(type)s file, like the current one.") % {"type": expected}
        )
    return version_create(
        attachment=attachment,
        chunks=chunks,
        source=VersionSource.UPLOAD,
        created_by=created_by,
        comment=comment,
        max_size=max_size,
    )


def _user_id(user: User | None) -> int | None:
    return user.pk if user is not None else None


def version_restore(*, version: Version, restored_by: User | None) -> Version:
    """Copy an old version's file into a new version; the history is never rewritten. FileHeld as for uploads."""
    editing.refuse_if_held(version.attachment, writer_id=_user_id(restored_by))
    return version_create(
        attachment=version.attachment,
        chunks=open_chunks(version.stored_name),
        source=VersionSource.RESTORE,
        created_by=restored_by,
        comment=f"Restored from version {version.number}",
    )


def attachment_rename(*, attachment: Attachment, title: str, renamed_by: User | None) -> Attachment:
    """Rename the attachment; its title is then the name it got.

    The new title must keep the file's extension, case aside (``_title_keeping_extension``), or ExtensionChange
    is raised and nothing changes. A name another file of the space has gets a number, as a new file's does.
    While a desktop app holds the file (attachments.editing), FileHeld, even for its holder: the app saves back
    to the name it opened.
    """
    editing.refuse_if_held(attachment, writer_id=None)
    wanted = _title_keeping_extension(attachment, clean_title(title, fallback=attachment.title))
    old_title, old_updated_by = attachment.title, attachment.updated_by

    def write(name: str) -> None:
        attachment.title = name
        attachment.updated_by = renamed_by
        attachment.save(update_fields=["title", "updated_by", "updated_at"])

    try:
        _under_free_title(space=attachment.space_id, wanted=wanted, exclude_id=attachment.pk, write=write)
    except BaseException:
        attachment.title, attachment.updated_by = old_title, old_updated_by
        raise
    return attachment


def _title_keeping_extension(attachment: Attachment, title: str) -> str:
    """``title`` with the file's own extension, or ExtensionChange when it names another one or none.

    The title's extension is the file's type: it decides how every version is served, which editor opens it and
    which files may become its next versions, so a rename never changes it. "Budget.DOCX" for "Report.docx" is
    the same type and is stored as "Budget.docx": the stored spelling of the extension is kept, being the type's
    and not part of the name a person picks. A file without an extension keeps having none.
    """
    stem, extension = filenames.split_extension(title)
    kept = filenames.split_extension(attachment.title)[1]
    if extension.lower() != kept.lower():
        if kept:
            message = _("Keep the extension .%(extension)s: the file's type cannot be changed by renaming it.") % {
                "extension": kept
            }
        else:
            message = _("Leave the name without an extension: the file's type cannot be changed by renaming it.")
        raise ExtensionChange(message)
    return f"{stem}.{kept}" if kept else title


def attachment_delete(*, attachment: Attachment) -> None:
    """Delete the attachment, its versions and, once that has committed, their files."""
    with transaction.atomic():
        _delete_with_stored_files(attachment)


def _delete_with_stored_files(obj: Attachment | Space) -> dict[str, int]:
    """Delete the row with everything that cascades from it, then, once that has committed, every stored file those
    rows named; return the number of rows deleted by model label. Call it inside a transaction.

    The files are read from Django's deletion collector, so whatever another app attached to the rows (the
    connector's changes archives of edited versions) is freed too, without the store knowing those apps. A file
    written meanwhile for a row the delete takes (a version stored at that moment) has no row left to name it:
    `onlyoffice cleanup` (connector.sweep) deletes such files, as it deletes every unreferenced file.
    """
    collector = Collector(using=router.db_for_write(type(obj), instance=obj), origin=obj)
    collector.collect([obj])
    names = _stored_names(collector)
    _total, deleted = collector.delete()

    def delete_files() -> None:
        for name in names:
            delete_quietly(name)

    transaction.on_commit(delete_files)
    return deleted


def _stored_names(collector: Collector) -> list[str]:
    def file_fields(model: type[models.Model]) -> list[str]:
        return [field.attname for field in model._meta.concrete_fields if isinstance(field, models.FileField)]

    names: list[str] = []
    for model, instances in collector.data.items():
        # The collector may hold the rows with only their keys loaded: read the names in batches, not row by row.
        pks = [instance.pk for instance in instances]
        for attname in file_fields(model):
            for start in range(0, len(pks), _DELETE_BATCH):
                rows = model._base_manager.filter(pk__in=pks[start : start + _DELETE_BATCH]).exclude(**{attname: ""})
                names.extend(rows.values_list(attname, flat=True))
    for queryset in collector.fast_deletes:
        for attname in file_fields(queryset.model):
            names.extend(queryset.exclude(**{attname: ""}).values_list(attname, flat=True))
    return names
