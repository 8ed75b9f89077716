"""Tiered merging of small segments on every commit (the policy is in engine/w3/tiers.py).

Each commit (a `searchsvc index` update, a batch of live writes) adds one small segment; the
policy merges it with others of its size once a level is full, never touching the big segments
of a full build. A merge re-adds the chosen segments' live documents: every field the index
holds is stored or derived from stored fields, so the Article comes back whole and goes through
the same writer as new articles (bulk-built segments with their term arrays).
"""

from __future__ import annotations

from datetime import datetime

from searchsvc.engine.schema import articles_to_docs
from searchsvc.engine.w3 import tiers
from searchsvc.model import Article


def stored_to_article(f: dict) -> Article:
    """Return the Article whose article_to_doc gives back a document with these stored fields."""
    published = f.get("published")
    tags = f.get("tags") or ""
    return Article(
        id=f["id"],
        title=f.get("title") or "",
        body=f.get("body") or "",
        published=published.date() if isinstance(published, datetime) else None,
        author=f.get("author") or "",
        source=f.get("source") or "",
        url=f.get("url") or "",
        tags=tuple(t for t in tags.split(",") if t),
        summary=f.get("summary") or "",
        path=f.get("path") or "",
        content_hash=f.get("content_hash") or "",
    )


def merge_small(writer, new_docs: int, max_docs: int = tiers.MAX_MERGE_DOCS):
    """Re-add the segments the tiered policy merges with `new_docs`; return the commit's policy.

    Call after the writer's deletions and before commit(mergetype=<the returned policy>).
    """
    current = tiers.segments(writer)
    sizes = [tiers.live_docs(s) for s in current]
    chosen = tiers.choose(sizes, new_docs, max_docs=max_docs)
    for i in chosen:
        articles = (stored_to_article(f) for f in tiers.stored_live(writer, current[i]))
        writer.add_many(articles, articles_to_docs)
    drop = {current[i].segment_id() for i in chosen}
    return tiers.keep_policy(drop), sum(sizes[i] for i in chosen)
