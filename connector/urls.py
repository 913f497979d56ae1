from django.urls import path

from connector import conversion_views, session_views, settings_page, views

urlpatterns = [
    path("editor/<int:attachment_id>/", views.editor_page, name="onlyoffice-editor"),
    path("new/<int:space_id>/", session_views.new_document, name="onlyoffice-new"),
    path("forcesave/<int:attachment_id>/", session_views.forcesave, name="onlyoffice-forcesave"),
    path("drop/<int:attachment_id>/", session_views.drop, name="onlyoffice-drop"),
    path("settings/", settings_page.settings_page, name="onlyoffice-settings"),
    path("convert/<int:attachment_id>/", conversion_views.convert_page, name="onlyoffice-convert"),
    path("conversions/<int:job_id>/", conversion_views.conversion_page, name="onlyoffice-conversion"),
    path("conversions/<int:job_id>/status/", conversion_views.conversion_status, name="onlyoffice-conversion-status"),
    path("conversions/<int:job_id>/file/", conversion_views.conversion_file, name="onlyoffice-conversion-file"),
    # Reached by the Document Server without a browser session: keep these outside any SSO gate.
    path("download/<int:attachment_id>/", views.download, name="onlyoffice-download"),
    path("callback/<int:attachment_id>/", views.callback, name="onlyoffice-callback"),
    path("check-file/", views.check_file, name="onlyoffice-check-file"),
]
