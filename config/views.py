from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: answers as long as the process serves requests. Touches no database or broker."""
    return HttpResponse("ok", content_type="text/plain")
