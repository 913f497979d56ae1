"""The pages that manage share links (sharing.manage_views), mounted at the site's root by config/urls.py."""

from django.urls import path

from sharing import manage_views

urlpatterns = [
    path("attachments/<int:attachment_id>/share-links/new/", manage_views.share_link_create, name="share-link-create"),
    path("share-links/<int:link_id>/revoke/", manage_views.share_link_revoke, name="share-link-revoke"),
    path("spaces/<int:space_id>/share-links/", manage_views.space_share_links, name="space-share-links"),
]
