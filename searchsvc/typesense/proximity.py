"""The proximity boost of text/scoring.py on the Typesense backend.

The Whoosh backend reads word positions from its index; here they come from the article
collection's `title_stems` and `body_stems` (each field's analysed terms, in order), fetched for
the PROXIMITY_TOP best first-pass candidates by one more search in round two (so a query still
costs two round trips), and only for queries the boost applies to (2 to PROXIMITY_MAX_GROUPS
groups, with neighbouring single words). Then `scoring.document_proximity` gives each the boost
the Whoosh backend gives. One difference: RM3 picks its feedback documents by the first pass
before the boost (their terms' frequencies are fetched in the same round), the Whoosh backend
after it.
"""

from __future__ import annotations

import numpy as np

from searchsvc.text import scoring
from searchsvc.typesense.plan import Plan, by_ids
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


def stems_search(ids: list[str], extra: str = "") -> dict:
    """Return the search for the analysed title and body (and `extra` fields) of articles."""
    return by_ids(ids, STEMS + (f",{extra}" if extra else ""))


def fetch(
    ranking: Ranking, pairs: list[tuple[str, str]], extra: str = ""
) -> tuple[list[str], dict | None]:
    """Return the documents the boost applies to and the search for their stems and `extra`
    fields (the page's: any of them may reach it); ([], None) when there is no boost."""
    ids = [ranking.scorer.ids[i] for i in best(ranking).tolist()] if pairs else []
    return ids, (stems_search(ids, extra) if ids else None)


def apply(ranking: Ranking, pairs: list[tuple[str, str]], got: dict) -> None:
    """Add the proximity boost to the first-pass scores of the documents in `got` (the stems
    search's result)."""
    sc = ranking.scorer
    at = {i: k for k, i in enumerate(sc.ids)}
    dfs = {t: r.df for leaf, r in sc.c.leaves.items() for t in leaf.terms}
    idf = {t: scoring.idf(dfs.get(t, 1), ranking.total) for pair in pairs for t in pair}
    for hit in got.get("hits", ()):  # an article gone since round one (a rebuild) is missing
        doc = hit["document"]
        positions = {
            f: scoring.stem_positions(doc.get(f"{f}_stems") or "") for f in scoring.TEXT_FIELDS
        }
        ranking.acc[at[doc["id"]]] += scoring.document_proximity(pairs, positions, idf)
