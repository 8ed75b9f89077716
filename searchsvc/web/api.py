"""The JSON API: search, suggestions, articles, stats, health and the OpenAPI document."""

from __future__ import annotations

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
    return jsonify(engine().search(req).to_dict())


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
    return jsonify(engine().article(article_id).to_dict())


@bp.get("/api/stats")
def stats():
    """Return corpus statistics (documents, sources, date range...)."""
    return jsonify(engine().stats().to_dict())


@bp.get("/healthz")
def healthz():
    """Return 200 with the document count, or 503 when the index is missing or unreadable."""
    try:
        st = backend().engine().stats()
    except SearchsvcError as err:
        return jsonify({"status": "unavailable", "error": public_message(err)}), 503
    body = {"status": "ok", "documents": st.documents, "generation": st.generation}
    problem = getattr(backend().store(), "problem", None)
    if problem:  # a newer generation failed its checks: the previous one is still served
        body.update(status="degraded", problem=problem)
    return jsonify(body)


@bp.get("/api/openapi.json")
def openapi():
    """Return the OpenAPI 3 description of this API."""
    return jsonify(document(settings()))
