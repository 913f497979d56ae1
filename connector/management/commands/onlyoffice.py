"""``manage.py onlyoffice <subcommand>``: administer the ONLYOFFICE connector from a shell.

``onlyoffice settings [--url U] [--internal-url U] [--connector-url U] [--secret S | --clear-secret]
[--header H] [--verify-tls | --no-verify-tls]`` stores the given values (an empty value clears a field, so it
falls back to its ONLYOFFICE_* variable) and prints the effective settings and where each one comes from.
``--secret -`` reads the secret from standard input, which keeps it out of the shell history and ``ps``.
The secret is the exception: an empty one is refused, since it would turn JWT off; ``--clear-secret`` says so.

``onlyoffice check [--app-url URL]`` runs the connection check (connector/checks.py), prints each step as
PASS, FAIL or SKIP (not run: a step it needs failed, or nothing to judge it by), and exits non-zero when any
step fails; a JWT secret short enough to guess is warned about first.

``onlyoffice cleanup [--dry-run]`` lists the stored files under ``spaces/`` that no row points at and are
older than a day (connector/sweep.py), and deletes them unless ``--dry-run``.

``onlyoffice recover [--dry-run]`` stores the Document Server's forgotten files (saves whose callback failed)
whose keys this app issued as recovered versions, then deletes them from the DS (connector/forgotten.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import Style
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connector import checks, ds_settings, forgotten, sweep
from connector.docserver import DocServerError

# Command-line option -> settings field.
SETTINGS_OPTIONS = {
    "url": "public_url",
    "internal_url": "internal_url",
    "connector_url": "connector_url",
    "secret": "jwt_secret",
    "header": "jwt_header",
    "verify_tls": "verify_tls",
}
OPTION_FLAGS = {field: "--" + option.replace("_", "-") for option, field in SETTINGS_OPTIONS.items()}


class Command(BaseCommand):
    help = "Administer the ONLYOFFICE connector."

    def add_arguments(self, parser: CommandParser) -> None:
        # Subcommands, so that more (a connectivity check, say) can sit beside "settings".
        subcommands = parser.add_subparsers(dest="subcommand", required=True, title="subcommands")
        settings = subcommands.add_parser(
            "settings", help="Show the effective Document Server settings; set the ones given."
        )
        settings.add_argument("--url", help="Document Server URL as browsers reach it (public).")
        settings.add_argument("--internal-url", help="Document Server URL as this server reaches it.")
        settings.add_argument("--connector-url", help="This application's URL as the Document Server reaches it.")
        secret = settings.add_mutually_exclusive_group()
        secret.add_argument("--secret", help="The Document Server's JWT secret; '-' reads it from stdin.")
        secret.add_argument(
            "--clear-secret",
            action="store_true",
            help="Clear the stored JWT secret: ONLYOFFICE_JWT_SECRET then applies, or JWT is off.",
        )
        settings.add_argument("--header", help="The JWT header name (default Authorization).")
        settings.add_argument(
            "--verify-tls",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Verify the Document Server's TLS certificate.",
        )
        check = subcommands.add_parser("check", help="Check the connection to the Document Server and back.")
        check.add_argument(
            "--app-url",
            help="This application's address as browsers see it (for the mixed-content step); "
            "the Document Server itself reaches the connector URL.",
        )
        cleanup = subcommands.add_parser("cleanup", help="Delete stored files no version points at (older than a day).")
        cleanup.add_argument("--dry-run", action="store_true", help="Only list the files that would be deleted.")
        recover = subcommands.add_parser(
            "recover", help="Store the Document Server's forgotten files of our documents as recovered versions."
        )
        recover.add_argument("--dry-run", action="store_true", help="Only list what would be stored.")

    # Any: argparse's parsed options, shaped by add_arguments() above; Django's own signature.
    def handle(self, *args: Any, **options: Any) -> None:  # type: ignore[explicit-any]
        if options["subcommand"] == "cleanup":
            self._cleanup(dry_run=options["dry_run"])
        elif options["subcommand"] == "settings":
            self._settings(options)
        elif options["subcommand"] == "check":
            self._check(options.get("app_url"))
        elif options["subcommand"] == "recover":
            self._recover(dry_run=options["dry_run"])

    def _recover(self, *, dry_run: bool) -> None:
        if not ds_settings.current().configured:
            raise CommandError(_("The Document Server URL is not set."))
        try:
            results = forgotten.forgotten_recover(dry_run=dry_run)
        except DocServerError as exc:
            raise CommandError(exc.message) from exc
        if not results:
            self.stdout.write(_("The Document Server keeps no forgotten files."))
        for result in results:
            self.stdout.write(_recover_line(result))
        failed = sum(1 for result in results if result.outcome == "failed")
        if failed:
            raise CommandError(_("%(failed)d forgotten files could not be stored.") % {"failed": failed})

    def _cleanup(self, *, dry_run: bool) -> None:
        names = sweep.orphan_files_sweep(dry_run=dry_run)
        for name in names:
            self.stdout.write(name)
        message = _("%(count)s orphan files would be deleted.") if dry_run else _("%(count)s orphan files deleted.")
        self.stdout.write(self.style.SUCCESS(message % {"count": len(names)}))

    def _settings(self, options: Mapping[str, object]) -> None:
        changes = {field: options[option] for option, field in SETTINGS_OPTIONS.items() if options[option] is not None}
        secret = changes.get("jwt_secret")
        if isinstance(secret, str):  # as argparse gives every value of these options
            changes["jwt_secret"] = _given_secret(secret)
        if options["clear_secret"]:
            changes["jwt_secret"] = ""
        if changes:
            try:
                ds_settings.update(**changes)
            except ValidationError as exc:
                raise CommandError(_format_errors(exc)) from exc
            self.stdout.write(self.style.SUCCESS(_("Saved.")))
        self._print_effective()

    def _check(self, app_url: str | None) -> None:
        if app_url:
            try:
                app_url = str(ds_settings.validate(connector_url=app_url)["connector_url"])
            except ValidationError as exc:
                raise CommandError(f"--app-url: {' '.join(exc.messages)}") from exc
        cfg = ds_settings.current()
        warning = checks.short_secret_warning(cfg)
        if warning:
            self.stdout.write(self.style.WARNING(warning))
        results = checks.run_checks(cfg, app_url=app_url or None)
        for result in results:
            self.stdout.write(f"{_status_label(result, self.style)}  {result.title}: {result.message}")
        failed = sum(1 for result in results if not result.ok)
        if failed:
            raise CommandError(
                _("%(failed)d of %(total)d checks did not pass.") % {"failed": failed, "total": len(results)}
            )
        skipped = sum(1 for result in results if result.skipped)
        if skipped:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "All checks that ran passed; %(count)d was skipped.",
                        "All checks that ran passed; %(count)d were skipped.",
                        skipped,
                    )
                    % {"count": skipped}
                )
            )
            return
        self.stdout.write(self.style.SUCCESS(_("All checks passed.")))

    def _print_effective(self) -> None:
        cfg = ds_settings.current()
        origins = ds_settings.sources()
        rows = [
            (_("Document Server URL (public)"), cfg.public_url or _("not set"), "public_url"),
            (_("Document Server URL (internal)"), cfg.internal_url or _("not set"), "internal_url"),
            (_("Connector URL"), cfg.connector_url or _("the address of each request"), "connector_url"),
            (_("JWT secret"), ds_settings.mask_secret(cfg.jwt_secret), "jwt_secret"),
            (_("JWT header"), cfg.jwt_header, "jwt_header"),
            (_("Verify TLS"), _("yes") if cfg.verify_tls else _("no"), "verify_tls"),
        ]
        width = max(len(label) for label, _value, _field in rows)
        for label, value, field in rows:
            origin = origins[field]
            if field == "internal_url" and origin == "default" and cfg.internal_url:
                origin_text = _("same as the public URL")
            else:
                origin_text = _source_label(origin)
            self.stdout.write(f"{label.ljust(width)}  {value}  [{origin_text}]")
        if not cfg.configured:
            self.stdout.write(self.style.WARNING(_("The Document Server URL is not set: editing is off.")))
        if not cfg.jwt_enabled:
            self.stdout.write(
                self.style.WARNING(_("No JWT secret: anyone who can reach the Document Server can use it."))
            )


def _given_secret(value: str) -> str:
    """The secret ``--secret`` gave ('-': the first line of standard input); refused when empty."""
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    if not value.strip():
        # A typo or an empty pipe must not turn JWT off, and so open the callback to anyone: that takes a flag.
        raise CommandError(
            _("Nothing was changed.")
            + "\n--secret: "
            + _("The secret is empty. To turn JWT off, use --clear-secret instead.")
        )
    return value


def _status_label(result: checks.CheckResult, style: Style) -> str:
    # Fixed English words: scripts and admins grep for them whatever the language.
    if result.skipped:
        return style.WARNING("SKIP")
    return style.SUCCESS("PASS") if result.ok else style.ERROR("FAIL")


def _source_label(source: ds_settings.Source) -> str:
    return {"database": _("database"), "environment": _("environment"), "default": _("default")}[source]


def _format_errors(exc: ValidationError) -> str:
    lines = [f"{OPTION_FLAGS.get(field, field)}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
    return _("Nothing was changed.") + "\n" + "\n".join(lines)


def _recover_line(result: forgotten.RecoverResult) -> str:
    values = {
        "key": result.key,
        "attachment": result.attachment_id,
        "number": result.version_number,
        "message": result.message,
    }
    if result.outcome == "stored":
        return _("%(key)s: stored as version %(number)s of attachment %(attachment)s; deleted from the DS") % values
    if result.outcome == "already":
        return _("%(key)s: already stored in attachment %(attachment)s; the DS copy is not needed") % values
    if result.outcome == "would-store":
        return _("%(key)s: would be stored as a new version of attachment %(attachment)s") % values
    if result.outcome == "foreign":
        return _("%(key)s: not a key this application issued; left alone") % values
    return _("%(key)s: FAILED for attachment %(attachment)s: %(message)s") % values
