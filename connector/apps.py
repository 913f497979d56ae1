from celery.signals import worker_ready
from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "ONLYOFFICE connector"

    def ready(self) -> None:
        # The attachment store announces its events and offers slots; the connector plugs into both,
        # so that `attachments` never imports `connector`.
        from attachments.actions import register_rows, register_space_action, register_space_notice
        from attachments.editing import register_editors
        from attachments.models import Version
        from attachments.permissions import register_viewer_download_policy
        from attachments.signals import version_stored
        from connector.actions import editing_now, editor_rows, setup_notices
        from connector.checks import short_secret_log
        from connector.config import viewers_may_download
        from connector.conversion import conversion_rows
        from connector.keys import on_version_stored
        from connector.newdocs import new_document_actions
        from connector.recovery import recovery_rows
        from connector.sessions import session_rows

        version_stored.connect(on_version_stored, sender=Version, dispatch_uid="connector.keys.on_version_stored")
        register_rows(editor_rows)
        register_rows(session_rows)
        register_rows(conversion_rows)
        register_rows(recovery_rows)
        register_space_action(new_document_actions)
        register_space_notice(setup_notices)
        # Who is editing: the store refuses to delete a space while one of its files is open in an editor.
        register_editors(editing_now)
        # "Block download" keeps viewers from every copy the store hands out, not only the editor's buttons.
        register_viewer_download_policy(viewers_may_download)
        # Said once per worker, at start-up: PyJWT's own warning on every token is silenced (connector/jwt_codec.py).
        worker_ready.connect(short_secret_log, dispatch_uid="connector.checks.short_secret_log")
