"""``manage.py thumbnails [--all] [--retry-failed]``: make the thumbnails versions stored before they existed.

Makes them here, one after the other, through the Document Server (connector/thumbnails.py), with a progress bar.
Current versions only unless ``--all``; failed ones only with ``--retry-failed``. Resumable: what is ready is
skipped, so stopping it (Ctrl-C) and running it again goes on where it stopped.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import F
from django.utils.translation import gettext as _

from attachments.filenames import file_type
from attachments.models import ThumbnailState, Version
from connector import ds_settings, thumbnails
from connector.docserver import DocServerError

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Make the missing thumbnails of current versions (of every version with --all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", dest="every", action="store_true", help="Every version, not only each file's current one."
        )
        parser.add_argument("--retry-failed", action="store_true", help="Try the failed ones again too.")

    def handle(self, *args: object, every: bool, retry_failed: bool, **options: object) -> None:
        if not ds_settings.current().configured:
            raise CommandError(_("The Document Server URL is not set."))
        ids = self._missing(every=every, retry_failed=retry_failed)
        total = len(ids)
        counts = {ThumbnailState.READY: 0, ThumbnailState.FAILED: 0, "other": 0}
        self._progress(0, total)
        try:
            for done, version_id in enumerate(ids, start=1):
                try:
                    state = thumbnails.thumbnail_make(
                        version_id=version_id, key=thumbnails.new_key(version_id), only_current=not every
                    )
                except (DocServerError, OSError):
                    # Worth another try: the state stays as it was, so the next run takes it again.
                    state = "other"
                counts[state if state in counts else "other"] += 1
                self._progress(done, total)
        except KeyboardInterrupt:
            self.stdout.write("")
            raise CommandError(_("Interrupted; run the command again to go on where it stopped.")) from None
        self.stdout.write("")
        self.stdout.write(
            _("%(ready)d thumbnails made, %(failed)d failed, %(other)d skipped or to try again.")
            % {"ready": counts[ThumbnailState.READY], "failed": counts[ThumbnailState.FAILED], "other": counts["other"]}
        )

    def _missing(self, *, every: bool, retry_failed: bool) -> list[int]:
        """The versions to do, oldest first, of types the Document Server draws (files in the trash left out)."""
        states = [ThumbnailState.NONE, ThumbnailState.PENDING] + ([ThumbnailState.FAILED] if retry_failed else [])
        versions = Version.objects.filter(thumbnail_state__in=states, attachment__deleted_at__isnull=True)
        if not every:
            versions = versions.filter(number=F("attachment__current_version"))
        rows = versions.order_by("pk").values_list("pk", "attachment__title")
        return [pk for pk, title in rows.iterator() if thumbnails.thumbnail_capable(file_type(title))]

    def _progress(self, done: int, total: int) -> None:
        """``[#####.....] 12/40``, redrawn in place on a terminal, a line per step elsewhere (a log keeps them)."""
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        if self.stdout.isatty():
            self.stdout.write(f"\r{bar}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(bar)
