"""``manage.py onlyoffice <subcommand>``: administer the ONLYOFFICE connector from a shell.

``onlyoffice settings [--url U] [--internal-url U] [--connector-url U] [--secret S] [--header H]
[--verify-tls | --no-verify-tls]`` stores the given values (an empty value clears a field, so it falls back
to its ONLYOFFICE_* variable) and prints the effective settings and where each one comes from.
``--secret -`` reads the secret from standard input, which keeps it out of the shell history and ``ps``.

``onlyoffice check [--app-url URL]`` runs the connection check (connector/checks.py), prints each step as
PASS, FAIL or SKIP, and exits non-zero when any step fails.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from connector import checks, config

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
        settings.add_argument("--secret", help="The Document Server's JWT secret; '-' reads it from stdin.")
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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "settings":
            self._settings(options)
        elif options["subcommand"] == "check":
            self._check(options.get("app_url"))

    def _settings(self, options: dict[str, Any]) -> None:
        changes = {field: options[option] for option, field in SETTINGS_OPTIONS.items() if options[option] is not None}
        if changes.get("jwt_secret") == "-":
            changes["jwt_secret"] = sys.stdin.readline().rstrip("\r\n")
        if changes:
            try:
                config.update(**changes)
            except ValidationError as exc:
                raise CommandError(_format_errors(exc)) from exc
            self.stdout.write(self.style.SUCCESS(_("Saved.")))
        self._print_effective()

    def _check(self, app_url: str | None) -> None:
        if app_url:
            try:
                app_url = config.validate(connector_url=app_url)["connector_url"]
            except ValidationError as exc:
                raise CommandError(f"--app-url: {' '.join(exc.messages)}") from exc
        results = checks.run_checks(config.current(), app_url=app_url or None)
        for result in results:
            self.stdout.write(f"{_status_label(result, self.style)}  {result.title}: {result.message}")
        failed = sum(1 for result in results if not result.ok)
        if failed:
            raise CommandError(
                _("%(failed)d of %(total)d checks did not pass.") % {"failed": failed, "total": len(results)}
            )
        self.stdout.write(self.style.SUCCESS(_("All checks passed.")))

    def _print_effective(self) -> None:
        cfg = config.current()
        origins = config.sources()
        rows = [
            (_("Document Server URL (public)"), cfg.public_url or _("not set"), "public_url"),
            (_("Document Server URL (internal)"), cfg.internal_url or _("not set"), "internal_url"),
            (_("Connector URL"), cfg.connector_url or _("the address of each request"), "connector_url"),
            (_("JWT secret"), config.mask_secret(cfg.jwt_secret), "jwt_secret"),
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


def _status_label(result: checks.CheckResult, style: Any) -> str:
    # Fixed English words: scripts and admins grep for them whatever the language.
    if result.skipped:
        return style.WARNING("SKIP")
    return style.SUCCESS("PASS") if result.ok else style.ERROR("FAIL")


def _source_label(source: config.Source) -> str:
    return {"database": _("database"), "environment": _("environment"), "default": _("default")}[source]


def _format_errors(exc: ValidationError) -> str:
    lines = [f"{OPTION_FLAGS.get(field, field)}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
    return _("Nothing was changed.") + "\n" + "\n".join(lines)
