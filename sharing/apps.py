from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Share links"

    def ready(self) -> None:
        # The store's slots: a link's guests reach its one file (attachments.permissions), the file's page makes and
        # lists its links, and the space's toolbar leads its admins to all of them (attachments.actions);
        # `attachments` never imports `sharing`.
        from attachments.actions import register_panel, register_space_action
        from attachments.permissions import register_file_grant
        from sharing import display, tasks  # noqa: F401  (tasks: registers the task services send by name)
        from sharing.services import guest_role

        register_file_grant(guest_role)
        register_panel(display.file_panel)
        register_space_action(display.space_actions)
