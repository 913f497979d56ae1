"""The trash through the pages: a deleted file leaves every list but keeps its files, editors restore what they deleted,
admins restore or purge anything, a restored name is numbered when taken, and the sweep purges only expired files."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from attachments import editing, services, tasks, trash
from attachments.errors import NotInTrash
from attachments.models import Attachment
from tests.conftest import Personas
from tests.support.production import run_with_production_settings
from tests.support.storage_run import stored_names

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "staff"]


def stored_files() -> list[str]:
    return sorted(stored_names())


def trash_it(attachment: Attachment, by) -> Attachment:
    trash.attachment_trash(attachment=attachment, deleted_by=by)
    return attachment


def backdate(attachment: Attachment, days: float) -> None:
    """The file went to the trash ``days`` ago."""
    Attachment.objects.filter(pk=attachment.pk).update(deleted_at=timezone.now() - timedelta(days=days))


# --- moving to the trash -------------------------------------------------------------------------------------------


def test_it_moves_a_deleted_file_to_the_trash_out_of_every_list_and_keeps_its_files(
    personas: Personas, make_attachment
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)
    kept = make_attachment(personas.space, "Kept.docx", b"kept", user=personas.owner)
    editor = personas.client_for("editor")

    response = editor.post(reverse("attachment_delete", args=[attachment.pk]))

    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.deleted_by == personas.editor
    assert attachment.deleted_at is not None
    space_page = editor.get(reverse("space_detail", args=[personas.space.pk]), follow=True).content.decode()
    assert "“Plan.docx” was moved to the trash." in space_page
    assert reverse("attachment_detail", args=[attachment.pk]) not in space_page
    assert reverse("attachment_detail", args=[kept.pk]) in space_page
    rows = editor.get(reverse("space_rows", args=[personas.space.pk]), {"ids": f"{attachment.pk},{kept.pk}"}).json()
    assert [row["id"] for row in rows["rows"]] == [kept.pk]
    for name in ("attachment_detail", "attachment_download", "attachment_rename"):
        assert editor.get(reverse(name, args=[attachment.pk])).status_code == 404, name
    home = editor.get(reverse("home")).content.decode()
    assert re.search(r"\b1 file\b", home), home
    # Storage is freed only when the file is purged.
    assert len(stored_files()) == 2


def test_it_says_move_to_trash_in_the_file_menu_for_editors_only(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    url = reverse("space_detail", args=[personas.space.pk])
    trash_url = reverse("space_trash", args=[personas.space.pk])

    pages = {name: personas.client_for(name).get(url).content.decode() for name in ("viewer", "editor", "owner")}
    confirm = personas.client_for("editor").get(reverse("attachment_delete", args=[attachment.pk])).content.decode()

    assert "Move to trash…" not in pages["viewer"]
    assert trash_url not in pages["viewer"]
    for name in ("editor", "owner"):
        assert "Move to trash…" in pages[name]
        assert trash_url in pages[name]
    assert "stays in the space's trash for 30 days" in confirm
    assert "Move to trash</span></button>" in confirm


def test_it_refuses_a_file_held_by_a_session_whose_people_cannot_be_named(
    personas: Personas, make_attachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    # An editing app that knows a session holds the file but not who is in it (an account deleted since, say).
    monkeypatch.setattr(editing, "_providers", [lambda attachments: {attachment.pk: [editing.Hold(app="onlyoffice")]}])

    response = personas.client_for("editor").post(reverse("attachment_delete", args=[attachment.pk]))

    assert response.status_code == 409
    assert "“Plan.docx” is being edited; it can be deleted once the session ends." in response.content.decode()
    assert Attachment.objects.get(pk=attachment.pk).deleted_at is None


# --- the trash page ------------------------------------------------------------------------------------------------


def test_it_lists_who_deleted_each_file_when_and_when_it_is_purged(
    personas: Personas, make_attachment, settings
) -> None:
    settings.ATTACHMENTS_TRASH_DAYS = 7
    attachment = trash_it(make_attachment(personas.space, "Plan.docx", user=personas.owner), personas.editor)

    page = personas.client_for("owner").get(reverse("space_trash", args=[personas.space.pk])).content.decode()

    row = re.search(rf'<tr data-trashed-id="{attachment.pk}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    assert "Plan.docx" in row.group(1)
    assert "Eddie Editor" in row.group(1)
    assert f'datetime="{attachment.deleted_at.isoformat()}"' in row.group(1)
    assert f'datetime="{(attachment.deleted_at + timedelta(days=7)).isoformat()}"' in row.group(1)
    assert reverse("trash_restore", args=[attachment.pk]) in row.group(1)
    assert reverse("trash_purge", args=[attachment.pk]) in row.group(1)
    assert "Deleted files stay here for 7 days" in page


def test_it_shows_editors_only_the_files_they_deleted(personas: Personas, make_attachment) -> None:
    mine = trash_it(make_attachment(personas.space, "Mine.docx", user=personas.editor), personas.editor)
    theirs = trash_it(make_attachment(personas.space, "Theirs.docx", user=personas.owner), personas.owner)
    url = reverse("space_trash", args=[personas.space.pk])

    editor_page = personas.client_for("editor").get(url).content.decode()
    owner_page = personas.client_for("owner").get(url).content.decode()

    assert "Mine.docx" in editor_page and "Theirs.docx" not in editor_page
    assert reverse("trash_purge", args=[mine.pk]) not in editor_page
    assert "Mine.docx" in owner_page and "Theirs.docx" in owner_page
    refused = personas.client_for("editor").post(reverse("trash_restore", args=[theirs.pk]))
    assert refused.status_code == 403
    assert Attachment.objects.get(pk=theirs.pk).deleted_at is not None


@dataclass(frozen=True)
class TrashEndpoint:
    name: str
    method: str
    # Expected status for: anonymous ("login": the login redirect), outsider, viewer, editor, owner, staff.
    expected: tuple[int | str, ...]
    url: Callable[[Personas, Attachment], str]


TRASH_ENDPOINTS = [
    TrashEndpoint(
        "space_trash", "get", ("login", 404, 403, 200, 200, 200), lambda p, a: f"/spaces/{p.space.pk}/trash/"
    ),
    TrashEndpoint(
        "trash_restore", "post", ("login", 404, 403, 302, 302, 302), lambda p, a: f"/attachments/{a.pk}/restore/"
    ),
    TrashEndpoint("trash_purge", "get", ("login", 404, 403, 403, 200, 200), lambda p, a: f"/attachments/{a.pk}/purge/"),
    TrashEndpoint(
        "trash_purge", "post", ("login", 404, 403, 403, 302, 302), lambda p, a: f"/attachments/{a.pk}/purge/"
    ),
    TrashEndpoint(
        "attachment_delete", "post", ("login", 404, 403, 302, 302, 302), lambda p, a: f"/attachments/{a.pk}/delete/"
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", TRASH_ENDPOINTS, ids=lambda e: f"{e.method}-{e.name}")
def test_it_applies_the_trash_permissions_per_persona(
    personas: Personas, make_attachment, persona: str, endpoint: TrashEndpoint
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    if endpoint.name != "attachment_delete":
        trash_it(attachment, personas.editor)  # the editor may restore what they deleted
    url = endpoint.url(personas, attachment)
    assert url == reverse(endpoint.name, args=[personas.space.pk if endpoint.name == "space_trash" else attachment.pk])

    response = getattr(personas.client_for(persona), endpoint.method)(url)

    expected = endpoint.expected[PERSONAS.index(persona)]
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected


def test_it_hides_a_file_that_is_not_in_the_trash_from_restore_and_purge(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    owner = personas.client_for("owner")

    assert owner.post(reverse("trash_restore", args=[attachment.pk])).status_code == 404
    assert owner.post(reverse("trash_purge", args=[attachment.pk])).status_code == 404
    assert Attachment.objects.get(pk=attachment.pk).deleted_at is None


# --- restore -------------------------------------------------------------------------------------------------------


def test_it_restores_a_file_with_its_versions(personas: Personas, make_attachment) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", b"v1", user=personas.owner)
    services.version_create(attachment=attachment, chunks=[b"v2"], source="upload", created_by=personas.owner)
    trash_it(attachment, personas.editor)

    response = personas.client_for("editor").post(reverse("trash_restore", args=[attachment.pk]), follow=True)

    assert "“Plan.docx” was restored." in response.content.decode()
    attachment.refresh_from_db()
    assert (attachment.title, attachment.current_version, attachment.deleted_at) == ("Plan.docx", 2, None)
    assert attachment.deleted_by is None
    assert personas.client_for("viewer").get(reverse("attachment_detail", args=[attachment.pk])).status_code == 200


def test_it_restores_into_a_taken_name_with_the_next_free_number(personas: Personas, make_attachment) -> None:
    trashed = trash_it(make_attachment(personas.space, "Plan.docx", b"old", user=personas.owner), personas.owner)
    newer = make_attachment(personas.space, "plan.DOCX", b"new", user=personas.owner)
    make_attachment(personas.space, "Plan (2).docx", b"other", user=personas.owner)

    response = personas.client_for("owner").post(reverse("trash_restore", args=[trashed.pk]), follow=True)

    trashed.refresh_from_db()
    assert trashed.title == "Plan (3).docx"
    assert newer.title == "plan.DOCX"
    assert (
        "“Plan.docx” was restored as “Plan (3).docx”: the space already has a file of that name."
        in response.content.decode()
    )


def test_it_lets_a_new_file_take_the_name_of_a_trashed_one(personas: Personas, make_attachment) -> None:
    first = trash_it(make_attachment(personas.space, "Plan.docx", user=personas.owner), personas.owner)
    second = make_attachment(personas.space, "Plan.docx", user=personas.owner)
    trash_it(second, personas.owner)
    third = make_attachment(personas.space, "PLAN.docx", user=personas.owner)

    # A page upload of the name is not numbered either.
    personas.client_for("editor").post(
        reverse("attachment_upload", args=[personas.space.pk]), {"file": SimpleUploadedFile("Report.docx", b"r")}
    )
    trash_it(Attachment.objects.get(title="Report.docx"), personas.editor)
    personas.client_for("editor").post(
        reverse("attachment_upload", args=[personas.space.pk]), {"file": SimpleUploadedFile("Report.docx", b"r")}
    )

    assert (first.title, second.title, third.title) == ("Plan.docx", "Plan.docx", "PLAN.docx")
    assert Attachment.objects.filter(title="Report.docx", deleted_at__isnull=True).count() == 1
    # The constraint still holds among the files in the space.
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.create(space=personas.space, title="plan.docx")


def test_it_tells_whoever_restores_second_that_the_file_is_back_already(personas: Personas, make_attachment) -> None:
    attachment = trash_it(make_attachment(personas.space, "Plan.docx", user=personas.owner), personas.owner)
    stale = Attachment.objects.get(pk=attachment.pk)
    trash.attachment_restore(attachment=attachment)

    with pytest.raises(NotInTrash, match="no longer in the trash"):
        trash.attachment_restore(attachment=stale)
    with pytest.raises(NotInTrash):
        trash.attachment_purge(attachment=stale)
    assert Attachment.objects.get(pk=attachment.pk).deleted_at is None


# --- purge and the sweep -------------------------------------------------------------------------------------------


def test_it_purges_a_file_for_good_and_frees_its_storage_then(
    personas: Personas, make_attachment, django_capture_on_commit_callbacks
) -> None:
    attachment = make_attachment(personas.space, "Plan.docx", b"v1", user=personas.owner)
    services.version_create(attachment=attachment, chunks=[b"v2"], source="upload", created_by=personas.owner)
    make_attachment(personas.space, "Kept.docx", b"kept", user=personas.owner)
    trash_it(attachment, personas.editor)
    owner = personas.client_for("owner")
    assert len(stored_files()) == 3

    confirm = owner.get(reverse("trash_purge", args=[attachment.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("trash_purge", args=[attachment.pk]))

    assert "All 2 versions will be deleted for every member of Engineering. This cannot be undone." in confirm
    assert response["Location"] == reverse("space_trash", args=[personas.space.pk])
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored_files()) == 1


def test_it_sweeps_only_the_files_whose_days_in_the_trash_are_up(
    personas: Personas, make_attachment, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ATTACHMENTS_TRASH_DAYS = 10
    expired = trash_it(make_attachment(personas.space, "Old.docx", b"old", user=personas.owner), personas.owner)
    fresh = trash_it(make_attachment(personas.space, "New.docx", b"new", user=personas.owner), personas.owner)
    live = make_attachment(personas.space, "Live.docx", b"live", user=personas.owner)
    Attachment.objects.filter(pk=live.pk).update(updated_at=timezone.now() - timedelta(days=400))
    backdate(expired, 10.01)
    backdate(fresh, 9.99)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.trash_sweep.delay()  # eager in tests: the task body, through Celery's call path

    assert set(Attachment.objects.values_list("title", flat=True)) == {"New.docx", "Live.docx"}
    assert len(stored_files()) == 2
    assert trash.purge_due(Attachment.objects.get(pk=fresh.pk)) > timezone.now()


def test_it_never_sweeps_a_file_restored_and_deleted_again_after_the_sweep_listed_it(
    personas: Personas, make_attachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = trash_it(make_attachment(personas.space, "Plan.docx", user=personas.owner), personas.owner)
    backdate(attachment, 31)
    purge = trash._purge

    def restored_and_deleted_again_first(attachment_id: int, **kwargs: object) -> bool:
        # Between the sweep's listing and its purge of this file, someone restores it and deletes it again.
        trash.attachment_restore(attachment=Attachment.objects.get(pk=attachment_id))
        trash_it(Attachment.objects.get(pk=attachment_id), personas.owner)
        return purge(attachment_id, **kwargs)

    monkeypatch.setattr(trash, "_purge", restored_and_deleted_again_first)

    assert trash.trash_sweep() == 0
    assert Attachment.objects.get(pk=attachment.pk).deleted_at > timezone.now() - timedelta(minutes=1)


def test_it_schedules_the_trash_sweep_hourly() -> None:
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == tasks.trash_sweep.name]

    assert len(entries) == 1
    assert entries[0]["schedule"] <= 3600


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("30d", "ATTACHMENTS_TRASH_DAYS='30d' is not a whole number"),
        ("0", "ATTACHMENTS_TRASH_DAYS=0 must be at least 1"),
    ],
)
def test_it_refuses_a_trash_days_setting_it_cannot_read(tmp_path: Path, raw: str, message: str) -> None:
    done = run_with_production_settings(
        "import django; django.setup()", tmp_path, DJANGO_SECRET_KEY="x" * 50, ATTACHMENTS_TRASH_DAYS=raw
    )

    assert done.returncode != 0
    assert message in done.stderr


def test_it_reads_the_trash_days_setting(tmp_path: Path) -> None:
    done = run_with_production_settings(
        "import django; django.setup(); from django.conf import settings; print(settings.ATTACHMENTS_TRASH_DAYS)",
        tmp_path,
        DJANGO_SECRET_KEY="x" * 50,
        ATTACHMENTS_TRASH_DAYS="7",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7"
