"""JSON Lines reader: one article object per line; bad lines are skipped with their number."""

from __future__ import annotations

import json

from searchsvc.ingest.fields import (
    build_article,
    derive_title,
    folder_tags,
    normalize_text,
    parse_date,
)
from searchsvc.model import Article, make_id


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


def _article(obj: dict, rel: str, lineno: int) -> Article | str:
    title = _str(obj.get("title")).replace("\n", " ")
    body = normalize_text(_str(obj.get("body")))
    if not title and not body:
        return "no title and no body"
    raw_id = obj.get("id")
    art_id = _str(raw_id) if isinstance(raw_id, str | int) and _str(raw_id) else None
    return build_article(
        id=art_id or make_id(rel, lineno),
        rel=rel,
        title=title or derive_title(body),
        body=body,
        published=parse_date(_str(obj.get("published"))),
        author=_str(obj.get("author")),
        source=_str(obj.get("source")),
        url=_str(obj.get("url")),
        tags=folder_tags(rel) + _tags(obj.get("tags")),
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
