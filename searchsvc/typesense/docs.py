"""The Typesense documents of an article: schemas, stems, ranking data, the statistics document.

Each article is two documents with the same id, in two collections:

- the **article** (FIELDS, alias ALIAS): display fields, body, stems for phrases, `terms` (its
  distinct stems: filters of listings, facet queries for prefix expansions), `words`
  (completions), and the ranking data `tf` (" stem:body[:title]" term counts), `tl`, `bl` (title
  and body lengths in terms; facets, so the indexer can sum them);
- the **ranking entry** (RANK_FIELDS, alias RANK_ALIAS): only what ranking, totals and facets
  need, so that a search returning many candidates loads small documents (Typesense parses
  each returned document whole): `imp0`..`imp{LEVELS-1}` (every stem once, in the field of its
  BM25F impact level, so a search for one stem weighted by level returns the documents in
  nearly descending BM25F order), `terms` (the same filters as on articles: a filter of 0.24
  may hold at most 100 tokens, too few to test a stem in 16 fields), `tf`, `tl`, `bl`, the
  filter and facet fields, `dup` and `dupn` (the number of articles sharing its near-duplicate
  key, so totals fold copies without `group_by` over every match).

One statistics document (id STATS_ID, `day` below every article's) in the article collection
holds the article count and the summed field lengths; the indexer rewrites it after every update.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from searchsvc.ingest.sources import source_key
from searchsvc.model import Article
from searchsvc.text.analysis import english_analyzer, fold, index_terms
from searchsvc.text.fingerprint import near_duplicate_key
from searchsvc.text.scoring import K1, field_part

RANK = "searchsvc_ranking"  # the ranking collection's alias
UNDATED = -10_000_000  # the `day` of an undated article: sorts last, outside any date filter
STATS_ID = "__searchsvc_stats__"
STATS_DAY = UNDATED - 1  # below every article: `ARTICLES` leaves the statistics out
ARTICLES = f"day:>={UNDATED}"
EPOCH = date(1970, 1, 1)
LEVELS = 16  # impact levels: saturated BM25F pseudo-frequency (0 .. K1 + 1) in equal steps
# (Typesense 0.24 ranks by at most 16 field weights, 15..0)
IMPACT_FIELDS = [f"imp{k}" for k in reversed(range(LEVELS))]  # highest level first
IMPACT_WEIGHTS = ",".join(str(k) for k in reversed(range(LEVELS)))

FIELDS = [
    {"name": "path", "type": "string"},
    {"name": "title_stems", "type": "string"},
    {"name": "body_stems", "type": "string"},
    {"name": "terms", "type": "string[]", "facet": True},
    {"name": "tl", "type": "int32", "facet": True},
    {"name": "bl", "type": "int32", "facet": True},
    {"name": "tf", "type": "string", "index": False, "optional": True},
    # Distinct unstemmed words: completions (a facet query gives prefix matches with counts).
    {"name": "words", "type": "string[]", "facet": True},
    {"name": "title", "type": "string", "index": False, "optional": True},
    {"name": "body", "type": "string", "index": False, "optional": True},
    {"name": "published", "type": "string", "index": False, "optional": True},
    {"name": "day", "type": "int32"},
    {"name": "year", "type": "string", "facet": True, "optional": True},
    {"name": "month", "type": "string", "facet": True, "optional": True},  # timeline: YYYY-MM
    {"name": "author", "type": "string", "index": False, "optional": True},
    {"name": "author_key", "type": "string"},
    {"name": "source", "type": "string", "facet": True},
    {"name": "source_key", "type": "string"},
    {"name": "tags", "type": "string[]", "facet": True},
    {"name": "url", "type": "string", "index": False, "optional": True},
    {"name": "dup", "type": "string", "facet": True},
    {"name": "content_hash", "type": "string", "index": False, "optional": True},
    {"name": "stats", "type": "string", "index": False, "optional": True},
]
KEPT = ("terms", "tf", "tl", "bl", "day", "month", "source", "source_key", "author_key", "tags")
KEPT += ("dup",)
RANK_FIELDS = [
    *({"name": name, "type": "string"} for name in IMPACT_FIELDS),
    *(dict(f) for f in FIELDS if f["name"] in KEPT),
    {"name": "dupn", "type": "int32"},
]


def stems(text: str) -> str:
    """Return the text as the English analyzer's stems, space-separated (what Typesense indexes)."""
    return " ".join(t.text for t in english_analyzer()(text))


