"""The OpenAPI 3 description of the JSON API, with the limits of the running Settings."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from types import UnionType
from typing import Union, get_args, get_origin, get_type_hints

from searchsvc.config import Settings
from searchsvc.contract import (
    PERIOD_KEYS,
    SORTS,
    ArticleView,
    Hit,
    SearchPage,
    Stats,
    TagCount,
)
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


# Prose for fields whose name does not say it all (the types come from contract.py).
_DOCS = {
    "snippet": "HTML-escaped text with <mark> around the words that matched.",
    "similar": "Near-duplicates (copies of the same story) folded into this hit.",
    "total": "Matching stories; copies of one story count once.",
    "facets": "source, tags and year -> value -> count (over the same stories as total).",
    "timeline": "Matches per year or month, oldest first.",
    "notes": "What to know about these results: a filter that cannot apply, or where this "
    "backend's behaviour differs from the reference (Whoosh) backend.",
    "body": "The article text; paragraphs are separated by one blank line.",
    "summary": "The standfirst shown under the title (not part of the body).",
    "undated": "Live articles without a publication date.",
    "results_for": "Present when the query had no results and these are its correction's.",
    "index_bytes": "Size of the index on disk (null where the backend cannot tell).",
}
_DATES = {"published"}
_OPTIONAL = {"results_for"}  # left out of the JSON when empty


def _schema_of_type(hint, name: str = "") -> dict:
    """Return the JSON schema of a type hint of contract.py."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType) and type(None) in args:
        inner = _schema_of_type(next(a for a in args if a is not type(None)), name)
        return {**inner, "nullable": True}
    if origin is list:
        if name == "timeline":
            return {"type": "array", "items": _ref("Period")}
        return {"type": "array", "items": _schema_of_type(args[0] if args else str)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of_type(args[1])}
    if is_dataclass(hint):
        return _ref(hint.__name__)
    if hint is str and name in _DATES:
        return {"type": "string", "format": "date"}
    return {str: _STR, int: _INT, float: {"type": "number"}, bool: {"type": "boolean"}}[hint]


def schema_of(cls) -> dict:
    """Return the JSON schema of a contract dataclass (every field is always present)."""
    hints = get_type_hints(cls)
    props = {}
    for f in fields(cls):
        prop = _schema_of_type(hints[f.name], f.name)
        if f.name in _DOCS:
            prop = {**prop, "description": _DOCS[f.name]}
        props[f.name] = prop
    return {
        "type": "object",
        "description": (cls.__doc__ or "").strip(),
        "required": [f.name for f in fields(cls) if f.name not in _OPTIONAL],
        "properties": props,
    }


def _schemas() -> dict:
    period = {
        "type": "object",
        "required": list(PERIOD_KEYS),
        "properties": {k: _STR if v is str else _INT for k, v in PERIOD_KEYS.items()},
    }
    page = schema_of(SearchPage)
    page["properties"]["sort"] = {"type": "string", "enum": list(SORTS)}
    return {
        "Hit": schema_of(Hit),
        "SearchPage": page,
        "Period": period,
        "Article": schema_of(ArticleView),
        "TagCount": schema_of(TagCount),
        "Stats": schema_of(Stats),
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
    doc = {
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
    _add_writes(doc, settings)  # the write API (issue 17)
    _add_usage(doc, search_params)  # feeds and metrics (issue 18)
    return doc


def _add_writes(doc: dict, settings: Settings) -> None:
    """Add the write routes, their schemas and the key scheme to the document."""
    from searchsvc.web.openapi_write import SECURITY_SCHEMES, write_operations, write_schemas

    one, batch = write_operations(settings)
    doc["paths"]["/api/articles/{article_id}"].update(one)
    doc["paths"]["/api/articles"] = batch
    doc["components"]["schemas"].update(write_schemas(settings))
    doc["components"]["securitySchemes"] = SECURITY_SCHEMES


def _add_usage(doc: dict, search_params: list[dict]) -> None:
    """Add the feed and metrics routes and the metrics key scheme to the document."""
    from searchsvc.web.openapi_usage import METRICS_SCHEME, usage_paths

    doc["paths"].update(usage_paths(search_params))
    schemes = doc["components"].get("securitySchemes", {})
    doc["components"]["securitySchemes"] = {**schemes, "metricsKey": METRICS_SCHEME}
