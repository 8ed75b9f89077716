"""The OpenAPI description matches the routes, and real responses conform to it (schemathesis)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from searchsvc.web import create_app


def test_document_lists_every_json_route_with_limits(app):
    doc = app.test_client().get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    rules = {
        r.rule.replace("<article_id>", "{article_id}")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") or r.rule in ("/healthz", "/feed.atom", "/metrics")
    }
    assert rules == set(doc["paths"])
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["page"]["maximum"] == 1000 and params["per_page"]["maximum"] == 100
    assert params["q"]["maxLength"] == 1000
    assert params["sort"]["enum"] == ["relevance", "newest"]
    assert {"SearchPage", "Hit", "Error"} <= set(doc["components"]["schemas"])


def test_document_follows_the_settings(web_index):
    app = create_app({"INDEX_DIR": web_index, "MAX_PER_PAGE": 7})
    doc = app.test_client().get("/api/openapi.json").json
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["per_page"]["maximum"] == 7


OPERATIONS = [
    pytest.param("/api/search", marks=pytest.mark.slow),  # ~1.5 s: many parameters to vary
    "/api/suggest",
    "/api/articles/{article_id}",
    "/api/stats",
    "/healthz",
    "/api/openapi.json",
    "/feed.atom",
    "/metrics",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# schemathesis' own pytest plugin (from_fixture) breaks on pytest 9, so each operation's
# hypothesis strategy is driven here directly; the checks are schemathesis' own.
@pytest.mark.parametrize("path", OPERATIONS)
def test_api_conforms_to_its_openapi_document(app, path):
    operation = schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(case):
        # Through WSGI schemathesis sends requests' Accept-Encoding but never decodes the body.
        case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

    check()
