"""``manage.py demo``: an admin account and a space with a few Office files, so a fresh install has something
to open. Idempotent: run by ``make run`` on every start, it only ever adds what is missing."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from attachments import ooxml, services
from attachments.models import Space
from attachments.users import User

ADMIN_USERNAME = "admin"
DEMO_SPACE_NAME = "Demo space"

_BUDGET_ITEMS: list[tuple[str, list[int]]] = [
    ("Hosting", [1200, 1200, 1300, 1300]),
    ("Licences", [800, 0, 0, 800]),
    ("Travel", [450, 900, 300, 600]),
    ("Training", [0, 1500, 0, 0]),
]


def demo_files() -> dict[str, bytes]:
    """The demo space's files by title: one of each kind the editor handles."""
    totals = [sum(column) for column in zip(*(amounts for _item, amounts in _BUDGET_ITEMS), strict=True)]
    items: list[list[str | int | float]] = [[item, *amounts] for item, amounts in _BUDGET_ITEMS]
    budget: list[list[str | int | float]] = [["Item", "Q1", "Q2", "Q3", "Q4"], *items, ["Total", *totals]]
    return {
        "Welcome.docx": ooxml.docx_bytes(
            [
                "Welcome to the attachment store",
                "A space holds files for a team. Every member has a role: viewers read, editors also change "
                "files, admins also manage members.",
                "Open this document to edit it in ONLYOFFICE. When everybody has closed the editor, the changes "
                "are stored as a new numbered version; nothing is ever overwritten.",
                "The history of each file lists its versions. Any of them can be downloaded or restored.",
            ],
            title="Welcome",
        ),
        "Budget.xlsx": ooxml.xlsx_bytes(budget, sheet_name="Budget", title="Budget"),
        "Roadmap.pptx": ooxml.pptx_bytes(
            [
                ("Roadmap", "What we plan for the attachment store this year"),
                ("Now", "Spaces, members and roles\nEditing in ONLYOFFICE with version history"),
                ("Next", "Sharing files outside a space\nNotifications when a file changes"),
                ("Later", "Full-text search\nRetention rules per space"),
            ],
            title="Roadmap",
        ),
    }


class Command(BaseCommand):
    help = "Create the demo admin account and a demo space with sample Office files (only what is missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="host shown in the banner")
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"), help="port shown in the banner")

    def handle(self, *args: object, host: str, port: str, **options: object) -> None:
        admin = self._admin(address=f"http://{host}:{port}/")
        if Space.objects.filter(name=DEMO_SPACE_NAME).exists():
            self.stdout.write(_("The demo space exists already."))
            return
        with transaction.atomic():
            space = services.space_create(
                name=DEMO_SPACE_NAME, created_by=admin, description=_("Sample files to try the editor with.")
            )
            for title, content in demo_files().items():
                services.attachment_create(space=space, title=title, chunks=[content], created_by=admin)
        self.stdout.write(self.style.SUCCESS(_("Created %(space)s with sample files.") % {"space": DEMO_SPACE_NAME}))

    def _admin(self, *, address: str) -> User:
        user_model = get_user_model()
        existing = user_model.objects.filter(username=ADMIN_USERNAME).first()
        if existing is not None:
            self.stdout.write(
                _("The demo account %(user)s exists. Forgot its password? Run: ./manage.py changepassword %(user)s")
                % {"user": ADMIN_USERNAME}
            )
            return existing
        # Shown once on the terminal and never stored anywhere else: only the hash is in the database.
        password = secrets.token_urlsafe(12)
        admin = user_model.objects.create_superuser(
            username=ADMIN_USERNAME, email="admin@example.com", password=password
        )
        rule = "=" * 72
        banner = _("Log in at %(address)s as %(user)s / %(password)s") % {
            "address": address,
            "user": ADMIN_USERNAME,
            "password": password,
        }
        note = _("This password is shown only now. Change it with: ./manage.py changepassword %(user)s") % {
            "user": ADMIN_USERNAME
        }
        self.stdout.write(f"\n{rule}\n{self.style.SUCCESS(banner)}\n{note}\n{rule}\n")
        return admin
