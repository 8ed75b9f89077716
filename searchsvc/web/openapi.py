"""The OpenAPI 3 description of the JSON API, with the limits of the running Settings."""

from __future__ import annotations

from searchsvc.config import Settings
from searchsvc.contract import SORTS
from searchsvc.web.params import DEFAULT_PER_PAGE, ID_PATTERN, MAX_FILTER_CHARS

_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}
_INT = {"type": "integer"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {
        400: "A parameter is invalid; the message says which and why.",
        404: "No such article.",
        503: "The index does not exist yet or cannot be opened.",
    }
    return {str(c): _json(_ref("Error"), text[c]) for c in codes}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _schemas() -> dict:
    counts = {"type": "object", "additionalProperties": _INT}
    hit = {
        "type": "object",
        "required": [
            "id",
            "title",
            "url",
            "published",
            "author",
            "source",
            "tags",
            "score",
            "snippet",
            "similar",
        ],
        "properties": {
            "id": _STR,
            "title": _STR,
            "url": _STR,
            "published": {"type": "string", "format": "date", "nullable": True},
            "author": _STR,
            "source": _STR,
            "tags": {"type": "array", "items": _STR},
            "score": {"type": "number"},
            "snippet": {"type": "string", "description": "HTML-escaped text with <mark> tags."},
            "similar": {
                "type": "integer",
                "minimum": 0,
                "description": "Near-duplicates collapsed into this hit.",
            },
        },
    }
    page = {
        "type": "object",
        "required": [
            "query",
            "total",
            "page",
            "per_page",
            "took_ms",
            "hits",
            "facets",
            "suggestion",
            "sort",
            "total_is_exact",
            "timeline",
        ],
        "properties": {
            "query": _STR,
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "additionalProperties": counts,
                "description": "source, tags and year -> value -> count.",
            },
            "suggestion": _NSTR,
            "sort": {"type": "string", "enum": list(SORTS)},
            "total_is_exact": {"type": "boolean"},
            "timeline": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Matches per period (oldest first).",
            },
        },
    }
    return {
        "Hit": hit,
        "SearchPage": page,
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": _STR, "hint": _STR},
        },
        "Suggestions": {
            "type": "object",
            "required": ["query", "suggestions"],
            "properties": {"query": _STR, "suggestions": {"type": "array", "items": _STR}},
        },
        "Article": {
            "type": "object",
            "required": ["id", "title", "body"],
            "properties": {
                "id": _STR,
                "title": _STR,
                "body": _STR,
                "published": {"type": "string", "format": "date", "nullable": True},
                "author": _STR,
                "source": _STR,
                "url": _STR,
                "tags": {"type": "array", "items": _STR},
            },
        },
        "Stats": {
            "type": "object",
            "required": ["documents"],
            "properties": {"documents": {"type": "integer", "minimum": 0}},
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "unavailable"]},
                "documents": _INT,
                "generation": _STR,
                "error": _STR,
            },
        },
    }


def document(settings: Settings) -> dict:
    """Return the OpenAPI 3.0 document for an app running with `settings`."""
    dates = {"type": "string", "format": "date"}
    search_params = [
        _query(
            "q",
            {"type": "string", "maxLength": settings.max_query_chars},
            'Query: words, "phrases", OR, NOT/-word, prefix*, field:value.',
        ),
        _query(
            "page",
            {"type": "integer", "minimum": 1, "maximum": settings.max_page, "default": 1},
            "Result page, from 1.",
        ),
        _query(
            "per_page",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.max_per_page,
                "default": DEFAULT_PER_PAGE,
            },
            "Results per page.",
        ),
        _query(
            "sort",
            {"type": "string", "enum": list(SORTS), "default": "relevance"},
            "Order of results.",
        ),
        _query("from", dates, "Only articles published on or after this date (YYYY-MM-DD)."),
        _query("to", dates, "Only articles published on or before this date (not before from)."),
        _query("source", {"type": "string", "maxLength": MAX_FILTER_CHARS}, "Only this source."),
        _query("tag", {"type": "string", "maxLength": MAX_FILTER_CHARS}, "Only this tag."),
    ]
    article_id = {
        "name": "article_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": ID_PATTERN.pattern},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "searchsvc",
            "version": "1",
            "description": "Full-text search of news articles.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles",
                    "parameters": search_params,
                    "responses": {
                        "200": _json(_ref("SearchPage"), "One page of results."),
                        **_errors(400, 503),
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Complete the last word typed",
                    "parameters": [
                        _query(
                            "q",
                            {"type": "string", "maxLength": settings.max_query_chars},
                            "What the user typed so far.",
                        )
                    ],
                    "responses": {
                        "200": _json(_ref("Suggestions"), "Whole-query completions."),
                        **_errors(400, 503),
                    },
                }
            },
            "/api/articles/{article_id}": {
                "get": {
                    "operationId": "article",
                    "summary": "One stored article",
                    "parameters": [article_id],
                    "responses": {
                        "200": _json(_ref("Article"), "The article."),
                        **_errors(404, 503),
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "operationId": "stats",
                    "summary": "Corpus statistics",
                    "responses": {"200": _json(_ref("Stats"), "Statistics."), **_errors(503)},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and index status",
                    "responses": {
                        "200": _json(_ref("Health"), "Serving."),
                        "503": _json(_ref("Health"), "No usable index."),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3 document.")},
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
