"""``manage.py doctemplates install``: add the shipped templates (doctemplates/builtin/) that are missing, and the
pictures of those that have none. ``manage.py doctemplates restore [KEY ...]``: add again shipped templates someone
deleted (all of them without a key).

Both are idempotent; ``make run`` runs ``install`` after the demo data on every start."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from doctemplates.builtin import BUILTINS
from doctemplates.services import (
    UnknownBuiltin,
    builtin_templates_install,
    builtin_templates_restore,
    builtin_thumbnails_install,
)


class Command(BaseCommand):
    help = (
        "Document templates: `install` adds the shipped templates that are missing, except those someone deleted "
        "(idempotent); `restore [KEY ...]` adds deleted ones again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("install", help="Add the shipped templates that are missing, except deleted ones.")
        restore = actions.add_parser("restore", help="Add shipped templates someone deleted: these, or all.")
        keys = ", ".join(builtin.key for builtin in BUILTINS)
        restore.add_argument("keys", nargs="*", metavar="KEY", help=f"A shipped template's key: {keys}.")

    def handle(self, *args: object, **options: object) -> None:
        raw = options.get("keys")
        keys = [str(key) for key in raw] if isinstance(raw, list) else []
        with transaction.atomic():
            if options["action"] == "restore":
                try:
                    added = builtin_templates_restore(keys=keys)
                except UnknownBuiltin as exc:
                    raise CommandError(str(exc)) from exc
            else:
                added = builtin_templates_install()
            pictures = builtin_thumbnails_install()
        self.stdout.write(f"Shipped templates added: {added}.")
        if pictures:
            self.stdout.write(f"Pictures given to shipped templates: {pictures}.")
