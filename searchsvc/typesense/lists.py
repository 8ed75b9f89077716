"""Round one of a ranked search on Typesense: the searches for candidates, counts and facets.

They go in one round (the engine sends a long round as two concurrent multi_search requests).

Candidates come from the ranking collection, whose entries are small (docs.py), so a search
returning dozens of them costs Typesense little:

- per query leaf, its documents in impact order (`found` is its document frequency); phrases
  and title: words search the article collection, which has the stems and their positions;
- for a keyword query (up to SHORT_QUERY groups), per set of two or more of its plain words, the
  documents holding all of them, in the impact order of the first: the tiers rank documents
  matching more words first, so these are where the best page comes from. A list with fewer
  documents than its depth is complete; deeper ones hold the best by one word's impact;
- the total and facets of the match set (documents holding any of the words), copies counted
  once (counts.py), when the match set is exactly known before ranking (plain words, fewer than
  LONG_QUERY groups); otherwise they are counted from the candidates when those hold every
  match, else in round two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from searchsvc.text.scoring import LONG_QUERY, SHORT_QUERY, TEXT_FIELDS
from searchsvc.typesense import counts
from searchsvc.typesense.docs import IMPACT_FIELDS, IMPACT_WEIGHTS, RANK, STATS_ID
from searchsvc.typesense.plan import Leaf, Plan, has, match_filter, quote

DEPTH = 30  # candidates per list of a keyword query (at least twice the page's end)
DEPTH_LONG = 250  # per leaf of a longer query (no tiers: any word can lift a document)
BUDGET_LONG = 2000  # candidates of a longer query: fewer per leaf when it has many
PREFIX_CAP = 50  # most frequent expansions of a prefix*, as on the Whoosh backend
MAX_PER_CALL = 250  # Typesense's per_page limit
RANK_SHOW = "id,tf,tl,bl,dup,dupn,source,tags,day"  # ranking and counting a candidate
CANDIDATE_FIELDS = "id,tf,tl,bl,dup,source,tags,day"  # the same from the article collection
EXACT = {  # words match exactly and every word counts: no typos, no dropping, no highlights
    "num_typos": 0,
    "typo_tokens_threshold": 0,
    "drop_tokens_threshold": 0,
    "prioritize_exact_match": False,
    "highlight_fields": "none",
    "enable_highlight_v1": False,
}
BY_IMPACT = {"query_by": ",".join(IMPACT_FIELDS), "query_by_weights": IMPACT_WEIGHTS, **EXACT}
TIES = "_text_match:desc,bl:asc"  # within an impact level, shorter bodies first


def stats_search() -> dict:
    """Return the search that fetches the statistics document."""
    return {"q": "*", "filter_by": f"id:={quote(STATS_ID)}", "include_fields": "stats"}


def df_search(term: str) -> dict:
    """Return a search whose `found` is the number of documents holding a stem."""
    return {"collection": RANK, "q": term, "per_page": 0, "prefix": "false", **BY_IMPACT}


def _and(*parts: str) -> str:
    return " && ".join(p for p in parts if p)


def depth(plan: Plan, end: int) -> int:
    """Return the candidates per list: DEPTH (or twice the page's end); past tiers DEPTH_LONG,
    less for a query of many leaves (BUDGET_LONG in all)."""
    if len(plan.groups) > SHORT_QUERY:
        return max(DEPTH, min(DEPTH_LONG, BUDGET_LONG // max(1, len(plan.leaves()))))
    return min(MAX_PER_CALL, max(DEPTH, 2 * end))


def leaf_searches(leaf: Leaf, plan: Plan, n: int) -> list[dict]:
    """Return [candidate search, document-frequency search] of one leaf ([one] unfiltered)."""
    if leaf.kind == "phrase" or leaf.fields != TEXT_FIELDS:
        by = "title_stems" if leaf.fields == ("title",) else "title_stems,body_stems"
        q = '"' + " ".join(leaf.terms) + '"' if leaf.kind == "phrase" else leaf.terms[0]
        base = {"q": q, "query_by": by, "prefix": "false", **EXACT}
        include, filter_by = CANDIDATE_FIELDS + ",title_stems,body_stems", plan.filter_by
    else:
        prefix = "true" if leaf.kind == "prefix" else "false"
        base = {"collection": RANK, "q": leaf.terms[0], "prefix": prefix, **BY_IMPACT}
        if leaf.kind == "prefix":
            base["max_candidates"] = PREFIX_CAP
        include, filter_by = RANK_SHOW, plan.filter_by
    found = {**base, "per_page": n, "include_fields": include}
    if base.get("collection") == RANK:
        found["sort_by"] = TIES
    if not filter_by:
        return [found]
    return [{**found, "filter_by": filter_by}, {**base, "per_page": 0}]


def expansion_search(leaf: Leaf) -> dict:
    """Return the search for a prefix's most frequent expansions and their frequencies."""
    return {
        "q": leaf.terms[0],
        "query_by": "title_stems,body_stems",
        "prefix": "true",
        "max_candidates": PREFIX_CAP,
        **EXACT,
        "per_page": 0,
        "facet_by": "terms",
        "facet_query": f"terms:{leaf.terms[0]}",
        "max_facet_values": PREFIX_CAP,
    }


def subset_searches(plan: Plan, n: int) -> list[dict]:
    """Return, per set of 2+ plain words of a keyword query, its documents holding them all."""
    if len(plan.groups) > SHORT_QUERY:
        return []
    words = [
        g.leaves[0].terms[0]
        for g in plan.groups
        if len(g.leaves) == 1 and g.leaves[0].kind == "term" and g.leaves[0].fields == TEXT_FIELDS
    ]
    out = []
    for size in range(2, len(words) + 1):
        for subset in combinations(words, size):
            every = _and(*(has([w]) for w in subset), plan.filter_by)
            out.append(
                {
                    "collection": RANK,
                    "q": subset[0],
                    "prefix": "false",
                    **BY_IMPACT,
                    "filter_by": every,
                    "per_page": n,
                    "include_fields": RANK_SHOW,
                    "sort_by": TIES,
                }
            )
    return out


def excluded_searches(plan: Plan) -> list[dict]:
    """Return one search per excluded phrase (the ids of the documents holding it)."""
    out = []
    for leaf in plan.excluded_phrases:
        by = "title_stems" if leaf.fields == ("title",) else "title_stems,body_stems"
        q = '"' + " ".join(leaf.terms) + '"'
        out.append(
            {"q": q, "query_by": by, "per_page": MAX_PER_CALL, "include_fields": "id", **EXACT}
        )
    return out


def counted_early(plan: Plan) -> bool:
    """Return True when round one can count the match set exactly: every group, plain words."""
    plain = all(leaf.kind == "term" and leaf.fields == TEXT_FIELDS for leaf in plan.leaves())
    return plain and len(plan.groups) < LONG_QUERY and not plan.excluded_phrases


@dataclass
class RoundOne:
    """The searches of round one and where each answer is in the results."""

    searches: list[dict] = field(default_factory=list)
    leaves: dict[Leaf, tuple[int, int, int | None]] = field(default_factory=dict)
    subsets: range = range(0)
    counts: range = range(0)
    excluded: range = range(0)

    def add(self, searches: list[dict]) -> range:
        """Append searches; return their positions."""
        start = len(self.searches)
        self.searches += searches
        return range(start, len(self.searches))


def round_one(
    plan: Plan, end: int = 10, collapse: bool = True, facets: bool | None = True
) -> RoundOne:
    """Return round one's searches: statistics, lists, sets and counts (facets None: none)."""
    r = RoundOne()
    r.add([stats_search()])
    n = depth(plan, end)
    for leaf in plan.leaves():
        got = r.add(leaf_searches(leaf, plan, n))
        more = r.add([expansion_search(leaf)])[0] if leaf.kind == "prefix" else None
        r.leaves[leaf] = (got[0], got[-1], more)
    r.subsets = r.add(subset_searches(plan, n))
    if facets is not None and counted_early(plan):
        match = _and(match_filter(plan.leaves(), {}), plan.filter_by)
        r.counts = r.add(counts.count_searches(match, collapse, facets))
    r.excluded = r.add(excluded_searches(plan))
    return r