def impact_level(x: float) -> int:
    """Return the impact level of a BM25F pseudo-frequency x (saturated, in LEVELS steps)."""
    s = (K1 + 1) * x / (K1 + x)
    return min(LEVELS - 1, int(s / (K1 + 1) * LEVELS))


def ranking_fields(title: str, body: str, avg: dict[str, float] | None = None) -> dict:
    """Return tf, tl, bl, terms and (under "levels") the impact fields of a title and body.

    `avg`: the collection's average field lengths (for the impact levels only; the query side
    normalises with the current averages). None: this document's own lengths.
    """
    tt, bt = index_terms(title), index_terms(body)
    tc, bc = Counter(tt), Counter(bt)
    avg = avg or {"title": len(tt) or 1.0, "body": len(bt) or 1.0}
    levels: list[list[str]] = [[] for _ in range(LEVELS)]
    entries = []
    for term in sorted(tc.keys() | bc.keys()):
        t, b = tc.get(term, 0), bc.get(term, 0)
        x = 0.0
        if t:
            x += float(field_part(t, len(tt), avg["title"], "title"))
        if b:
            x += float(field_part(b, len(bt), avg["body"], "body"))
        levels[impact_level(x)].append(term)
        entries.append(f"{term}:{b}:{t}" if t else f"{term}:{b}")
    out = {
        "tf": " " + " ".join(entries) + " ",
        "tl": len(tt),
        "bl": len(bt),
        "terms": sorted(tc.keys() | bc.keys()),
    }
    out["levels"] = {f"imp{k}": " ".join(terms) for k, terms in enumerate(levels)}
    return out


def article_to_ts(article: Article, avg: dict[str, float] | None = None) -> dict:
    """Return the article's document (`avg`: see `ranking_fields`)."""
    return article_docs(article, avg)[0]


def article_docs(article: Article, avg: dict[str, float] | None = None) -> tuple[dict, dict]:
    """Return (article document, ranking entry) of one article (`avg`: see `ranking_fields`)."""
    fields = ranking_fields(article.title, article.body, avg)
    levels = fields.pop("levels")
    words = {fold(w) for w in f"{article.title} {article.body}".split()}
    words = sorted({w.strip(".,;:!?\"'()[]{}") for w in words} - {""})
    doc = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "title_stems": stems(article.title),
        "body_stems": stems(article.body),
        **fields,
        "words": [w for w in words if w.isalnum() and len(w) > 1][:2000],
        "day": UNDATED,
        "author": article.author,
        "author_key": fold(article.author),
        "source": article.source,
        "source_key": source_key(article.source),
        "tags": sorted({fold(t) for t in article.tags if t}),
        "url": article.url,
        "dup": near_duplicate_key(article.title, article.body),
        "content_hash": article.content_hash,
    }
    if article.published:
        doc["published"] = article.published.isoformat()
        doc["day"] = (article.published - EPOCH).days
        doc["year"] = str(article.published.year)
        doc["month"] = article.published.strftime("%Y-%m")
    entry = {k: doc[k] for k in ("id", *KEPT) if k in doc}
    return doc, {**entry, **levels, "dupn": 1}


def stats_doc(documents: int, title_length: int, body_length: int) -> dict:
    """Return the statistics document: article count and summed title and body lengths."""
    data = {"documents": documents, "title": title_length, "body": body_length}
    empty = {f["name"]: "" for f in FIELDS if f["type"] == "string" and not f.get("optional")}
    return {
        **empty,
        "id": STATS_ID,
        "terms": [],
        "words": [],
        "tags": [],
        "tl": 0,
        "bl": 0,
        "day": STATS_DAY,
        "dup": STATS_ID,
        "stats": json.dumps(data),
    }


def read_stats(doc: dict | None) -> dict:
    """Return {documents, avg: {title, body}} from the statistics document (zeros without one)."""
    data = json.loads(doc["stats"]) if doc and doc.get("stats") else {}
    n = int(data.get("documents", 0))
    avg = {f: (data.get(f, 0) / n if n else 0.0) for f in ("title", "body")}
    return {"documents": n, "avg": avg}
