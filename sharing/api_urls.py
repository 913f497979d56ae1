"""Share links in the REST API (sharing.api), mounted under /api/ by config/api_urls.py."""

from django.urls import path

from sharing import api

urlpatterns = [
    path("attachments/<int:pk>/share-links/", api.ShareLinkListView.as_view(), name="api-attachment-share-links"),
    path("share-links/<int:pk>/", api.ShareLinkDetailView.as_view(), name="api-share-link-detail"),
]
