"""``manage.py demo``: an admin with a one-time password and a demo space with real Office files, idempotently."""

from __future__ import annotations

import io
import logging
import re

import docx
import openpyxl
import pptx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from attachments.models import Attachment, Space, Version
from attachments.storage import open_chunks

User = get_user_model()


def _run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def _password_in(output: str) -> str:
    match = re.search(r"as admin / (\S+)", output)
    assert match, output
    return match.group(1)


def _content(attachment: Attachment) -> io.BytesIO:
    version = Version.objects.get(attachment=attachment, number=attachment.current_version)
    return io.BytesIO(b"".join(open_chunks(version.file.name)))


@pytest.mark.django_db
def test_it_creates_a_superuser_and_prints_its_password_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    first = _run_demo("--host", "example.test", "--port", "8765")
    second = _run_demo()

    password = _password_in(first)
    assert "Log in at http://example.test:8765/ as admin / " in first
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(password)
    assert password not in second
    assert "manage.py changepassword admin" in second
    assert password not in caplog.text


@pytest.mark.django_db
def test_it_creates_the_demo_space_with_files_that_open() -> None:
    _run_demo()

    space = Space.objects.get(name="Demo space")
    files = {a.title: a for a in Attachment.objects.filter(space=space)}
    assert sorted(files) == ["Budget.xlsx", "Roadmap.pptx", "Welcome.docx"]
    assert all(a.current_version == 1 for a in files.values())
    welcome = docx.Document(_content(files["Welcome.docx"]))
    assert welcome.paragraphs[0].text == "Welcome to the attachment store"
    budget = openpyxl.load_workbook(_content(files["Budget.xlsx"])).active
    assert budget["A1"].value == "Item"
    assert budget["A6"].value == "Total"
    assert budget["B6"].value == sum(budget.cell(row=r, column=2).value for r in range(2, 6))
    roadmap = pptx.Presentation(_content(files["Roadmap.pptx"]))
    assert roadmap.slides[0].shapes.title.text == "Roadmap"
    assert space.memberships.get().user.username == "admin"


@pytest.mark.django_db
def test_it_adds_nothing_when_run_again() -> None:
    _run_demo()

    output = _run_demo()

    assert Space.objects.filter(name="Demo space").count() == 1
    assert Attachment.objects.count() == 3
    assert Version.objects.count() == 3
    assert User.objects.count() == 1
    assert "exists already" in output


@pytest.mark.django_db
def test_it_keeps_an_existing_admin_and_its_password() -> None:
    User.objects.create_superuser(username="admin", email="a@example.com", password="chosen by the operator")

    output = _run_demo()

    assert "as admin /" not in output
    assert User.objects.get(username="admin").check_password("chosen by the operator")
    assert Space.objects.filter(name="Demo space").exists()
