"""Prometheus metrics at /metrics: requests by route template, search hits, the index's state.

Under `searchsvc serve` every gunicorn worker writes its counters to PROMETHEUS_MULTIPROC_DIR
(set up by web/server.py) and /metrics sums all workers' files, whichever worker answers it.
Without that variable (the Flask test client, a single process) the counters live in memory.
The index gauges are read from the live index when /metrics is scraped. Route labels are the
route templates (`/api/articles/<article_id>`), never the raw path: their number is bounded.
"""

from __future__ import annotations

import hmac
import os
import re
from datetime import UTC, datetime
from time import perf_counter

from flask import Blueprint, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from searchsvc.errors import SearchsvcError
from searchsvc.web import backend

bp = Blueprint("metrics", __name__)
UNMATCHED = "unmatched"  # the route label of requests no route matched (404, 405)
HIT_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000, 100_000)

_OWN = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "searchsvc_requests",
    "HTTP requests answered, by route template and status code.",
    ["route", "status"],
    registry=_OWN,
)
DURATION = Histogram(
    "searchsvc_request_duration_seconds",
    "Time from reading a request to its response, by route template.",
    ["route"],
    registry=_OWN,
)
SEARCH_HITS = Histogram(
    "searchsvc_search_hits",
    "Matching stories of each search from the results page or the search API (as typed).",
    buckets=(*HIT_BUCKETS, float("inf")),
    registry=_OWN,
)
ZERO_RESULTS = Counter(
    "searchsvc_zero_result_searches",
    "Searches from the results page or the search API that found nothing as typed.",
    registry=_OWN,
)


def observe_search(hits: int) -> None:
    """Count one user search and its number of hits."""
    SEARCH_HITS.observe(hits)
    if hits == 0:
        ZERO_RESULTS.inc()


@bp.before_app_request
def _start_clock() -> None:
    g.searchsvc_t0 = perf_counter()


@bp.after_app_request
def _count(response):
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    REQUESTS.labels(route=route, status=str(response.status_code)).inc()
    t0 = g.get("searchsvc_t0")
    if t0 is not None:
        DURATION.labels(route=route).observe(perf_counter() - t0)
    return response


def bearer_ok(key: str) -> bool:
    """Return True when the request carries `Authorization: Bearer <key>` (constant-time)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    return hmac.compare_digest(token.strip().encode(), key.encode())


@bp.get("/metrics")
def metrics():
    """Return every worker's metrics and the index's in the Prometheus text format."""
    key = backend().settings.metrics_key
    if key and not bearer_ok(key):
        return Response(
            "A metrics key is required: Authorization: Bearer <SEARCHSVC_METRICS_KEY>.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_InMemory())
    registry.register(_IndexGauges(backend()))
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), headers={"Content-Type": content_type})


def instant(iso: str) -> datetime:
    """Return an ISO 8601 time as an aware datetime (UTC when it names no zone)."""
    when = datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class _InMemory:
    """This process's own metrics (no multiprocess directory)."""

    def collect(self):
        """Yield the metrics of the module registry."""
        yield from _OWN.collect()


class _IndexGauges:
    """Documents, generation and last update of the live index, read at scrape time."""

    def __init__(self, holder) -> None:
        self.holder = holder

    def collect(self):
        """Yield the index gauges (none while there is no usable index)."""
        try:
            stats = self.holder.engine().stats()
        except SearchsvcError:
            return
        yield GaugeMetricFamily(
            "searchsvc_index_documents", "Live articles in the index.", value=stats.documents
        )
        number = re.search(r"(\d+)$", stats.generation or "")
        if number:
            yield GaugeMetricFamily(
                "searchsvc_index_generation",
                "Number of the live index generation (rises with every update).",
                value=int(number[1]),
            )
        if stats.last_update:
            when = instant(stats.last_update)
            yield GaugeMetricFamily(
                "searchsvc_index_last_update_timestamp_seconds",
                "When the live index generation was written (Unix time).",
                value=when.timestamp(),
            )
