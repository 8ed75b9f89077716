"""Total, facets and timeline of a match set, copies of a story counted once.

On the cluster (`count_searches`): every match is counted and faceted plainly; then the few
matches whose story has copies (`dupn:>1` on the ranking collection, upkeep.py) are counted
once more to be taken out, and grouped by their near-duplicate key to be put back once per story
(a group counts once per facet value). That is what one `group_by` over every match gives, at a
fraction of its cost. Tags come from a search of their own, so that only the most frequent
(TAG_VALUES) are fetched: Typesense loads one document per facet value it returns; a tag just
below them whose copies made a higher one lose counts could be missed. Years are summed from the
month counts.

From the candidates (`local_counts`): when every match is a candidate, counted by searchsvc.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from searchsvc.contract import TOP_TAGS, SearchRequest
from searchsvc.text.dates import timeline
from searchsvc.typesense.docs import EPOCH, RANK, UNDATED
from searchsvc.typesense.query import facets_from

FACETS = "source,month"  # every value; tags: the TOP_TAGS most frequent (and a margin)
TAG_VALUES = TOP_TAGS + 10


def _and(*parts: str) -> str:
    return " && ".join(p for p in parts if p)


def count_searches(match: str, collapse: bool, facets: bool) -> list[dict]:
    """Return the searches counting a match set (a ranking filter) and its facets.

    [every match, its tags] (facets) or [every match]; with `collapse` also [matches with
    copies, the same grouped by story] to take the copies back out.
    """
    base = {"collection": RANK, "q": "*", "per_page": 0}
    out = [{**base, "filter_by": match}]
    if facets:
        out[0].update(facet_by=FACETS, max_facet_values=1000)
        out.append({**base, "filter_by": match, "facet_by": "tags"})
        out[1]["max_facet_values"] = TAG_VALUES
    if collapse:  # a numeric filter costs per document it keeps: test dupn:>1, never dupn:=1
        copies = {**base, "filter_by": _and(match, "dupn:>1")}
        if facets:
            copies.update(facet_by=f"{FACETS},tags", max_facet_values=1000)
        out += [copies, {**copies, "group_by": "dup", "group_limit": 1}]
    return out


def read_counts(results: list[dict], collapse: bool, facets: bool) -> tuple[int, dict, list]:
    """Return (total, facets, timeline) from the answers of `count_searches`."""
    signs = [1] * len(results)
    if collapse:
        signs[-2] = -1  # the copies counted one by one, then once per story
    total = sum(sign * res["found"] for sign, res in zip(signs, results, strict=True))
    if facets:
        total -= results[1]["found"]  # the tags search counts the same matches again
    else:
        return total, {}, []
    counts: dict[str, Counter] = {f: Counter() for f in ("source", "tags", "month")}
    for sign, res in zip(signs, results, strict=True):
        for f in res.get("facet_counts", ()):
            for c in f["counts"]:
                counts[f["field_name"]][c["value"]] += sign * c["count"]
    years: Counter = Counter()
    for month, n in counts["month"].items():
        years[month[:4]] += n
    counts["year"] = years
    merged = [
        {"field_name": f, "counts": [{"value": v, "count": n} for v, n in c.items() if n > 0]}
        for f, c in counts.items()
    ]
    return (total, *facets_from({"facet_counts": merged}))


def _ordered(counts: dict) -> dict:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def local_facets(docs: list[dict]) -> tuple[dict, list]:
    """Return ({source, tags, year}, timeline) counted over the given documents."""
    sources: Counter = Counter()
    tags: Counter = Counter()
    days: Counter = Counter()
    for d in docs:
        if d.get("source"):
            sources[d["source"]] += 1
        tags.update(d.get("tags") or ())
        if d.get("day", UNDATED) != UNDATED:
            days[date.fromordinal(EPOCH.toordinal() + d["day"])] += 1
    years: Counter = Counter()
    for day, n in days.items():
        years[str(day.year)] += n
    facets = {
        "source": _ordered(sources),
        "tags": dict(list(_ordered(tags).items())[:TOP_TAGS]),
        "year": dict(sorted(years.items(), reverse=True)),
    }
    return facets, timeline(days)


def local_counts(ids: list[str], shown: list[str], docs: dict, req: SearchRequest) -> tuple:
    """Return (total, facets, timeline, copies per key) of a match set held by the candidates.

    `ids`: every match, best first; `shown`: the same with copies folded (when collapsing).
    """
    facets, tl = local_facets([docs[i] for i in shown]) if req.facets else ({}, [])
    similar = Counter(docs[i].get("dup") for i in ids) if req.collapse else Counter()
    return len(shown), facets, tl, dict(similar)
