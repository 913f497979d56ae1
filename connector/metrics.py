"""Prometheus metrics for operators at ``/metrics`` (``METRICS_ENABLED``), counted from the database.

Why the database rather than in-process counters: saves are stored by Celery workers and callbacks are
answered by gunicorn workers, several processes in separate containers. In-process counters would each hold a
fraction, and prometheus_client's multiprocess mode would need one directory shared by every container with
process ids that never collide. The database already records every callback, save request (with its
attempts and its version) and conversion job, so counting there is exact for any number of processes,
survives restarts and needs nothing shared. Totals are cumulative while the rows exist; a deleted row
lowers a counter, which Prometheus treats as a counter reset.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from connector.models import CallbackEvent, ConversionJob, SaveRequest

# Seconds from the callback's arrival to the stored version: a save normally takes well under a minute;
# the long buckets show retries (the backoff reaches about two minutes in total).
LATENCY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class DatabaseCollector(Collector):
    """Reads the totals at each scrape; a few aggregate queries, no state in the process."""

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        saves = SaveRequest.objects.aggregate(
            stored=Count("pk", filter=Q(state=SaveRequest.State.SAVED)),
            failed=Count("pk", filter=Q(state__in=[SaveRequest.State.FAILED, SaveRequest.State.LOST])),
            # Every claim after the first is a retry (the task's own, the sweep's or a user's Retry).
            retries=Sum(F("attempts") - 1, filter=Q(attempts__gt=1)),
        )
        yield _counter("onlyoffice_saves_stored", "Saves stored as a new version.", saves["stored"])
        yield _counter("onlyoffice_saves_failed", "Saves that failed for good.", saves["failed"])
        yield _counter("onlyoffice_save_retries", "Save attempts after the first.", saves["retries"] or 0)
        yield _callbacks()
        yield _conversions()
        yield _save_latency()


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _callbacks() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "onlyoffice_callbacks", "Verified Document Server callbacks, by status.", labels=["status"]
    )
    rows = CallbackEvent.objects.values("status").annotate(n=Count("pk")).order_by("status")
    for row in rows:
        family.add_metric([str(row["status"])], row["n"])
    return family


def _conversions() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "onlyoffice_conversions", "Conversion jobs, by kind and state.", labels=["kind", "state"]
    )
    rows = ConversionJob.objects.values("kind", "state").annotate(n=Count("pk")).order_by("kind", "state")
    for row in rows:
        family.add_metric([row["kind"], row["state"]], row["n"])
    return family


def _save_latency() -> HistogramMetricFamily:
    latency = ExpressionWrapper(F("version__created_at") - F("created_at"), output_field=DurationField())
    # A final save repeating a forcesave reuses an older version: no download happened, nothing to time.
    saved = (
        SaveRequest.objects.filter(state=SaveRequest.State.SAVED, version__isnull=False)
        .annotate(latency=latency)
        .filter(latency__gte=timedelta(0))
    )
    buckets = {
        f"le_{i}": Count("pk", filter=Q(latency__lte=timedelta(seconds=b))) for i, b in enumerate(LATENCY_BUCKETS)
    }
    totals = saved.aggregate(count=Count("pk"), total=Sum("latency"), **buckets)
    cumulative = [(_bucket_label(b), totals[f"le_{i}"]) for i, b in enumerate(LATENCY_BUCKETS)]
    cumulative.append(("+Inf", totals["count"]))
    total = totals["total"] or timedelta(0)
    return HistogramMetricFamily(
        "onlyoffice_save_latency_seconds",
        "Time from the save callback's arrival to the stored version.",
        buckets=cumulative,
        sum_value=total.total_seconds(),
    )


def _bucket_label(bound: float) -> str:
    return repr(float(bound))


def _client_allowed(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_IPS
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _credentials_ok(request: HttpRequest) -> bool:
    user, password = settings.METRICS_BASIC_AUTH_USER, settings.METRICS_BASIC_AUTH_PASSWORD
    if not user:
        return True
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Both compared in full, in constant time: the answer says nothing about which part was wrong.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    # The settings set both or neither.
    return hmac.compare_digest(given_password.encode(), (password or "").encode()) and user_ok


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition; 404 when metrics are off, 403/401 when the client is not let in."""
    if not settings.METRICS_ENABLED:
        raise Http404
    if not _client_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    if not _credentials_ok(request):
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
