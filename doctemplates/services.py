"""Writes of document templates: add one (its content checked), delete one, install (and restore) the shipped ones,
and make a new attachment as a copy of one. Templates are read, never written, by using them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import BinaryIO, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from attachments import filetypes
from attachments.filenames import clean_title, file_type, split_extension
from attachments.models import Attachment, Space, VersionSource
from attachments.services import attachment_create
from attachments.storage import FileTooLarge, delete_quietly, open_chunks, store_chunks
from attachments.users import User
from doctemplates.builtin import BUILTINS
from doctemplates.models import DismissedBuiltin, DocumentTemplate, TemplateType

TYPES = frozenset(TemplateType.values)
THUMBNAIL_TYPES = frozenset({"png", "jpg", "gif"})
THUMBNAIL_MAX_SIZE = 2 * 1024 * 1024
_KEYS = [builtin.key for builtin in BUILTINS]
# The version's comment, stored like the other comments services write (not through gettext).
CREATED_COMMENT = "New document from the template “{name}”"


class TemplateRefused(Exception):
    """The file cannot be a template (its type, its content, its size); ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownBuiltin(ValueError):
    """Keys that name no shipped template (doctemplates/builtin.py)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"Not a shipped template: {', '.join(keys)}. The shipped ones: {', '.join(_KEYS)}.")


def _stored_checked(chunks: Iterable[bytes], *, folder: str, extension: str, max_size: int) -> tuple[str, int, str]:
    """The chunks stored under ``folder``, if their content is a file of ``extension`` (attachments.filetypes, as
    conversions are checked): a renamed executable is not a document because its name ends in .docx."""
    try:
        stored = store_chunks(chunks, name=f"{folder}/{uuid.uuid4().hex}.{extension}", max_size=max_size)
    except FileTooLarge as exc:
        raise TemplateRefused(_("The file is larger than the upload limit.")) from exc
    with default_storage.open(stored.name, "rb") as handle:
        ok = filetypes.matches(cast(BinaryIO, handle), extension)
    if not ok:
        delete_quietly(stored.name)
        raise TemplateRefused(_("The file's content is not a .%(ext)s file.") % {"ext": extension})
    return stored.name, stored.size, stored.sha256


def template_create(
    *,
    name: str,
    filename: str,
    chunks: Iterable[bytes],
    space: Space | None,
    language: str = "",
    created_by: User | None,
    thumbnail_name: str = "",
    thumbnail_chunks: Iterable[bytes] = (),
    builtin_key: str = "",
) -> DocumentTemplate:
    """A template of the file (docx, xlsx, pptx or pdf, by its extension, with content to match), for every space
    (``space`` None) or one. Raises TemplateRefused, storing nothing, for any other file or a too large one."""
    extension = file_type(filename)
    if extension not in TYPES:
        raise TemplateRefused(_("A template must be a .docx, .xlsx, .pptx or .pdf file."))
    thumbnail_type = filetypes.normalized(file_type(thumbnail_name)) if thumbnail_name else ""
    if thumbnail_name and thumbnail_type not in THUMBNAIL_TYPES:
        raise TemplateRefused(_("A thumbnail must be a PNG, JPEG or GIF image."))
    folder = f"templates/{space.pk if space else 'all'}"
    stored, size, sha256 = _stored_checked(
        chunks, folder=folder, extension=extension, max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE
    )
    thumbnail = ""
    try:
        if thumbnail_name:
            thumbnail, _size, _sha = _stored_checked(
                thumbnail_chunks, folder=folder, extension=thumbnail_type, max_size=THUMBNAIL_MAX_SIZE
            )
        return DocumentTemplate.objects.create(
            name=clean_title(name, fallback="") or split_extension(clean_title(filename))[0],
            file=stored,
            file_type=extension,
            size=size,
            sha256=sha256,
            space=space,
            language=language,
            thumbnail=thumbnail,
            builtin_key=builtin_key,
            created_by=created_by,
        )
    except BaseException:
        delete_quietly(stored)
        delete_quietly(thumbnail)
        raise


def template_delete(*, template: DocumentTemplate, deleted_by: User | None = None) -> None:
    """Delete the template and, once that is committed, its files. Documents made from it keep their own copy. A
    shipped one is recorded as dismissed, so that ``doctemplates install`` does not bring it back."""
    names = [name for name in (template.file.name, template.thumbnail.name) if name]

    def delete_files() -> None:
        for name in names:
            delete_quietly(name)

    with transaction.atomic():
        if template.builtin_key:
            DismissedBuiltin.objects.get_or_create(key=template.builtin_key, defaults={"dismissed_by": deleted_by})
        template.delete()
        transaction.on_commit(delete_files)


def template_title(template: DocumentTemplate, title: str) -> str:
    """The new file's title: the typed one (the template's name if empty) with the template's extension; a typed
    extension of the same type is not doubled."""
    stem = clean_title(title, fallback="")
    base, extension = split_extension(stem)
    if extension.lower() == template.file_type:
        stem = base
    if not stem.strip(" ."):
        stem = template.name
    return clean_title(f"{stem}.{template.file_type}")


def attachment_from_template(*, template: DocumentTemplate, space: Space, title: str, created_by: User) -> Attachment:
    """A new attachment in ``space`` holding a copy of the template's file, under a free name.

    The caller has checked that the template may be used in the space (doctemplates.selectors.usable_in). The
    template's file is only read; the copy gets its own storage and, like every new version, its own document key.
    """
    return attachment_create(
        space=space,
        title=template_title(template, title),
        chunks=open_chunks(template.file.name or ""),
        created_by=created_by,
        source=VersionSource.UPLOAD,
        comment=CREATED_COMMENT.format(name=template.name)[:500],
    )


def builtin_templates_install() -> int:
    """Add the shipped templates (doctemplates/builtin.py) that are missing, with their pictures, for every space;
    idempotent. One an admin deleted (DismissedBuiltin) stays deleted; one whose file changed is not replaced.
    Returns how many were added."""
    existing = set(DocumentTemplate.objects.exclude(builtin_key="").values_list("builtin_key", flat=True))
    dismissed = set(DismissedBuiltin.objects.values_list("key", flat=True))
    added = 0
    for builtin in BUILTINS:
        if builtin.key in existing or builtin.key in dismissed:
            continue
        template_create(
            name=builtin.name,
            filename=builtin.filename,
            chunks=[builtin.path.read_bytes()],
            space=None,
            language=builtin.language,
            created_by=None,
            thumbnail_name=builtin.thumbnail_path.name,
            thumbnail_chunks=[builtin.thumbnail_path.read_bytes()],
            builtin_key=builtin.key,
        )
        added += 1
    return added


def builtin_thumbnails_install() -> int:
    """Give the installed shipped templates that have no picture their shipped one (those installed before the
    product shipped pictures); idempotent, and a picture someone set is kept. Returns how many were given one."""
    by_key = {builtin.key: builtin for builtin in BUILTINS}
    given = 0
    for template in DocumentTemplate.objects.filter(builtin_key__in=by_key, thumbnail=""):
        path = by_key[template.builtin_key].thumbnail_path
        name, _size, _sha = _stored_checked(
            [path.read_bytes()], folder="templates/all", extension="png", max_size=THUMBNAIL_MAX_SIZE
        )
        try:
            template.thumbnail.name = name
            template.save(update_fields=["thumbnail"])
        except BaseException:
            delete_quietly(name)
            raise
        given += 1
    return given


def builtin_templates_restore(*, keys: Iterable[str] = ()) -> int:
    """Forget that the shipped templates ``keys`` (all, when empty) were deleted, and install them again, with the
    files of this release. Returns how many were added."""
    wanted = list(keys)
    unknown = sorted(set(wanted) - set(_KEYS))
    if unknown:
        raise UnknownBuiltin(unknown)
    dismissed = DismissedBuiltin.objects.all()
    (dismissed.filter(key__in=wanted) if wanted else dismissed).delete()
    return builtin_templates_install()
