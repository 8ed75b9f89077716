"""Writing articles to a Typesense index: each article's document and its ranking entry.

An index is two collections with the same name suffix (typesense/index.py): the articles and
their small ranking entries (typesense/docs.py). The indexer, the write API (live.py) and the
replay after a rebuild all write through here, so both collections and the copy counts
(`dupn`, typesense/upkeep.py) always change together.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import NamedTuple

from typesense import exceptions as tse

from searchsvc.errors import IndexWriteError
from searchsvc.ingest.apistore import ApiView
from searchsvc.model import Article
from searchsvc.text.analysis import index_terms
from searchsvc.typesense import upkeep
from searchsvc.typesense.docs import RANK, article_docs

ALIAS = "searchsvc_articles"
RANK_ALIAS = RANK  # the ranking collection's alias


class Collections(NamedTuple):
    """The documents endpoints of an index's article and ranking collections."""

    docs: object
    ranks: object


def rank_name(collection: str) -> str:
    """Return the ranking collection that goes with an article collection."""
    return RANK_ALIAS + collection.removeprefix(ALIAS)


def docs_of(client, collection: str = ALIAS) -> Collections:
    """Return both collections of an index (by name, or behind the aliases by default)."""
    ranks = RANK_ALIAS if collection == ALIAS else rank_name(collection)
    return Collections(
        client.collections[collection].documents, client.collections[ranks].documents
    )


def import_articles(docs, ranks, batch: list[Article], sums: dict, touched: Counter) -> None:
    """Upsert a batch of articles and their ranking entries and empty it; raise when any
    document was rejected; count their near-duplicate keys in `touched`.

    `sums`: running article count and summed lengths; their averages set the impact levels
    (the first batch of a new collection is measured before it is written).
    """
    if not batch:
        return
    if not sums["n"]:
        for a in batch:
            sums["title"] += len(index_terms(a.title))
            sums["body"] += len(index_terms(a.body))
        sums["n"] = len(batch)
        pairs = [article_docs(a, averages(sums)) for a in batch]
    else:
        pairs = [article_docs(a, averages(sums)) for a in batch]
        for d, _ in pairs:
            sums["title"] += d["tl"]
            sums["body"] += d["bl"]
        sums["n"] += len(batch)
    for target, encoded in ((docs, [d for d, _ in pairs]), (ranks, [r for _, r in pairs])):
        results = target.import_(encoded, {"action": "upsert"})
        bad = [r for r in results if not r.get("success")]
        if bad:
            raise IndexWriteError(f"Typesense rejected {len(bad)} documents: {bad[0].get('error')}")
    touched.update(d["dup"] for d, _ in pairs)
    batch.clear()


def averages(sums: dict) -> dict[str, float]:
    """Return the average title and body lengths of running sums."""
    n = max(1, sums["n"])
    return {"title": sums["title"] / n or 1.0, "body": sums["body"] / n or 1.0}


def put(c: Collections, articles: list[Article]) -> None:
    """Upsert articles into a live index and recount the copies of their keys."""
    touched: Counter = Counter()
    touched.update(upkeep.keys_of(c.ranks, [a.id for a in articles]))  # keys they had before
    import_articles(c.docs, c.ranks, list(articles), upkeep.current_stats(c.docs), touched)
    upkeep.update_counts(c.ranks, set(touched))


def delete(c: Collections, ids: list[str]) -> None:
    """Delete articles (missing ones are skipped) and recount the copies of their keys."""
    keys = upkeep.keys_of(c.ranks, ids)
    for i in ids:
        for docs in (c.docs, c.ranks):
            with contextlib.suppress(tse.ObjectNotFound):
                docs[i].delete()
    upkeep.update_counts(c.ranks, keys)


def replay(c: Collections, api: ApiView) -> None:
    """Apply to a new index what the write API logged after the snapshot `api`."""
    last = {}
    for rec in api.log.read(api.end):
        last[rec.id] = rec
    puts = [api.article(r) for r in last.values() if r.op == "put"]
    if puts:
        put(c, puts)
    gone = [r.id for r in last.values() if r.op == "delete"]
    if gone:
        delete(c, gone)
