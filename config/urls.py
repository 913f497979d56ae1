from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("config.accounts_urls")),
    path("api/", include("config.api_urls")),
    path("onlyoffice/", include("connector.urls")),
    path("", include("attachments.urls")),
]
