from django.urls import path

from attachments import space_views, trash_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("spaces/new/", views.space_create, name="space_create"),
    path("spaces/<int:space_id>/", views.space_detail, name="space_detail"),
    path("spaces/<int:space_id>/rows/", views.space_rows, name="space_rows"),
    path("spaces/<int:space_id>/upload/", views.attachment_upload, name="attachment_upload"),
    path("spaces/<int:space_id>/settings/", space_views.space_settings, name="space_settings"),
    path("spaces/<int:space_id>/delete/", space_views.space_delete, name="space_delete"),
    path("spaces/<int:space_id>/members/", views.space_members, name="space_members"),
    path("spaces/<int:space_id>/members/search/", space_views.member_search, name="space_member_search"),
    path("spaces/<int:space_id>/members/<int:user_id>/role/", views.space_member_role, name="space_member_role"),
    path("spaces/<int:space_id>/members/<int:user_id>/remove/", views.space_member_remove, name="space_member_remove"),
    path("attachments/<int:attachment_id>/", views.attachment_detail, name="attachment_detail"),
    path("attachments/<int:attachment_id>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:attachment_id>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"),
    path("attachments/<int:attachment_id>/versions/new/", views.version_upload, name="version_upload"),
    path(
        "attachments/<int:attachment_id>/versions/<int:number>/restore/",
        views.version_restore,
        name="version_restore",
    ),
    path("attachments/<int:attachment_id>/rename/", views.attachment_rename, name="attachment_rename"),
    # "Move to trash": deleting a file is undone from the trash until the sweep purges it (attachments.trash).
    path("attachments/<int:attachment_id>/delete/", trash_views.attachment_trash, name="attachment_delete"),
    path("spaces/<int:space_id>/trash/", trash_views.space_trash, name="space_trash"),
    path("attachments/<int:attachment_id>/restore/", trash_views.trash_restore, name="trash_restore"),
    path("attachments/<int:attachment_id>/purge/", trash_views.trash_purge, name="trash_purge"),
]
