"""The store's services and storage: a version is all-or-nothing, and a restore copies bytes."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Callable

import pytest
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

from attachments import selectors, services
from attachments.models import Attachment, Version, VersionSource
from attachments.storage import CHUNK_SIZE, FileTooLarge
from tests.conftest import Personas
from tests.support.storage_run import stored_names


def stored_files() -> list[str]:
    return sorted(stored_names())


@pytest.fixture
def attachment(personas: Personas, make_attachment: Callable[..., Attachment]) -> Attachment:
    return make_attachment(personas.space, "report.docx", b"first version", user=personas.owner)


class _DiskFullAfter:
    """A file object that delivers ``limit`` bytes, then fails like a full disk, recording what reached disk."""

    def __init__(self, inner: File, limit: int) -> None:
        self.inner, self.limit, self.delivered = inner, limit, 0
        self.partial_files_seen: list[str] = []

    def read(self, size: int = -1) -> bytes:
        if self.delivered >= self.limit:
            self.partial_files_seen = stored_files()
            raise OSError(errno.ENOSPC, "No space left on device")
        data = self.inner.read(min(size, self.limit - self.delivered))
        self.delivered += len(data)
        return data


@pytest.fixture
def disk_full_midway(monkeypatch: pytest.MonkeyPatch) -> list[_DiskFullAfter]:
    """The storage's real _save writes 1 MB and then the disk is full."""
    real_save = FileSystemStorage._save
    streams: list[_DiskFullAfter] = []

    def failing_save(self: FileSystemStorage, name: str, content: File) -> str:
        stream = _DiskFullAfter(content, limit=CHUNK_SIZE)
        streams.append(stream)
        return real_save(self, name, File(stream, name=name))

    monkeypatch.setattr(FileSystemStorage, "_save", failing_save)
    return streams


