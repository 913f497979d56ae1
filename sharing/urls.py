"""The guest side of share links, under /s/ (config/urls.py): the link's secret is its URL's one segment."""

from django.urls import path

from sharing import views

urlpatterns = [
    path("<slug:secret>/", views.share_open, name="share_open"),
]
