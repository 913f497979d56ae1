from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The split view serves Swagger UI's init script from this same URL (?script) rather than inline in the page;
# Swagger UI's stylesheet draws its icons as data: images, the one thing it needs beyond the site's policy.
api_docs = csp_update({"img-src": ["'self'", "data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html")
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    path("", include("attachments.api_urls")),
    path("", include("sharing.api_urls")),
    path("", include("doctemplates.api_urls")),
]
