"""JSON Lines reader: one article object per line; bad lines are skipped with their number."""

from __future__ import annotations

import json

from searchsvc.ingest.extract import fragment_text, looks_like_html
from searchsvc.ingest.fields import (
    build_article,
    derive_title,
    folder_tags,
    normalize_text,
    parse_date,
)
from searchsvc.model import Article, make_id, usable_id


def _str(value) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(s for s in (_str(v) for v in value) if s)
    if isinstance(value, dict):
        return _str(value.get("name"))
    return ""


def _tags(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list):
        return tuple(s for s in (_str(v) for v in value) if s)
    return ()


# The keys scrapers and exporters write for each field (news-please, trafilatura, RSS and
# schema.org names); ours first, and the first key holding a value wins.
KEYS = {
    "id": ("id", "_id", "guid", "uuid"),
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "maintext"),
    "published": (
        "published",
        "date",
        "published_at",
        "publish_date",
        "date_publish",
        "datePublished",
        "pubDate",
    ),
    "author": ("author", "authors", "byline"),
    "source": ("source", "publisher", "site_name", "sitename"),
    "url": ("url", "link"),
    "tags": ("tags", "keywords", "categories"),
    "summary": ("summary", "description", "standfirst", "dek"),
}
NO_TEXT = "no title and no body (keys read: " + ", ".join(KEYS["title"] + KEYS["body"]) + ")"


def _field(obj: dict, name: str):
    """Return the value of the first of a field's keys that holds one (None if none does)."""
    for key in KEYS[name]:
        value = obj.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _article(obj: dict, rel: str, lineno: int) -> Article | str:
    title = _str(_field(obj, "title")).replace("\n", " ")
    body = _str(_field(obj, "body"))
    if looks_like_html(body):  # a CMS export's body: its text, a paragraph per block
        body = fragment_text(body)
    body = normalize_text(body)
    if not title and not body:
        return NO_TEXT
    raw_id = _field(obj, "id")
    if isinstance(raw_id, dict) and isinstance(raw_id.get("$oid"), str):
        raw_id = raw_id["$oid"]  # MongoDB's extended JSON
    art_id = _str(raw_id) if isinstance(raw_id, str | int) and _str(raw_id) else None
    art_id = usable_id(art_id) if art_id else None
    source, url = _str(_field(obj, "source")), _str(_field(obj, "url"))
    if _is_url(source):  # trafilatura's "source" is the page's address, not an outlet name
        source, url = "", url or source
    return build_article(
        id=art_id or make_id(rel, lineno),
        rel=rel,
        title=title or derive_title(body),
        body=body,
        published=parse_date(_str(_field(obj, "published"))),
        author=_str(_field(obj, "author")),
        source=source,
        url=url,
        tags=folder_tags(rel) + _tags(_field(obj, "tags")),
        summary=_str(_field(obj, "summary")),
    )


def read_jsonl(text: str, rel: str) -> tuple[list[Article], list[tuple[str, str]]]:
    """Read every line; return the articles and (f"{rel}:{lineno}", reason) for bad lines."""
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            skipped.append(
                (f"{rel}:{lineno}", f"invalid JSON ({exc.args[0] if exc.args else exc})")
            )
            continue
        if not isinstance(obj, dict):
            skipped.append((f"{rel}:{lineno}", "line is not a JSON object"))
            continue
        result = _article(obj, rel, lineno)
        if isinstance(result, str):
            skipped.append((f"{rel}:{lineno}", result))
        else:
            articles.append(result)
    return articles, skipped
