"""The proximity boost of text/scoring.py on the Typesense backend.

The Whoosh backend reads word positions from its index; here they come from the article
collection's `title_stems` and `body_stems` (each field's analysed terms, in order), fetched for
the PROXIMITY_TOP best first-pass candidates in one search between round one and round two,
and only for queries the boost applies to (2 to PROXIMITY_MAX_GROUPS groups, with neighbouring
single words). Then `scoring.document_proximity` gives each the boost the Whoosh backend gives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from searchsvc.text import scoring
from searchsvc.typesense.plan import Plan, quote
from searchsvc.typesense.rank import Ranking

STEMS = "id,title_stems,body_stems"


def applies(plan: Plan) -> list[tuple[str, str]]:
    """Return the query's word pairs when the proximity boost applies to it, else []."""
    n = len(plan.groups)
    if not scoring.PROXIMITY_WEIGHT or not 1 < n <= scoring.PROXIMITY_MAX_GROUPS:
        return []
    return scoring.query_pairs(plan.groups)


def best(ranking: Ranking) -> np.ndarray:
    """Return the candidate positions the boost re-ranks: the best by tiered first-pass score."""
    m = ranking.matched
    tiered = scoring.tiered(ranking.acc[m], ranking.hits[m], ranking.groups)
    return m[np.lexsort((ranking.scorer.id_rank[m], -tiered))][: scoring.PROXIMITY_TOP]


def stems_search(ids: list[str]) -> dict:
    """Return the search for the analysed title and body of the given articles."""
    filter_by = f"id:=[{', '.join(quote(i) for i in ids)}]"
    return {"q": "*", "filter_by": filter_by, "per_page": len(ids), "include_fields": STEMS}


def boost(ranking: Ranking, pairs: list[tuple[str, str]], multi: Callable) -> bool:
    """Add the proximity boost to the best candidates' first-pass scores (one search).

    Return False (and change nothing) when there is nothing to boost.
    """
    if not pairs:
        return False
    chosen = best(ranking)
    if not len(chosen):
        return False
    sc = ranking.scorer
    ids = [sc.ids[i] for i in chosen.tolist()]
    got = multi([stems_search(ids)])[0]
    stems = {h["document"]["id"]: h["document"] for h in got.get("hits", ())}
    dfs = {t: r.df for leaf, r in sc.c.leaves.items() for t in leaf.terms}
    idf = {t: scoring.idf(dfs.get(t, 1), ranking.total) for pair in pairs for t in pair}
    for k, i in zip(chosen.tolist(), ids, strict=True):
        doc = stems.get(i)
        if doc is None:  # gone from the article collection since round one (a rebuild)
            continue
        positions = {
            f: scoring.stem_positions(doc.get(f"{f}_stems") or "") for f in scoring.TEXT_FIELDS
        }
        ranking.acc[k] += scoring.document_proximity(pairs, positions, idf)
    return True
