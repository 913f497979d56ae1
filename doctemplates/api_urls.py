from django.urls import path

from doctemplates import api

urlpatterns = [
    path("templates/", api.TemplateListView.as_view(), name="api-templates"),
]
