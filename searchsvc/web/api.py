"""The JSON API: search, suggestions, articles, stats, health and the OpenAPI document."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from flask import Blueprint, jsonify, request

from searchsvc.errors import NotFound, SearchsvcError
from searchsvc.web import backend, engine, settings
from searchsvc.web.errors import public_message
from searchsvc.web.openapi import document
from searchsvc.web.params import parse_search, parse_suggest, valid_id
from searchsvc.web.textutil import complete_query

bp = Blueprint("api", __name__)
SUGGEST_LIMIT = 8


@bp.get("/api/search")
def search():
    """Return one page of results as SearchPage.to_dict()."""
    req = parse_search(request.args, settings())
    return jsonify(page_json(engine().search(req)))


def page_json(page) -> dict:
    """Return SearchPage.to_dict() without dataclasses.asdict's deep copies (same JSON)."""
    out = {f.name: getattr(page, f.name) for f in fields(page)}
    out["hits"] = [{f.name: getattr(h, f.name) for f in fields(h)} for h in page.hits]
    return out


@bp.get("/api/suggest")
def suggest():
    """Return completions for what the user has typed so far."""
    q = parse_suggest(request.args, settings())
    return jsonify({"query": q, "suggestions": complete_query(engine(), q, SUGGEST_LIMIT)})


@bp.get("/api/articles/<article_id>")
def article(article_id: str):
    """Return one stored article."""
    if not valid_id(article_id):
        raise NotFound(f"No article with id {article_id[:100]!r}.")
    return jsonify(jsonable(engine().article(article_id)))


@bp.get("/api/stats")
def stats():
    """Return corpus statistics (documents, sources, date range...)."""
    return jsonify(jsonable(engine().stats()))


@bp.get("/healthz")
def healthz():
    """Return 200 with the document count, or 503 when the index is missing or unreadable."""
    try:
        store = backend().store()
        st = store.stats()
    except SearchsvcError as err:
        return jsonify({"status": "unavailable", "error": public_message(err)}), 503
    documents = st.get("documents", st.get("doc_count", 0)) if isinstance(st, dict) else 0
    return jsonify(
        {"status": "ok", "documents": documents, "generation": jsonable(store.generation)}
    )


@bp.get("/api/openapi.json")
def openapi():
    """Return the OpenAPI 3 description of this API."""
    return jsonify(document(settings()))


def jsonable(value):
    """Return `value` with dates and tuples turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return value.name
    return value
