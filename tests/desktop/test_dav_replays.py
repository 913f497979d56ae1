"""Replays of the request sequences Word and LibreOffice send (tests/desktop/sequences.py says where each step
comes from: captures, the clients' source code, and what is inferred): open, lock, save twice, close; and opening a
file someone else holds. Each step must get the answer the client needs to carry on, and the end state must be what
the user expects: one version per save, by them, and the lock gone."""

from __future__ import annotations

import pytest

from attachments.models import Attachment, VersionSource
from desktop.models import DesktopLock
from tests.desktop import sequences
from tests.desktop.dav import Answer, Dav
from tests.desktop.sequences import Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Report.docx", b"version one", personas.owner)


def replay(dav: Dav, steps: list[Step]) -> list[tuple[Step, Answer]]:
    """Send the steps in order, as the client would: its lock token once it has one, new bytes at each save."""
    answers: list[tuple[Step, Answer]] = []
    saves = 0
    for step in steps:
        body: bytes | str = b""
        if step["body"] == "{document}":
            saves += 1
            body = f"saved by the desktop app, save {saves}".encode()
        elif step["body"]:
            body = _filled(step["body"], dav)
        headers = {_meta(name): _filled(value, dav) for name, value in step["headers"].items()}
        headers.setdefault("content_type", "application/octet-stream")
        answer = dav.send(step["method"], _filled(step["path"], dav), body, **headers)
        if step["method"] == "LOCK" and "lock-token" in answer.headers:
            dav.lock_token = answer.headers["lock-token"].strip("<>")
        answers.append((step, answer))
    return answers


def _filled(text: str, dav: Dav) -> str:
    folder = dav.folder.rstrip("/")
    return (
        text.replace("{file}", f"{folder}/Report.docx")
        .replace("{folder}", folder)
        .replace("{lock_token}", dav.lock_token)
    )


def _meta(header: str) -> str:
    if header.lower() == "content-type":
        return "content_type"
    return "HTTP_" + header.upper().replace("-", "_")


def assert_every_step_answered_as_the_client_needs(answers: list[tuple[Step, Answer]]) -> None:
    for number, (step, answer) in enumerate(answers, start=1):
        expected = step["expect"] if isinstance(step["expect"], tuple) else (step["expect"],)
        assert answer.status in expected, f"step {number}: {step['method']} {step['path']} -> {answer.status}"


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(sequences.WORD_OPEN_EDIT_SAVE_CLOSE, id="word"),
        pytest.param(sequences.WORD_OPEN_WITH_PROTOCOL_HANDLER_QUERY, id="word-query-string"),
        pytest.param(sequences.LIBREOFFICE_OPEN_EDIT_SAVE_CLOSE, id="libreoffice"),
    ],
)
def test_a_client_opens_locks_saves_and_closes_and_each_save_is_a_version_by_the_user(
    personas, report, steps: list[Step]
) -> None:
    dav = Dav(user=personas.editor, attachment=report)

    assert_every_step_answered_as_the_client_needs(replay(dav, steps))

    report.refresh_from_db()
    saves = sum(1 for step in steps if step["method"] == "PUT")
    new = list(report.versions.filter(number__gt=1).order_by("number"))
    assert len(new) == saves
    assert {(version.source, version.created_by_id) for version in new} <= {(VersionSource.DESKTOP, personas.editor.pk)}
    if any(step["method"] == "UNLOCK" for step in steps):
        assert not DesktopLock.objects.filter(broken_at__isnull=True).exists()


def test_word_s_put_that_names_its_lock_in_a_lock_token_header_is_its_own_lock_s_write(personas, report) -> None:
    dav = Dav(user=personas.editor, attachment=report)
    assert dav.lock(owner="DOMAIN\\eddie").status == 200

    answers = replay(dav, [sequences.WORD_PUT_WITH_LOCK_TOKEN_HEADER])

    assert_every_step_answered_as_the_client_needs(answers)
    report.refresh_from_db()
    assert report.current_version == 2


def test_word_s_proppatch_without_a_lock_token_is_its_own_lock_s_write_and_nobody_else_s(personas, report) -> None:
    proppatch = next(step for step in sequences.WORD_OPEN_EDIT_SAVE_CLOSE if step["method"] == "PROPPATCH")
    holder = Dav(user=personas.editor, attachment=report)
    assert holder.lock(owner="DOMAIN\\eddie").status == 200

    [(_step, own)] = replay(holder, [proppatch])
    [(_step, others)] = replay(Dav(user=personas.owner, attachment=report), [proppatch])

    # Windows' file times are not kept (no dead properties): each is refused in the multistatus, never as locked.
    assert own.status == 207
    assert "HTTP/1.1 403 Forbidden" in own.text and "423" not in own.text
    assert others.status == 423


@pytest.mark.parametrize(
    ("steps", "client"),
    [
        pytest.param(sequences.WORD_OPEN_LOCKED_BY_OTHER, "word", id="word"),
        pytest.param(sequences.LIBREOFFICE_OPEN_LOCKED_BY_OTHER, "libreoffice", id="libreoffice"),
    ],
)
def test_a_client_opening_a_file_someone_else_holds_is_refused_and_can_read_who(
    personas, report, steps: list[Step], client: str
) -> None:
    holder = Dav(user=personas.owner, attachment=report)
    assert holder.lock(owner="olivia").status == 200
    dav = Dav(user=personas.editor, attachment=report)

    answers = replay(dav, steps)

    assert_every_step_answered_as_the_client_needs(answers)
    discovery = [answer.text for step, answer in answers if "lockdiscovery" in (step["body"] or "")]
    if client == "libreoffice":
        # LibreOffice shows the <owner> text as the user in its "Document in Use" dialog.
        assert discovery and "Olivia Owner" in discovery[-1]
    report.refresh_from_db()
    assert report.current_version == 1
    assert DesktopLock.objects.get().user == personas.owner
