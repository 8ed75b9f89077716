"""One search on the Typesense backend, in two multi_search round trips.

Relevance: round one (lists.py) fetches the candidates from the ranking collection and, when
the match set is known before ranking, its total and facets; searchsvc ranks the candidates
(rank.py). Round two fetches the page's articles (display fields and bodies for snippets) from
the article collection, the word positions of the best candidates for the proximity boost
(proximity.py), the near-duplicate counts of page hits that have copies, what round one could
not count (a match set that depends on the ranking: prefix expansions, excluded phrases, the
common words of long queries), and, for RM3 feedback, the document frequencies of the
expansion terms. Newest first (and a query without words) list the same match set by date on
the article collection.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from searchsvc.contract import Hit, SearchRequest
from searchsvc.text import scoring
from searchsvc.text.scoring import LONG_QUERY
from searchsvc.text.snippets import lead, make_snippet
from searchsvc.typesense import proximity
from searchsvc.typesense.counts import count_searches, local_counts, read_counts
from searchsvc.typesense.docs import ARTICLES
from searchsvc.typesense.lists import MAX_PER_CALL, RANK, df_search, round_one
from searchsvc.typesense.plan import Plan, by_ids, match_filter, quote
from searchsvc.typesense.query import facets_from
from searchsvc.typesense.rank import Candidates, Ranking, first_pass

FEEDBACK_POOL = 40  # beyond the page: first-pass documents fetched with feedback
FACETS = {"facet_by": "source,tags,year,month", "max_facet_values": 600}
SHOW = "id,title,url,published,author,source,tags,dup,day"  # what a hit needs
Multi = Callable[[list[dict]], list[dict]]


def _and(*parts: str) -> str:
    return " && ".join(p for p in parts if p)


def fold(ids: list[str], docs: dict[str, dict], collapse: bool) -> list[str]:
    """Return the ids in order, keeping only the first of each near-duplicate key (collapse)."""
    if not collapse:
        return ids
    seen: set[str] = set()
    out = []
    for i in ids:
        key = docs[i].get("dup", i)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _snippet(body: str, highlight: set[str]) -> str:
    return make_snippet(body, highlight) if highlight else lead(body)


def page_search(ids: list[str], snippets: bool) -> dict:
    """Return the search for the articles of a page (display fields, bodies for snippets)."""
    return by_ids(ids, SHOW + (",body" if snippets else ""))


class Relevance:
    """A relevance-ranked search: round one, the ranking, round two, the page."""

    def __init__(self, plan: Plan, req: SearchRequest, multi: Multi) -> None:
        self.plan, self.req, self.multi = plan, req, multi
        self.trips = 0

    def _multi(self, searches: list[dict]) -> list[dict]:
        self.trips += 1
        return self.multi(searches)

    def run(self, highlight: set[str]) -> tuple[int, list[Hit], dict, list]:
        """Return (total, hits of the page, facets, timeline)."""
        plan, req = self.plan, self.req
        end = req.page * req.per_page
        first = round_one(plan, end, req.collapse, req.facets)
        res = self._multi(first.searches)
        cands = Candidates.read(plan, first, res)
        out = {h["document"]["id"] for k in first.excluded for h in res[k].get("hits", ())}
        for i in out:
            cands.docs.pop(i, None)
        ranking = first_pass(plan, cands)
        pairs = proximity.applies(plan)
        page_fields = SHOW + (",body" if req.snippets else "")
        boosted, stems = proximity.fetch(ranking, pairs, page_fields)
        docs = cands.docs
        expansions = {leaf: list(r.expansions) for leaf, r in cands.leaves.items()}
        match = _and(match_filter(ranking.rare, expansions), plan.filter_by)
        if out:
            match = _and(match, f"id:!=[{', '.join(quote(i) for i in sorted(out))}]")
        second: list[dict] = []
        fb_terms: list[str] = []
        fb_docs = None
        if ranking.wants_feedback():
            known = {t for leaf in cands.leaves for t in leaf.terms}
            fb_docs = ranking.feedback_docs()
            cand = scoring.feedback_candidates(fb_docs)
            fb_terms = [t for t in cand if t not in known]
            second += [df_search(t) for t in fb_terms]
        reranked = fb_docs is not None or stems is not None
        ids, scores = ranking.final()  # the first pass
        folded = fold(ids, docs, req.collapse)  # re-ranked, its best may reach the page:
        pool = folded[: end + FEEDBACK_POOL] if reranked else folded[end - req.per_page : end]
        counted = [res[k] for k in first.counts]
        local = not counted and ranking.complete
        at_counts = len(second)
        if not counted and not local:
            second += count_searches(match, req.collapse, req.facets)
        at_similar = len(second)
        reach = [*pool, *boosted]  # every document that may reach the page
        keys = sorted({docs[i]["dup"] for i in reach if docs[i].get("dupn", 2) > 1})
        keys = [] if local else keys
        if req.collapse and keys:
            dup = f"dup:=[{', '.join(quote(k) for k in keys)}]"
            second.append(
                {
                    "collection": RANK,
                    "q": "*",
                    "filter_by": _and(match, dup),
                    "facet_by": "dup",
                    "max_facet_values": len(keys),
                    "per_page": 0,
                }
            )
        at_stems = len(second)
        if stems is not None:
            second.append(stems)
        at_page = len(second)
        have = set(boosted)  # their page fields come with their stems
        pool = [i for i in pool if i not in have]
        for k in range(0, len(pool), MAX_PER_CALL):
            second.append(page_search(pool[k : k + MAX_PER_CALL], req.snippets))
        got = self._multi(second) if second else []
        fetched = got[at_page:] + ([got[at_stems]] if stems is not None else [])
        shown = {h["document"]["id"]: h["document"] for r in fetched for h in r["hits"]}
        if stems is not None:
            proximity.apply(ranking, pairs, got[at_stems])
        if reranked:  # RM3 applies even when every feedback term is a query word (no dfs asked)
            found = zip(fb_terms, got[: len(fb_terms)], strict=True)
            dfs = None if fb_docs is None else {t: r["found"] for t, r in found}
            ids, scores = ranking.final(dfs, fb_docs)
        page_ids = fold(ids, docs, req.collapse)
        similar: dict[str, int] = {}
        if local:
            total, facets, tl, similar = local_counts(ids, page_ids, docs, req)
        else:
            counted = counted or got[at_counts:at_similar]
            total, facets, tl = read_counts(counted, req.collapse, req.facets)
        if req.collapse and keys and not local:
            found = got[at_similar].get("facet_counts") or [{}]
            similar = {c["value"]: c["count"] for c in found[0].get("counts", ())}
        score_of = dict(zip(ids, np.asarray(scores).tolist(), strict=True))
        page = page_ids[end - req.per_page : end]
        missing = [i for i in page if i not in shown]
        if missing:  # feedback lifted a document from beyond the pool (rare): fetch it
            extra = self._multi([page_search(missing, req.snippets)])
            shown.update({h["document"]["id"]: h["document"] for h in extra[0]["hits"]})
        hits = []
        for i in page:
            d = shown.get(i)
            if d is None:  # gone from the article collection since round one (a rebuild)
                continue
            snippet = _snippet(d.get("body", ""), highlight) if req.snippets else ""
            n = similar.get(d.get("dup"), 1) - 1 if req.collapse else 0
            hits.append(Hit.from_stored(d, score_of[i], max(0, n), snippet))
        return total, hits, facets, tl


def listing_searches(filter_by: str, req: SearchRequest) -> tuple[list[dict], int]:
    """Return the page searches (newest first, by 250 at most) and, with facets, the facet
    search of a listing; and the number of page searches."""
    include = SHOW + (",body" if req.snippets else "")
    start, end = (req.page - 1) * req.per_page, req.page * req.per_page
    size = min(req.per_page, MAX_PER_CALL)
    base = {
        "q": "*",
        "filter_by": _and(filter_by, ARTICLES),
        "sort_by": "day:desc",
        "per_page": size,
        "include_fields": include,
    }
    if req.collapse:
        base.update(group_by="dup", group_limit=1)
    out = [{**base, "page": tp} for tp in range(start // size + 1, (end - 1) // size + 2)]
    n = len(out)
    if req.facets:
        facets = {"q": "*", "filter_by": base["filter_by"], "per_page": 0, **FACETS}
        if req.collapse:
            facets.update(group_by="dup", group_limit=1, per_page=1, include_fields="id")
        out.append(facets)
    return out, n


def newest(plan: Plan, req: SearchRequest, multi: Multi, highlight: set[str]) -> tuple:
    """Return (total, hits, facets, timeline, trips) of the match set listed newest first."""
    trips = 0
    filter_by = plan.filter_by
    simple = len(plan.groups) < LONG_QUERY and not plan.excluded_phrases
    if not plan.groups:
        pass
    elif simple and all(leaf.kind != "prefix" for leaf in plan.leaves()):
        filter_by = _and(match_filter(plan.leaves(), {}), filter_by)
    else:
        first = round_one(plan, facets=None)
        res = multi(first.searches)
        trips += 1
        cands = Candidates.read(plan, first, res)
        ranking: Ranking = first_pass(plan, cands)
        expansions = {leaf: list(r.expansions) for leaf, r in cands.leaves.items()}
        out = sorted({h["document"]["id"] for k in first.excluded for h in res[k]["hits"]})
        filter_by = _and(match_filter(ranking.rare, expansions), filter_by)
        if out:
            filter_by = _and(filter_by, f"id:!=[{', '.join(quote(i) for i in out)}]")
    searches, n = listing_searches(filter_by, req)
    got = multi(searches)
    trips += 1
    start = (req.page - 1) * req.per_page
    first_row = (searches[0]["page"] - 1) * searches[0]["per_page"]
    rows = []
    for res in got[:n]:
        rows += [g["hits"][0] for g in res.get("grouped_hits", ())] or res.get("hits", [])
    docs = [h["document"] for h in rows[start - first_row :][: req.per_page]]
    facets, tl = facets_from(got[n]) if req.facets else ({}, [])
    similar: dict[str, int] = {}
    keys = sorted({d["dup"] for d in docs if d.get("dup")})
    if req.collapse and keys:
        dup = f"dup:=[{', '.join(quote(k) for k in keys)}]"
        p = {"q": "*", "filter_by": _and(filter_by, ARTICLES, dup), "per_page": 0}
        r = multi([{**p, "facet_by": "dup", "max_facet_values": len(keys)}])[0]
        trips += 1
        similar = {c["value"]: c["count"] for c in r["facet_counts"][0]["counts"]}
    hits = []
    for d in docs:
        snippet = _snippet(d.get("body", ""), highlight) if req.snippets else ""
        n = similar.get(d.get("dup"), 1) - 1 if req.collapse else 0
        hits.append(Hit.from_stored(d, 0.0, max(0, n), snippet))
    return got[0]["found"], hits, facets, tl, trips
