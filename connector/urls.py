"""The connector's URLs, under /onlyoffice/; each view module is one kind of caller (connector/views/__init__.py)."""

from django.urls import path

from connector.views import (
    conversion,
    desktop_editors,
    docserver,
    editor,
    events,
    history,
    newdocs,
    presence,
    preview,
    saves,
    sessions,
    settings,
    watermarks,
)

urlpatterns = [
    # The editor page, and the JSON its scripts call.
    path("editor/<int:attachment_id>/", editor.editor_page, name="onlyoffice-editor"),
    path("editor/<int:attachment_id>/presence/", presence.presence, name="onlyoffice-presence"),
    path("editor/<int:attachment_id>/history/", history.history_list, name="onlyoffice-history"),
    path("editor/<int:attachment_id>/history-data/", history.history_data, name="onlyoffice-history-data"),
    path("editor/<int:attachment_id>/restore/", history.restore, name="onlyoffice-restore"),
    path("editor/<int:attachment_id>/spaces/", events.spaces, name="onlyoffice-event-spaces"),
    path("editor/<int:attachment_id>/save-as/", events.save_as, name="onlyoffice-event-save-as"),
    path("editor/<int:attachment_id>/rename/", events.rename, name="onlyoffice-event-rename"),
    path("editor/<int:attachment_id>/images/", events.images, name="onlyoffice-event-images"),
    path("editor/<int:attachment_id>/images/<int:image_id>/", events.image, name="onlyoffice-event-image"),
    path("editor/<int:attachment_id>/users/", events.users, name="onlyoffice-event-users"),
    path("editor/<int:attachment_id>/notify/", events.notify, name="onlyoffice-event-notify"),
    # The file page's preview, framed by it (the only page that may be framed: by our own pages).
    path("preview/<int:attachment_id>/", preview.preview_page, name="onlyoffice-preview"),
    # Pages and the attachment pages' menus.
    path("new/<int:space_id>/", newdocs.new_document, name="onlyoffice-new"),
    path("forcesave/<int:attachment_id>/", sessions.forcesave, name="onlyoffice-forcesave"),
    path("drop/<int:attachment_id>/", sessions.drop, name="onlyoffice-drop"),
    path("saves/<int:save_request_id>/retry/", saves.save_retry, name="onlyoffice-save-retry"),
    path("settings/", settings.settings_page, name="onlyoffice-settings"),
    path("spaces/<int:space_id>/watermark/", watermarks.space_watermark, name="onlyoffice-space-watermark"),
    path("convert/<int:attachment_id>/", conversion.convert_page, name="onlyoffice-convert"),
    path("conversions/<int:job_id>/", conversion.conversion_page, name="onlyoffice-conversion"),
    path("conversions/<int:job_id>/status/", conversion.conversion_status, name="onlyoffice-conversion-status"),
    path("conversions/<int:job_id>/file/", conversion.conversion_file, name="onlyoffice-conversion-file"),
    # ONLYOFFICE Desktop Editors' "Connect to cloud" (docs/desktop-editors.md): the page it opens once connected,
    # and the status it checks first, which must stay outside any SSO gate like the Document Server's paths below.
    path("desktop/login/", desktop_editors.landing, name="onlyoffice-desktop-login"),
    path("desktop/status.json", desktop_editors.status, name="onlyoffice-desktop-status"),
    # Reached by the Document Server without a browser session: keep these outside any SSO gate.
    path("download/<int:attachment_id>/", docserver.download, name="onlyoffice-download"),
    path("callback/<int:attachment_id>/", docserver.callback, name="onlyoffice-callback"),
    path("check-file/", docserver.check_file, name="onlyoffice-check-file"),
    path("changes/<int:version_id>/", docserver.changes, name="onlyoffice-changes"),
]
