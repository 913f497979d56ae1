from django.apps import AppConfig


class DocTemplatesConfig(AppConfig):
    name = "doctemplates"
    verbose_name = "Document templates"

    def ready(self) -> None:
        # The store's slots: "Templates" in a space's toolbar for its admins, and ``template`` as what
        # ``POST /api/attachments/`` can make a file from; `attachments` never imports `doctemplates`.
        from attachments.actions import register_space_action
        from attachments.api import register_attachment_source
        from doctemplates import api, display

        register_space_action(display.space_actions)
        register_attachment_source("template", api.attachment_from_template)
