from django.contrib import admin
from django.urls import include, path

from config import views
from connector import metrics

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("config.accounts_urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switcher
    path("api/", include("config.api_urls")),
    path("onlyoffice/", include("connector.urls")),
    # Share links: a guest opens one file, without an account (sharing/views.py).
    path("s/", include("sharing.urls")),
    # Making, listing and revoking them: the file page's section posts here, and each space's admin list.
    path("", include("sharing.manage_urls")),
    # WebDAV for the desktop apps (desktop/dav.py), and "Open in desktop app".
    path("", include("desktop.urls")),
    # Document templates: their pages (doctemplates/views.py).
    path("", include("doctemplates.urls")),
    path("", include("attachments.urls")),
]
