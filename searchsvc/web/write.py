"""The write API: PUT/DELETE /api/articles/<id> and POST /api/articles (NDJSON batches).

Every write needs a key of SEARCHSVC_WRITE_KEYS (no keys configured: writes are disabled) and
its exact content type, which a cross-site HTML form cannot send. An acknowledged write is
durable (fsynced in the write-ahead log on Whoosh; stored in the cluster on Typesense) and
searchable within about a second.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from searchsvc.backends import open_writer
from searchsvc.errors import BadRequest, NotFound, SearchsvcError
from searchsvc.ingest.apiarticle import article_from_json, check_id
from searchsvc.web import backend, settings
from searchsvc.web.http import Forbidden, check_write_origin, keys, require_key

bp = Blueprint("write", __name__)
JSON = ("application/json",)
NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines")
MAX_BATCH_ERRORS = 1000  # errors listed in a batch's answer (the count is always given)


class TooLarge(SearchsvcError):
    """A request body over its limit (HTTP 413)."""

    status = 413


class UnsupportedType(SearchsvcError):
    """A write whose Content-Type is not the one the route takes (HTTP 415)."""

    status = 415


def writer():
    """Return this process's writer for the configured backend (created on first use)."""
    found = current_app.extensions.get("searchsvc_writer")
    if found is None:
        found = open_writer(settings(), backend().store)
        current_app.extensions["searchsvc_writer"] = found
    return found


def _guard(content_types: tuple[str, ...] | None) -> None:
    """Writes enabled, a write key, an allowed origin, and the route's content type."""
    allowed = keys(settings().write_keys)
    if not allowed:
        raise Forbidden(
            "Writes are disabled on this server.",
            hint="Set SEARCHSVC_WRITE_KEYS to the keys that may write.",
        )
    require_key(allowed, "Write articles")
    check_write_origin()
    if content_types is not None and request.mimetype not in content_types:
        raise UnsupportedType(
            f"Send the request as {content_types[0]} (got {request.mimetype or 'no type'!r})."
        )


def _body(limit: int, setting: str) -> bytes:
    """Return the request body, or raise TooLarge past `limit` bytes (before reading it all)."""
    length = request.content_length
    if length is not None and length > limit:
        raise TooLarge(
            f"The request is {length:,} bytes; the limit is {limit:,} ({setting}).",
            hint="The article's 'body' field is usually what is too large.",
        )
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"The request is over the limit of {limit:,} bytes ({setting}).")
    return data


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The request body is not UTF-8.") from None
    except ValueError as e:
        raise BadRequest(f"The request body is not valid JSON ({e}).") from None


@bp.put("/api/articles/<article_id>")
def put_article(article_id: str):
    """Create or replace one article: 201 created, 200 replaced, once it is durable."""
    _guard(JSON)
    check_id(article_id)
    article = article_from_json(
        _json(_body(settings().max_article_bytes, _MAX_ARTICLE)), article_id
    )
    existed = writer().put([article])[0]
    body = {"id": article.id, "result": "replaced" if existed else "created"}
    return jsonify(body), 200 if existed else 201


@bp.delete("/api/articles/<article_id>")
def delete_article(article_id: str):
    """Delete one article (from the corpus or the API): 204, or 404 for an unknown id."""
    _guard(None)
    check_id(article_id)
    if not writer().delete(article_id):
        raise NotFound(f"No article with id {article_id!r}.")
    return "", 204


@bp.post("/api/articles")
def post_batch():
    """Create or replace the articles of an NDJSON batch; bad lines are reported, not fatal."""
    _guard(NDJSON)
    s = settings()
    raw = _body(s.max_batch_bytes, "SEARCHSVC_MAX_BATCH_BYTES")
    articles, errors = [], []
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        article_id = None
        try:
            if len(line) > s.max_article_bytes:
                raise TooLarge(f"The line is over {s.max_article_bytes:,} bytes ({_MAX_ARTICLE}).")
            obj = _json(line)
            article_id = obj.get("id") if isinstance(obj, dict) else None
            if article_id is None:
                raise BadRequest("Field 'id' is missing.")
            articles.append(article_from_json(obj, check_id(article_id)))
        except SearchsvcError as e:
            errors.append({"line": lineno, "id": _shown(article_id), "error": e.message})
    existed = writer().put(articles) if articles else []
    return jsonify(
        {
            "added": sum(1 for e in existed if not e),
            "updated": sum(1 for e in existed if e),
            "failed": len(errors),
            "errors": errors[:MAX_BATCH_ERRORS],
        }
    )


_MAX_ARTICLE = "SEARCHSVC_MAX_ARTICLE_BYTES"


def _shown(article_id: object) -> str | None:
    """Return an id as a batch error names it (strings only, cut to 200 characters)."""
    return article_id[:200] if isinstance(article_id, str) else None
