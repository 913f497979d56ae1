from django.urls import path

from connector import (
    conversion_views,
    event_views,
    history_views,
    presence_views,
    recovery_views,
    session_views,
    settings_page,
    views,
)

urlpatterns = [
    path("editor/<int:attachment_id>/", views.editor_page, name="onlyoffice-editor"),
    path("editor/<int:attachment_id>/presence/", presence_views.presence, name="onlyoffice-presence"),
    path("editor/<int:attachment_id>/history/", history_views.history_list, name="onlyoffice-history"),
    path("editor/<int:attachment_id>/history-data/", history_views.history_data, name="onlyoffice-history-data"),
    path("editor/<int:attachment_id>/restore/", history_views.restore, name="onlyoffice-restore"),
    path("editor/<int:attachment_id>/spaces/", event_views.spaces, name="onlyoffice-event-spaces"),
    path("editor/<int:attachment_id>/save-as/", event_views.save_as, name="onlyoffice-event-save-as"),
    path("editor/<int:attachment_id>/rename/", event_views.rename, name="onlyoffice-event-rename"),
    path("editor/<int:attachment_id>/images/", event_views.images, name="onlyoffice-event-images"),
    path("editor/<int:attachment_id>/images/<int:image_id>/", event_views.image, name="onlyoffice-event-image"),
    path("editor/<int:attachment_id>/users/", event_views.users, name="onlyoffice-event-users"),
    path("editor/<int:attachment_id>/notify/", event_views.notify, name="onlyoffice-event-notify"),
    path("new/<int:space_id>/", session_views.new_document, name="onlyoffice-new"),
    path("forcesave/<int:attachment_id>/", session_views.forcesave, name="onlyoffice-forcesave"),
    path("drop/<int:attachment_id>/", session_views.drop, name="onlyoffice-drop"),
    path("saves/<int:save_request_id>/retry/", recovery_views.save_retry, name="onlyoffice-save-retry"),
    path("settings/", settings_page.settings_page, name="onlyoffice-settings"),
    path("convert/<int:attachment_id>/", conversion_views.convert_page, name="onlyoffice-convert"),
    path("conversions/<int:job_id>/", conversion_views.conversion_page, name="onlyoffice-conversion"),
    path("conversions/<int:job_id>/status/", conversion_views.conversion_status, name="onlyoffice-conversion-status"),
    path("conversions/<int:job_id>/file/", conversion_views.conversion_file, name="onlyoffice-conversion-file"),
    # Reached by the Document Server without a browser session: keep these outside any SSO gate.
    path("download/<int:attachment_id>/", views.download, name="onlyoffice-download"),
    path("callback/<int:attachment_id>/", views.callback, name="onlyoffice-callback"),
    path("check-file/", views.check_file, name="onlyoffice-check-file"),
    path("changes/<int:version_id>/", views.changes, name="onlyoffice-changes"),
]
