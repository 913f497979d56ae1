from celery.signals import worker_ready
from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "ONLYOFFICE connector"

    def ready(self) -> None:
        # The attachment store announces its events and offers slots; the connector plugs into both,
        # so that `attachments` never imports `connector`.
        from attachments.actions import (
            register_panel,
            register_rows,
            register_space_action,
            register_space_notice,
            register_space_settings,
        )
        from attachments.editing import register_holds
        from attachments.models import Version
        from attachments.permissions import register_viewer_download_policy
        from attachments.signals import version_stored
        from attachments.thumbnails import register_thumbnail_policy
        from connector import display, tasks, thumbnails, watermarks  # noqa: F401  (tasks: registers the tasks services send by name)
        from connector.checks import short_secret_log
        from connector.ds_settings import viewers_may_download
        from connector.keys import on_version_stored
        from connector.selectors import editing_now
        from connector.views import watermarks as watermark_views

        version_stored.connect(on_version_stored, sender=Version, dispatch_uid="connector.keys.on_version_stored")
        # Each new Office or PDF version gets a first-page picture, made by a task after the version commits.
        version_stored.connect(
            thumbnails.on_version_stored, sender=Version, dispatch_uid="connector.thumbnails.on_version_stored"
        )
        # What the attachment pages show of the connector (connector/display.py), in this order on each row.
        register_rows(display.editor_rows)
        register_rows(display.session_rows)
        register_rows(display.conversion_rows)
        register_rows(display.recovery_rows)
        register_space_action(display.new_document_actions)
        register_space_notice(display.setup_notices)
        # "Watermark" on a space's settings page (connector/watermarks.py).
        register_space_settings(watermark_views.settings_section)
        register_panel(display.preview_panel)
        # Who is editing: a store-level question (attachments/editing.py) the connector answers from the Document
        # Server's callbacks; the store refuses to delete a space, or trash a file, while someone edits it.
        register_holds(editing_now)
        # "Block download" keeps viewers from every copy the store hands out, not only the editor's buttons.
        register_viewer_download_policy(viewers_may_download)
        # A watermarked space shows no thumbnails: one picture for everyone cannot carry each viewer's name.
        register_thumbnail_policy(watermarks.thumbnails_allowed)
        # Said once per worker, at start-up: PyJWT's own warning on every token is silenced (connector/jwt_codec.py).
        worker_ready.connect(short_secret_log, dispatch_uid="connector.checks.short_secret_log")
