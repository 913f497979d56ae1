from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import NotRequired, TypedDict

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

# Readiness must answer before a load balancer's probe gives up, whatever a dependency does.
BROKER_TIMEOUT = 3  # whole seconds: kombu's ensure_connection takes an int
DOCSERVER_TIMEOUT = 3.0


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: answers as long as the process serves requests. Touches no database or broker."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker and storage must work (200, else 503); the Document Server is reported apart.

    The DS being down does not make this app unready: pages, downloads and uploads still work, and a save
    callback only comes from a running DS. Errors name the exception's type or the HTTP status only, never a URL or
    a secret.
    """
    checks = {"database": _timed(_database), "broker": _timed(_broker), "storage": _timed(_storage)}
    ready = all(check["ok"] for check in checks.values())
    body = {"ready": ready, "checks": checks, "documentserver": _documentserver()}
    return JsonResponse(body, status=200 if ready else 503)


class CheckResult(TypedDict):
    ok: bool
    latency_ms: float
    error: NotRequired[str]  # the exception's type, never its message


class DocServerResult(TypedDict):
    ok: bool | None  # None: no Document Server is configured
    status: str
    latency_ms: NotRequired[float]
    error: NotRequired[str]
    http_status: NotRequired[int]
    detail: NotRequired[str]


def _timed(check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure is an answer here, not a crash of the probe
        return {"ok": False, "error": type(exc).__name__, "latency_ms": _ms_since(started)}
    return {"ok": True, "latency_ms": _ms_since(started)}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    # The same URL and options as the Celery app, read at each call: a fresh connection, not a pooled one.
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options={**getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}), "max_retries": 0},
        connect_timeout=BROKER_TIMEOUT,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        conn.default_channel  # noqa: B018  (opening a channel is what proves the broker answers)


def _storage() -> None:
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}.probe", ContentFile(b"ready"))
    default_storage.delete(name)


def _documentserver() -> DocServerResult:
    from connector import docserver, ds_settings

    cfg = ds_settings.current()
    if not cfg.internal_url:
        return {"ok": None, "status": "not configured"}
    started = time.perf_counter()
    # In a thread with a deadline: the DS client's own read timeout (30 s) is longer than a probe waits.
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        healthy = pool.submit(docserver.health, cfg).result(timeout=DOCSERVER_TIMEOUT)
    except FutureTimeout:
        return {"ok": False, "status": "timeout", "latency_ms": _ms_since(started)}
    except docserver.DocServerError as exc:
        if exc.http_status is None:
            return {"ok": False, "status": "unreachable", "error": type(exc).__name__, "latency_ms": _ms_since(started)}
        # Something answered, so it is not unreachable: most often the address is another server's.
        return {
            "ok": False,
            "status": "http error",
            "http_status": exc.http_status,
            "detail": f"answered HTTP {exc.http_status}: is the internal URL the Document Server's?",
            "latency_ms": _ms_since(started),
        }
    except Exception as exc:
        return {"ok": False, "status": "unreachable", "error": type(exc).__name__, "latency_ms": _ms_since(started)}
    finally:
        pool.shutdown(wait=False)
    status = "healthy" if healthy else "unhealthy"
    return {"ok": healthy, "status": status, "latency_ms": _ms_since(started)}
