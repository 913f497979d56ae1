from celery.signals import worker_ready
from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "ONLYOFFICE connector"

    def ready(self) -> None:
        # The attachment store announces its events and offers slots; the connector plugs into both,
        # so that `attachments` never imports `connector`.
        from attachments.actions import register_rows, register_space_action, register_space_notice
        from attachments.editing import register_holds
        from attachments.models import Version
        from attachments.permissions import register_viewer_download_policy
        from attachments.signals import version_stored
        from connector import display, tasks  # noqa: F401  (tasks: registers the tasks services send by name)
        from connector.checks import short_secret_log
        from connector.ds_settings import viewers_may_download
        from connector.keys import on_version_stored
        from connector.selectors import editing_now

        version_stored.connect(on_version_stored, sender=Version, dispatch_uid="connector.keys.on_version_stored")
        # What the attachment pages show of the connector (connector/display.py), in this order on each row.
        register_rows(display.editor_rows)
        register_rows(display.session_rows)
        register_rows(display.conversion_rows)
        register_rows(display.recovery_rows)
        register_space_action(display.new_document_actions)
        register_space_notice(display.setup_notices)
        # Who is editing: a store-level question (attachments/editing.py) the connector answers from the Document
        # Server's callbacks; the store refuses to delete a space, or trash a file, while someone edits it.
        register_holds(editing_now)
        # "Block download" keeps viewers from every copy the store hands out, not only the editor's buttons.
        register_viewer_download_policy(viewers_may_download)
        # Said once per worker, at start-up: PyJWT's own warning on every token is silenced (connector/jwt_codec.py).
        worker_ready.connect(short_secret_log, dispatch_uid="connector.checks.short_secret_log")
