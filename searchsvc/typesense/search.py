"""One search on the Typesense backend, in at most two multi_search round trips.

Relevance: round one fetches the candidates (rank.py) and searchsvc ranks them. When every
document of the match set is a candidate (the usual case for specific queries), total, facets,
timeline and near-duplicate counts are counted from the candidates; otherwise round two asks
the cluster for them over the same match set (documents holding any of the query's words, the
common words of long queries left out as on the Whoosh backend), with `group_by` on the
near-duplicate key so copies count once. Round two also brings the page's bodies (snippets)
and, for RM3 feedback, the document frequencies of the expansion terms.
Newest first (and a query without words) list the same match set by date on the cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from searchsvc.contract import TOP_TAGS, Hit, SearchRequest
from searchsvc.text import scoring
from searchsvc.text.dates import timeline
from searchsvc.text.scoring import LONG_QUERY
from searchsvc.text.snippets import lead, make_snippet
from searchsvc.typesense.docs import ARTICLES, EPOCH
from searchsvc.typesense.plan import Plan, match_filter, quote
from searchsvc.typesense.query import facets_from
from searchsvc.typesense.rank import (
    EXACT,
    SHOW,
    Candidates,
    Ranking,
    df_search,
    first_pass,
    round_one,
)

MAX_PER_CALL = 250  # Typesense's per_page limit
FEEDBACK_POOL = 40  # beyond the page: first-pass documents whose bodies come with feedback
FACETS = {"facet_by": "source,tags,year,month", "max_facet_values": 600}
Multi = Callable[[list[dict]], list[dict]]


def _and(*parts: str) -> str:
    return " && ".join(p for p in parts if p)


def _ids(ids) -> str:
    return f"id:=[{', '.join(quote(i) for i in ids)}]"


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


def _snippet(body: str, highlight: set[str]) -> str:
    return make_snippet(body, highlight) if highlight else lead(body)


def local_facets(docs: list[dict]) -> tuple[dict, list]:
    """Return ({source, tags, year}, timeline) counted over the given documents."""
    sources: dict[str, int] = {}
    tags: dict[str, int] = {}
    days: dict[date, int] = {}
    for d in docs:
        if d.get("source"):
            sources[d["source"]] = sources.get(d["source"], 0) + 1
        for t in d.get("tags") or ():
            tags[t] = tags.get(t, 0) + 1
        if d.get("published"):
            day = date.fromordinal(EPOCH.toordinal() + d["day"])
            days[day] = days.get(day, 0) + 1
    years: dict[str, int] = {}
    for day, n in days.items():
        years[str(day.year)] = years.get(str(day.year), 0) + n

    def ordered(counts: dict) -> dict:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    facets = {
        "source": ordered(sources),
        "tags": dict(list(ordered(tags).items())[:TOP_TAGS]),
        "year": dict(sorted(years.items(), reverse=True)),
    }
    return facets, timeline(days)


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
        first = round_one(plan)
        res = self._multi(first + excluded_searches(plan))
        cands = Candidates.read(plan, res[: len(first)])
        out = {h["document"]["id"] for r in res[len(first) :] for h in r.get("hits", ())}
        for i in out:
            cands.docs.pop(i, None)
        ranking = first_pass(plan, cands)
        docs = cands.docs
        expansions = {leaf: list(r.expansions) for leaf, r in cands.leaves.items()}
        match = _and(match_filter(ranking.rare, expansions), plan.filter_by)
        if out:
            match = _and(match, f"id:!=[{', '.join(quote(i) for i in sorted(out))}]")
        end = req.page * req.per_page
        second: list[dict] = []
        fb_terms: list[str] = []
        if ranking.wants_feedback():
            known = {t for leaf in cands.leaves for t in leaf.terms}
            cand = scoring.feedback_candidates(ranking.feedback_docs())
            fb_terms = [t for t in cand if t not in known]
            second += [df_search(t) for t in fb_terms]
            ids, _ = ranking.final()  # first pass: its best documents may reach the page
            pool = fold(ids, docs, req.collapse)[: end + FEEDBACK_POOL]
        else:
            ids, scores = ranking.final()
            pool = fold(ids, docs, req.collapse)[end - req.per_page : end]
        n_fb = len(second)
        remote = not ranking.complete
        if remote:
            counting = {"q": "*", "filter_by": _and(match, ARTICLES), "per_page": 0}
            if req.collapse:
                counting.update(group_by="dup", group_limit=1, per_page=1, include_fields="id")
            if req.facets:
                counting.update(FACETS)
            second.append(counting)
        keys = sorted({docs[i].get("dup") for i in pool if docs[i].get("dup")})
        if remote and req.collapse and keys:
            dup = f"dup:=[{', '.join(quote(k) for k in keys)}]"
            second.append(
                {
                    "q": "*",
                    "filter_by": _and(match, dup),
                    "facet_by": "dup",
                    "max_facet_values": len(keys),
                    "per_page": 0,
                }
            )
        if req.snippets and pool:
            second += self._bodies(pool)
        got = self._multi(second) if second else []
        bodies = {h["document"]["id"]: h["document"].get("body", "") for r in got for h in
                  r.get("hits", ()) if "body" in h["document"]}  # fmt: skip
        if fb_terms:
            dfs = {t: r["found"] for t, r in zip(fb_terms, got[:n_fb], strict=True)}
            ids, scores = ranking.final(dfs)
        page_ids = fold(ids, docs, req.collapse)
        total = len(page_ids)
        matched = [docs[i] for i in page_ids]
        similar = self._local_similar(ids, docs) if req.collapse else {}
        k = n_fb
        facets, tl = ({}, [])
        if remote:
            total = got[k]["found"]
            facets, tl = facets_from(got[k]) if req.facets else ({}, [])
            k += 1
            if req.collapse and keys:
                counts = got[k]["facet_counts"][0]["counts"] if got[k].get("facet_counts") else []
                similar = {c["value"]: c["count"] for c in counts}
        elif req.facets:
            facets, tl = local_facets(matched)
        score_of = dict(zip(ids, np.asarray(scores).tolist(), strict=True))
        page = page_ids[end - req.per_page : end]
        missing = [i for i in page if req.snippets and i not in bodies]
        if missing:  # feedback lifted a document from beyond the pool (rare): fetch its body
            extra = self._multi(self._bodies(missing))
            bodies.update(
                {h["document"]["id"]: h["document"]["body"] for r in extra for h in r["hits"]}
            )
        hits = []
        for i in page:
            d = docs[i]
            body = bodies.get(i, "")
            snippet = (
                (make_snippet(body, highlight) if highlight else lead(body)) if req.snippets else ""
            )
            n = similar.get(d.get("dup"), 1) - 1 if req.collapse else 0
            hits.append(Hit.from_stored(d, score_of[i], max(0, n), snippet))
        return total, hits, facets, tl

    @staticmethod
    def _bodies(ids: list[str]) -> list[dict]:
        """Return the searches for the bodies of the given documents (250 a search)."""
        parts = [ids[k : k + MAX_PER_CALL] for k in range(0, len(ids), MAX_PER_CALL)]
        return [
            {"q": "*", "filter_by": _ids(p), "per_page": len(p), "include_fields": "id,body"}
            for p in parts
        ]

    @staticmethod
    def _local_similar(ids: list[str], docs: dict[str, dict]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i in ids:
            key = docs[i].get("dup")
            if key:
                counts[key] = counts.get(key, 0) + 1
        return counts


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
        first = round_one(plan)
        res = multi(first + excluded_searches(plan))
        trips += 1
        cands = Candidates.read(plan, res[: len(first)])
        ranking: Ranking = first_pass(plan, cands)
        expansions = {leaf: list(r.expansions) for leaf, r in cands.leaves.items()}
        out = sorted({h["document"]["id"] for r in res[len(first) :] for h in r.get("hits", ())})
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
        body = d.get("body", "")
        snippet = (
            (make_snippet(body, highlight) if highlight else lead(body)) if req.snippets else ""
        )
        n = similar.get(d.get("dup"), 1) - 1 if req.collapse else 0
        hits.append(Hit.from_stored(d, 0.0, max(0, n), snippet))
    return got[0]["found"], hits, facets, tl, trips
