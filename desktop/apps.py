from django.apps import AppConfig


class DesktopConfig(AppConfig):
    name = "desktop"
    verbose_name = "Desktop editing over WebDAV"

    def ready(self) -> None:
        # The store's slots (attachments/editing.py, attachments/actions.py): desktop locks are holds like
        # ONLYOFFICE sessions, and the pages offer "Open in desktop app"; `attachments` never imports `desktop`.
        from attachments.actions import register_panel, register_rows
        from attachments.editing import register_holds
        from desktop import display, tasks  # noqa: F401  (tasks: registers the sweep by name)
        from desktop.locks import desktop_holds, live_probe

        register_holds(desktop_holds, exclusive=True, probe=live_probe)
        register_rows(display.desktop_rows)
        register_panel(display.file_panel)
