"""The attachment store's REST API, mounted under /api/ by config/api_urls.py."""

from django.urls import path

from attachments import api, trash_api

urlpatterns = [
    path("spaces/", api.SpaceListView.as_view(), name="api-space-list"),
    path("spaces/<int:pk>/", api.SpaceDetailView.as_view(), name="api-space-detail"),
    path("spaces/<int:pk>/members/", api.SpaceMembersView.as_view(), name="api-space-members"),
    path("attachments/", api.AttachmentListView.as_view(), name="api-attachment-list"),
    path("attachments/<int:pk>/", api.AttachmentDetailView.as_view(), name="api-attachment-detail"),
    path("attachments/<int:pk>/versions/", api.VersionListView.as_view(), name="api-attachment-versions"),
    path("attachments/<int:pk>/download/", api.DownloadView.as_view(), name="api-attachment-download"),
    path("attachments/<int:pk>/thumbnail/", api.ThumbnailView.as_view(), name="api-attachment-thumbnail"),
    path("spaces/<int:pk>/trash/", trash_api.SpaceTrashView.as_view(), name="api-space-trash"),
    path("attachments/<int:pk>/restore/", trash_api.TrashRestoreView.as_view(), name="api-trash-restore"),
    path("attachments/<int:pk>/purge/", trash_api.TrashPurgeView.as_view(), name="api-trash-purge"),
]
