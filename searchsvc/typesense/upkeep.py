"""What the indexer keeps exact after every update: the statistics document and copy counts.

The statistics document holds the article count and summed field lengths, summed by Typesense.

Copies on the ranking collection: `dupn`, the number of articles sharing a near-duplicate key.

Totals and facets fold copies of a story into one. Counting distinct keys with `group_by` over
a whole match set costs Typesense tens of milliseconds, but copies are rare (about 1% of the
Reuters articles): with `dupn` a search counts every match plainly and regroups only the few
with copies (`dupn:>1`; counts.py). The indexer keeps `dupn` exact: after each update it
recounts every key that an added, changed or deleted article carried.
"""

from __future__ import annotations

import time

from typesense import exceptions as tse

from searchsvc.errors import IndexWriteError
from searchsvc.typesense.docs import ARTICLES, STATS_ID, read_stats, stats_doc
from searchsvc.typesense.plan import by_ids, quote

CHUNK = 100  # keys per filter
PAGE = 250  # Typesense's per_page limit


def keys_of(docs, ids: list[str]) -> set[str]:
    """Return the near-duplicate keys of the given ranking entries (before they are deleted)."""
    keys: set[str] = set()
    for k in range(0, len(ids), PAGE):
        part = ids[k : k + PAGE]
        res = docs.search(by_ids(part, "id,dup"))
        keys.update(h["document"]["dup"] for h in res["hits"] if h["document"].get("dup"))
    return keys


def _members(docs, keys: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Return {key: [(id, dupn)]} of every ranking entry carrying one of the keys."""
    out: dict[str, list[tuple[str, int]]] = {k: [] for k in keys}
    filter_by = f"dup:=[{', '.join(quote(k) for k in keys)}]"
    page = 1
    while True:
        res = docs.search(
            {
                "q": "*",
                "filter_by": filter_by,
                "per_page": PAGE,
                "page": page,
                "include_fields": "id,dup,dupn",
            }
        )
        for h in res["hits"]:
            d = h["document"]
            out.setdefault(d["dup"], []).append((d["id"], int(d.get("dupn", 1))))
        if page * PAGE >= res["found"]:
            return out
        page += 1


def update_counts(docs, keys: set[str]) -> int:
    """Rewrite `dupn` of every entry carrying one of the keys; return the entries changed."""
    changed = []
    ordered = sorted(keys)
    for k in range(0, len(ordered), CHUNK):
        for members in _members(docs, ordered[k : k + CHUNK]).values():
            changed += [{"id": i, "dupn": len(members)} for i, n in members if n != len(members)]
    if changed:
        results = docs.import_(changed, {"action": "update"})
        bad = [r for r in results if not r.get("success")]
        if bad:
            raise IndexWriteError(f"Typesense rejected {len(bad)} updates: {bad[0].get('error')}")
    return len(changed)


def count(client, name: str, expected: int, wait: float = 15.0) -> int:
    """Return the collection's document count once it reaches `expected` (or after `wait` s).

    In a cluster the count may come from a follower that has not applied the last writes yet.
    """
    deadline = time.monotonic() + wait
    while True:
        n = client.collections[name].retrieve()["num_documents"]
        if n == expected or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def length_sums(client, name: str, expected: int, wait: float = 15.0) -> tuple[int, int, int]:
    """Return (articles, summed title lengths, summed body lengths) as the collection holds them.

    Summed by Typesense (facet stats) once a node reports `expected` articles, so incremental
    updates, deletions and rebuilds all leave exact figures.
    """
    deadline = time.monotonic() + wait
    params = {"q": "*", "filter_by": ARTICLES, "facet_by": "tl,bl", "per_page": 0}
    while True:
        res = client.collections[name].documents.search(params)
        if res["found"] == expected or time.monotonic() > deadline:
            sums = {f["field_name"]: f.get("stats", {}).get("sum", 0) for f in res["facet_counts"]}
            return res["found"], int(sums.get("tl", 0)), int(sums.get("bl", 0))
        time.sleep(0.1)


def write_stats(client, name: str, expected: int) -> None:
    """Rewrite the statistics document (article count, summed lengths) of a collection."""
    stats = stats_doc(*length_sums(client, name, expected))
    client.collections[name].documents.upsert(stats)


def current_stats(docs) -> dict:
    """Return the running sums of the collection's statistics document (zeros without one)."""
    try:
        got = read_stats(docs[STATS_ID].retrieve())
    except tse.ObjectNotFound:
        got = read_stats(None)
    n = got["documents"]
    return {"n": n, "title": got["avg"]["title"] * n, "body": got["avg"]["body"] * n}
