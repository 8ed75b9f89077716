"""The OpenAPI description of the feed and metrics routes (issue 18): Atom and Prometheus text."""

from __future__ import annotations

_STR = {"type": "string"}
METRICS_SCHEME = {"type": "http", "scheme": "bearer"}  # SEARCHSVC_METRICS_KEY, when it is set


def _body(media_type: str, description: str) -> dict:
    return {"description": description, "content": {media_type: {"schema": _STR}}}


def usage_paths(search_params: list[dict]) -> dict:
    """Return the feed and metrics endpoints (issue 18): they answer in Atom and Prometheus text."""
    feed_params = [p for p in search_params if p["name"] not in ("page", "per_page", "sort")]
    return {
        "/feed.atom": {
            "get": {
                "operationId": "feed",
                "summary": "Atom feed of a search: its newest 50 articles, newest first",
                "parameters": feed_params,
                "responses": {
                    "200": _body("application/atom+xml", "An Atom 1.0 feed (RFC 4287)."),
                    "304": {"description": "Unchanged since If-None-Match/If-Modified-Since."},
                    "400": _body("text/html", "A parameter is invalid; the page says which."),
                    "503": _body("text/html", "The index does not exist yet."),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics of every worker and of the index",
                "description": "Needs `Authorization: Bearer` when SEARCHSVC_METRICS_KEY is set.",
                "security": [{}, {"metricsKey": []}],
                "responses": {
                    "200": _body("text/plain", "The Prometheus text format (or OpenMetrics)."),
                    "401": _body("text/plain", "A metrics key is set and was not given."),
                },
            }
        },
    }
