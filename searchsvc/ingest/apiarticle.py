"""Articles sent to the write API: validation (400 naming the field) and the log's payload.

An API article is a JSON object with `title` and `body` (required, non-empty strings) and the
optional `published` (an ISO 8601 date or date-time, or null), `author`, `source`, `url`,
`summary` (strings) and `tags` (a list of strings). In a batch each line also carries its `id`.
Ids are 1 to 200 characters of A-Z, a-z, 0-9 and . _ : - (not only dots). Text is normalised as
the JSON Lines reader does; the stored payload is what was accepted, so replaying the log builds
the same Article (same content hash) every time.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from searchsvc.errors import BadRequest
from searchsvc.ingest.fields import build_article, normalize_text
from searchsvc.model import Article

API_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
REQUIRED = ("title", "body")
TEXT_FIELDS = ("author", "source", "url", "summary")
ALLOWED = {"id", *REQUIRED, "published", *TEXT_FIELDS, "tags"}
MAX_TITLE_CHARS = 2000
MAX_TEXT_CHARS = 10_000  # author, source, url, summary
MAX_TAGS = 100
MAX_TAG_CHARS = 200


def check_id(article_id: object) -> str:
    """Return the id when it is a valid API article id, else raise BadRequest naming `id`."""
    if not isinstance(article_id, str):
        raise BadRequest("Field 'id' must be a string.")
    if not API_ID.match(article_id) or set(article_id) == {"."}:
        raise BadRequest(
            "Field 'id' must be 1 to 200 characters of A-Z, a-z, 0-9 and . _ : - "
            f"(got {article_id[:60]!r}{'...' if len(article_id) > 60 else ''}).",
        )
    return article_id


def _string(obj: dict, name: str, limit: int, required: bool = False) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}, not a string"
        raise BadRequest(f"Field {name!r} is {kind}.")
    if "\x00" in value:
        raise BadRequest(f"Field {name!r} must not contain NUL characters.")
    if len(value) > limit:
        raise BadRequest(f"Field {name!r} is too long ({len(value)} characters; limit {limit}).")
    if required and not value.strip():
        raise BadRequest(f"Field {name!r} must not be empty.")
    return value


def _published(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise BadRequest(
        "Field 'published' must be a date written YYYY-MM-DD or an ISO 8601 date-time.",
        hint="For example 2026-03-01 or 2026-03-01T08:30:00Z.",
    )


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadRequest("Field 'tags' must be a list of strings.")
    if len(value) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS or "\x00" in t for t in value):
        raise BadRequest(
            f"Field 'tags' holds at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters."
        )
    return tuple(t.strip() for t in value if t.strip())


def article_from_json(obj: object, article_id: str) -> Article:
    """Return the Article of a JSON object sent for `article_id`, or raise BadRequest."""
    if not isinstance(obj, dict):
        raise BadRequest("The article must be a JSON object.")
    unknown = sorted(set(obj) - ALLOWED)
    if unknown:
        raise BadRequest(
            f"Unknown field {unknown[0]!r}.", hint=f"Fields: {', '.join(sorted(ALLOWED))}."
        )
    if "id" in obj and obj["id"] != article_id:
        raise BadRequest("Field 'id' does not match the id in the URL.")
    title = _string(obj, "title", MAX_TITLE_CHARS, required=True)
    body = _string(obj, "body", 1 << 40, required=True)
    texts = {name: _string(obj, name, MAX_TEXT_CHARS) for name in TEXT_FIELDS}
    return build_article(
        id=check_id(article_id),
        rel="",
        title=title,
        body=normalize_text(body),
        published=_published(obj.get("published")),
        tags=_tags(obj.get("tags")),
        **texts,
    )


def to_payload(article: Article) -> dict:
    """Return the JSON object the log stores for an accepted article."""
    return {
        "title": article.title,
        "body": article.body,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "source": article.source,
        "url": article.url,
        "tags": list(article.tags),
        "summary": article.summary,
    }


def from_payload(article_id: str, payload: dict) -> Article:
    """Return the Article a log payload stores (the same content hash as when accepted)."""
    published = payload.get("published")
    return build_article(
        id=article_id,
        rel="",
        title=payload["title"],
        body=payload["body"],
        published=date.fromisoformat(published) if published else None,
        author=payload.get("author", ""),
        source=payload.get("source", ""),
        url=payload.get("url", ""),
        tags=tuple(payload.get("tags", ())),
        summary=payload.get("summary", ""),
    )
