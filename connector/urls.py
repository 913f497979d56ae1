from django.urls import path

from connector import views

urlpatterns = [
    path("editor/<int:attachment_id>/", views.editor_page, name="onlyoffice-editor"),
    # Reached by the Document Server without a browser session: keep these two outside any SSO gate.
    path("download/<int:attachment_id>/", views.download, name="onlyoffice-download"),
    path("callback/<int:attachment_id>/", views.callback, name="onlyoffice-callback"),
]
