from django.urls import path

from doctemplates import views

urlpatterns = [
    path("templates/", views.global_templates, name="templates"),
    path("spaces/<int:space_id>/templates/", views.space_templates, name="space_templates"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("templates/<int:template_id>/thumbnail/", views.thumbnail, name="template_thumbnail"),
]
