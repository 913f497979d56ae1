from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Share links"

    def ready(self) -> None:
        # The store's slots: a link's guests reach its one file (attachments.permissions), and the file's page
        # lists its links (attachments.actions); `attachments` never imports `sharing`.
        from attachments.permissions import register_file_grant
        from sharing.services import guest_role

        register_file_grant(guest_role)