def chunks(total: int) -> list[bytes]:
    return [b"x" * CHUNK_SIZE] * (total // CHUNK_SIZE) + [b"x" * (total % CHUNK_SIZE)]


@pytest.mark.filesystem_only("a full disk is a file system's failure (test_storage_s3.py breaks uploads off)")
def test_it_leaves_no_version_and_no_file_when_the_disk_fills_up(
    personas: Personas, attachment: Attachment, disk_full_midway: list[_DiskFullAfter]
) -> None:
    with pytest.raises(OSError, match="No space left") as raised:
        services.version_create(
            attachment=attachment, chunks=chunks(3 * CHUNK_SIZE), source=VersionSource.UPLOAD, created_by=None
        )

    assert raised.value.errno == errno.ENOSPC
    # The failure really came midway: a partial second file was on disk when the write failed.
    assert len(disk_full_midway[0].partial_files_seen) == 2
    assert list(Version.objects.values_list("number", flat=True)) == [1]
    assert Attachment.objects.get().current_version == 1
    assert stored_files() == [attachment.versions.get().file.name]


@pytest.mark.filesystem_only("a full disk is a file system's failure (test_storage_s3.py breaks uploads off)")
def test_it_leaves_no_attachment_when_its_first_file_cannot_be_written(
    personas: Personas, disk_full_midway: list[_DiskFullAfter]
) -> None:
    with pytest.raises(OSError, match="No space left"):
        services.attachment_create(
            space=personas.space, title="big.docx", chunks=chunks(2 * CHUNK_SIZE), created_by=personas.editor
        )

    assert not Attachment.objects.exists()
    assert not Version.objects.exists()
    assert stored_files() == []


def test_it_stores_nothing_when_the_file_is_too_large(personas: Personas, attachment: Attachment) -> None:
    with pytest.raises(FileTooLarge):
        services.version_create(
            attachment=attachment,
            chunks=chunks(2 * CHUNK_SIZE + 1),
            source=VersionSource.UPLOAD,
            created_by=None,
            max_size=2 * CHUNK_SIZE,
        )

    assert Version.objects.count() == 1
    assert len(stored_files()) == 1


def test_it_stores_a_file_exactly_at_the_limit(personas: Personas, attachment: Attachment) -> None:
    version = services.version_create(
        attachment=attachment, chunks=[b"12345"], source=VersionSource.UPLOAD, created_by=None, max_size=5
    )

    assert (version.number, version.size) == (2, 5)


def test_it_deletes_the_written_file_when_the_row_cannot_be_added(personas: Personas, attachment: Attachment) -> None:
    seen: list[str] = []

    def fail(version: Version) -> None:
        seen.append(version.file.name)
        assert default_storage.exists(version.file.name)
        raise RuntimeError("bookkeeping failed")

    with pytest.raises(RuntimeError, match="bookkeeping failed"):
        services.version_create(
            attachment=attachment, chunks=[b"second"], source=VersionSource.EDITOR, created_by=None, before_commit=fail
        )

    assert len(seen) == 1
    assert not default_storage.exists(seen[0])
    assert list(Version.objects.values_list("number", flat=True)) == [1]
    assert Attachment.objects.get().current_version == 1
    assert len(stored_files()) == 1


def test_it_restores_by_copying_the_bytes(personas: Personas, attachment: Attachment) -> None:
    services.version_create(attachment=attachment, chunks=[b"second"], source=VersionSource.UPLOAD, created_by=None)
    first = attachment.versions.get(number=1)

    restored = services.version_restore(version=first, restored_by=personas.editor)

    assert (restored.number, restored.source, restored.created_by) == (3, VersionSource.RESTORE, personas.editor)
    assert restored.file.name != first.file.name
    assert (restored.sha256, restored.size) == (first.sha256, first.size)
    assert default_storage.open(restored.file.name).read() == b"first version"
    # A copy, not a shared file: deleting the old one leaves the restored one whole.
    default_storage.delete(first.file.name)
    assert hashlib.sha256(default_storage.open(restored.file.name).read()).hexdigest() == first.sha256
    attachment.refresh_from_db()
    assert (attachment.current_version, attachment.size) == (3, len(b"first version"))


def test_it_numbers_versions_without_gaps(personas: Personas, attachment: Attachment) -> None:
    for content in (b"2", b"3", b"4"):
        services.version_create(attachment=attachment, chunks=[content], source=VersionSource.UPLOAD, created_by=None)

    assert sorted(attachment.versions.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert attachment.current_version == 4


def test_it_offers_a_free_title_beside_existing_files(personas, make_attachment):
    space = personas.space
    assert selectors.free_title(space, "Report.docx") == "Report.docx"
    make_attachment(space, title="Report.docx")
    assert selectors.free_title(space, "report.docx") == "report (2).docx"
    make_attachment(space, title="Report (2).docx")
    assert selectors.free_title(space, "Report.docx") == "Report (3).docx"
    assert selectors.free_title(space, "Notes") == "Notes"
    make_attachment(space, title="Notes")
    assert selectors.free_title(space, "Notes") == "Notes (2)"


def test_it_keeps_a_free_title_within_the_length_limit(personas, make_attachment):
    long_title = "x" * 300 + ".docx"
    first = make_attachment(personas.space, title=long_title)
    second = selectors.free_title(personas.space, long_title)
    assert len(first.title) == 255
    assert len(second) <= 255
    assert second.endswith(" (2).docx")


@pytest.mark.django_db
def test_it_keeps_at_least_one_admin_in_a_space(personas) -> None:
    space, owner = personas.space, personas.owner
    with pytest.raises(services.LastAdmin):
        services.membership_set(space=space, user=owner, role="editor")
    with pytest.raises(services.LastAdmin):
        services.membership_remove(space=space, user=owner)
    services.membership_set(space=space, user=personas.editor, role="admin")
    services.membership_remove(space=space, user=owner)
    assert list(space.memberships.filter(role="admin").values_list("user__username", flat=True)) == ["eddie"]
