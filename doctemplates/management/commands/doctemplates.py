"""``manage.py doctemplates install``: add the shipped templates (doctemplates/builtin/) that are missing.

Idempotent; ``make run`` runs it after the demo data on every start."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from doctemplates.services import builtin_templates_install


class Command(BaseCommand):
    help = "Document templates: `install` adds the shipped templates that are missing (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["install"])

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            added = builtin_templates_install()
        self.stdout.write(f"Shipped templates added: {added}.")
