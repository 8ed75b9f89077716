"""The write API's part of the OpenAPI description (web/write.py), with the running limits."""

from __future__ import annotations

from searchsvc.config import Settings
from searchsvc.ingest.apiarticle import API_ID, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS

_STR = {"type": "string"}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_WRITE_ERRORS = {
    "400": _error("Invalid JSON, a missing or mistyped field or a bad id: the message names it."),
    "401": _error("No key: send Authorization: Bearer <key> (WWW-Authenticate says so)."),
    "403": _error("A key that may not write, a write from another site, or writes disabled."),
    "413": _error("The request is larger than its limit."),
    "415": _error("Not the content type this route takes."),
    "503": _error("The backend cannot take writes right now."),
}


def write_schemas(settings: Settings) -> dict:
    """Return the component schemas of the write API."""
    article = {
        "type": "object",
        "required": ["title", "body"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": API_ID.pattern},
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
            "body": {"type": "string", "minLength": 1},
            "published": {
                "type": "string",
                "nullable": True,
                "description": "YYYY-MM-DD or an ISO 8601 date-time.",
            },
            "author": _STR,
            "source": _STR,
            "url": _STR,
            "summary": _STR,
            "tags": {
                "type": "array",
                "maxItems": MAX_TAGS,
                "items": {"type": "string", "maxLength": MAX_TAG_CHARS},
            },
        },
        "description": f"At most {settings.max_article_bytes:,} bytes as sent.",
    }
    return {
        "ArticleIn": article,
        "Written": {
            "type": "object",
            "required": ["id", "result"],
            "properties": {
                "id": _STR,
                "result": {"type": "string", "enum": ["created", "replaced"]},
            },
        },
        "BatchResult": {
            "type": "object",
            "required": ["added", "updated", "failed", "errors"],
            "properties": {
                "added": {"type": "integer"},
                "updated": {"type": "integer"},
                "failed": {"type": "integer"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "line": {"type": "integer"},
                            "id": {"type": "string", "nullable": True},
                            "error": _STR,
                        },
                    },
                },
            },
        },
    }


def write_operations(settings: Settings) -> tuple[dict, dict]:
    """Return (the PUT and DELETE of /api/articles/{article_id}, the POST of /api/articles)."""
    article_id = {
        "name": "article_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": API_ID.pattern},
    }
    secured = {"security": [{"writeKey": []}]}
    one = {
        "put": {
            "operationId": "putArticle",
            "summary": "Create or replace an article (searchable within about a second)",
            "parameters": [article_id],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ArticleIn"}}
                },
            },
            "responses": {
                "201": _ok("Written", "Created, and durable."),
                "200": _ok("Written", "Replaced, and durable."),
                **_WRITE_ERRORS,
            },
            **secured,
        },
        "delete": {
            "operationId": "deleteArticle",
            "summary": "Delete an article (a corpus article stays deleted until its file changes)",
            "parameters": [article_id],
            "responses": {
                "204": {"description": "Deleted, and durable."},
                "404": _error("No such article."),
                **_WRITE_ERRORS,
            },
            **secured,
        },
    }
    batch = {
        "post": {
            "operationId": "postArticles",
            "summary": "Create or replace a batch of articles, one JSON object (with id) a line",
            "requestBody": {
                "required": True,
                "description": f"At most {settings.max_batch_bytes:,} bytes.",
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            },
            "responses": {
                "200": _ok("BatchResult", "What was written; bad lines are listed, not fatal."),
                **_WRITE_ERRORS,
            },
            **secured,
        }
    }
    return one, batch


def _ok(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


SECURITY_SCHEMES = {
    "writeKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A key of SEARCHSVC_WRITE_KEYS (or of SEARCHSVC_READ_KEYS for reading).",
    }
}
