from django.urls import path, re_path

from desktop import views

urlpatterns = [
    # Both /dav and /dav/<token> with or without a trailing slash: the apps ask for folders either way.
    re_path(r"^dav/?$", views.dav_endpoint),
    path("dav/<path:rest>", views.dav_endpoint, name="dav"),
    path(
        "attachments/<int:attachment_id>/open/office/", views.open_in_app, {"app": "office"}, name="desktop-open-office"
    ),
    path(
        "attachments/<int:attachment_id>/open/libreoffice/",
        views.open_in_app,
        {"app": "libreoffice"},
        name="desktop-open-libreoffice",
    ),
    path("attachments/<int:attachment_id>/desktop-lock/break/", views.lock_break, name="desktop-lock-break"),
    path("help/desktop-apps/", views.desktop_help, name="desktop-help"),
]
