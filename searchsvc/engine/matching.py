"""Match sets: every document a plan matches, with its rank key, filters and exclusions applied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from searchsvc.engine import facets
from searchsvc.engine.deadline import check_deadline
from searchsvc.engine.plan import CopiesOf, DateRange, QueryPlan
from searchsvc.engine.ranking import leaf_docs, rank, top
from searchsvc.engine.state import View

UNDATED_BELOW = 1e12  # newest first: every dated key is above every undated one


@dataclass
class Matches:
    """Every match of a request: docnums, their rank keys (higher first) and whether by date."""

    ids: np.ndarray
    keys: np.ndarray
    by_date: bool


def docset(view: View, item) -> np.ndarray:
    """Return a boolean array over all documents where a filter or exclusion item matches."""
    key = str(item)
    found = view.state.docsets.get(key)
    if found is None:
        if isinstance(item, DateRange):
            found = facets.in_date_range(view, item.lo, item.hi, item.undated)
        elif isinstance(item, CopiesOf):
            dup = facets.columns(view)["dup"]
            docnum = view.searcher.document_number(id=item.article_id)
            found = dup == dup[docnum] if docnum is not None else np.zeros(len(dup), bool)
        else:
            found = np.zeros(view.state.total, dtype=bool)
            for leaf in item:
                if leaf.kind in ("phrase", "source"):
                    found[leaf_docs(view, leaf)] = True
                    continue
                for t in leaf.terms:
                    check_deadline()
                    for f in leaf.fields:
                        found[view.term_docs(f, t)] = True
        found.flags.writeable = False
        found = view.state.docsets.put(key, found)
    return found


def match(view: View, plan: QueryPlan, newest: bool) -> Matches:
    """Return every document the plan matches, ranked by score or (newest) by date."""
    if plan.groups:
        ranked = rank(view, plan.groups)
        ids, scores = ranked.ids, ranked.scores
    else:
        ids, scores = view.state.live_ids, None
    keep = None
    for item in plan.required:
        keep = docset(view, item)[ids] if keep is None else keep & docset(view, item)[ids]
    for leaf in plan.excluded:
        deny = ~docset(view, (leaf,))[ids]
        keep = deny if keep is None else keep & deny
    if keep is not None:
        ids = ids[keep]
        scores = scores[keep] if scores is not None else None
    if newest or scores is None:
        keys = -facets.newest_positions(view)[ids].astype(np.float64)
        if scores is not None:  # undated matches after the dated ones, by relevance
            dated = facets.columns(view)["doc_ord"][ids] > 0
            keys = np.where(dated, keys + UNDATED_BELOW, scores - UNDATED_BELOW)
        return Matches(ids, keys, True)
    return Matches(ids, scores, False)


def ranked(matches: Matches, want: int) -> list[tuple[float, int]]:
    """Return the best `want` matches as [(score, docnum)], best first."""
    best = top(matches.keys, want)
    scores = [0.0] * len(best) if matches.by_date else matches.keys[best].tolist()
    return list(zip(scores, matches.ids[best].tolist(), strict=True))


def count_all(view: View, plan: QueryPlan) -> int:
    """Return how many documents match every group of the plan (and its filters)."""
    if not plan.groups:
        return 0
    keep = view.state.live.copy()
    for group in plan.groups:
        hit = np.zeros(view.state.total, dtype=bool)
        for leaf in group.leaves:
            hit[leaf_docs(view, leaf)] = True
        keep &= hit
    for item in plan.required:
        keep &= docset(view, item)
    for leaf in plan.excluded:
        keep &= ~docset(view, (leaf,))
    return int(np.count_nonzero(keep))
