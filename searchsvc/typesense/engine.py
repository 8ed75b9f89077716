"""The search engine on a Typesense cluster: the SearchEngine interface, the same SearchPage/Hit.

Queries are parsed by searchsvc's own parser and analysed by its own English analyzer (Typesense
0.24 has no stemming), so words match the same stems as in the Whoosh index. Snippets are made by
searchsvc's snippet code from the stored body: escaped text with <mark> around matches. What
Typesense cannot do exactly as the Whoosh backend is listed in NOTES, returned as `notes` in every
search result and in the statistics, and described in docs/scaling.md.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.contract import (
    SUGGEST_BELOW,
    ArticleView,
    Hit,
    SearchPage,
    SearchRequest,
    Stats,
    TagCount,
)
from searchsvc.errors import BadRequest, IndexMissing, NotFound, SearchsvcError
from searchsvc.text.analysis import STOP_WORDS, english_analyzer
from searchsvc.text.query import completions, highlight_terms, last_word, parse
from searchsvc.text.scoring import SHORT_QUERY
from searchsvc.text.snippets import lead
from searchsvc.typesense.docs import ARTICLES, RANK
from searchsvc.typesense.index import ALIAS, unavailable
from searchsvc.typesense.lists import round_one
from searchsvc.typesense.plan import plan_query, quote
from searchsvc.typesense.query import HIDDEN, NOTES, build_params, did_you_mean
from searchsvc.typesense.search import Relevance, newest
from searchsvc.typesense.store import ERRORS, TypesenseStore

__all__ = ["TypesenseEngine", "TypesenseStore"]

MAX_SEARCHES = 2000  # searches in one multi_search (a long query has one per word)
# A round of many searches goes as SPLIT concurrent multi_search requests: Typesense runs the
# searches of one request one after the other, and different requests on different threads.
SPLIT = 2
SPLIT_FROM = 4  # searches per request before a round is split
_POOL = ThreadPoolExecutor(4, thread_name_prefix="typesense")


def _hit(doc: dict, score: float = 0.0) -> Hit:
    """Return a Hit of a stored document with its lead as the snippet."""
    return Hit.from_stored(doc, score, snippet=lead(doc.get("body", "")))


class TypesenseEngine:
    """The SearchEngine interface (search, suggest, article, more_like_this, newest...)."""

    def __init__(self, store: TypesenseStore, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.trips = 0  # multi_search round trips of the last search (for benchmarks)
        self.requests = 0  # its multi_search requests (a round may send two at once)
        self.server_ms = 0  # the sum of Typesense's own search_time_ms over its searches
        self._lock = threading.Lock()

    def _docs(self):
        return self.store.client.collections[ALIAS].documents

    def _call(self, params: dict) -> dict:
        """Run one search on the alias (did-you-mean, reads); map failures to 503."""
        try:
            return self._docs().search(params)
        except tse.ObjectNotFound:
            self.store.collection()  # raises IndexMissing when the alias is gone
            raise
        except ERRORS as err:
            raise unavailable(err, self.settings) from err

    # -- search -------------------------------------------------------------------------------
    def _multi(self, searches: list[dict]) -> list[dict]:
        """Run searches in one round: SPLIT concurrent multi_search requests; return the results."""
        searches = [{"collection": ALIAS, **s} for s in searches]  # the article one by default
        n = min(SPLIT, len(searches) // SPLIT_FROM + 1)
        if n < 2:
            return self._perform(searches)
        size = -(-len(searches) // n)
        parts = [searches[k : k + size] for k in range(0, len(searches), size)]
        return [r for got in _POOL.map(self._perform, parts) for r in got]

    def _perform(self, searches: list[dict]) -> list[dict]:
        """Run searches in one multi_search request; return their results."""
        common = {"limit_multi_searches": MAX_SEARCHES}  # a collection here would override
        try:
            got = self.store.client.multi_search.perform({"searches": searches}, common)
        except tse.ObjectNotFound:
            self.store.collection()  # raises IndexMissing when the alias is gone
            raise
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        results = got["results"]
        with self._lock:
            self.requests += 1
            self.server_ms += sum(r.get("search_time_ms", 0) for r in results)
        for r, asked in zip(results, searches, strict=True):
            if "error" in r:
                if r.get("code") == 404:
                    self.store.collection()
                    if asked["collection"] == RANK:  # an index built before ranking entries
                        raise IndexMissing(
                            "the Typesense cluster has no ranking collection",
                            hint="rebuild the index with `searchsvc index --backend typesense`",
                        )
                raise SearchsvcError(f"Typesense refused a search: {r['error']}")
        return results

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search: ranked or newest-first hits of a page, facets, timeline, suggestion."""
        t0 = time.perf_counter()
        self.requests = self.server_ms = 0
        req.validate(self.settings)
        pq = parse(req.q, self.settings)
        story = self._get(req.copies_of).get("dup") if req.copies_of else None
        plan = plan_query(pq, req, story)
        if not plan.groups and pq.excluded and not any(c.field for c in pq.excluded):
            return self._page(req, t0, 0, [], {}, [])  # only exclusions: nothing is wanted
        highlight = highlight_terms(pq)
        if req.sort == "newest" or not plan.groups:
            total, hits, facets, tl, trips = newest(plan, req, self._multi, highlight)
        else:
            run = Relevance(plan, req, self._multi)
            total, hits, facets, tl = run.run(highlight)
            trips = run.trips
        self.trips = trips
        suggestion = None
        if total < SUGGEST_BELOW and pq.groups and req.page == 1:
            params = build_params(pq, req)

            def build(text: str) -> dict:
                return build_params(parse(text, self.settings), req)

            suggestion = did_you_mean(pq, req, params, self._call, build)
        if total == 0 and suggestion and req.autocorrect:  # the correction's results instead
            try:
                fixed = self.search(replace(req, q=suggestion))
            except BadRequest:
                return self._page(req, t0, total, hits, facets, tl, suggestion)
            return replace(fixed, query=req.q, suggestion=None, results_for=suggestion)
        return self._page(req, t0, total, hits, facets, tl, suggestion)

    def _page(self, req, t0, total, hits, facets, tl, suggestion=None) -> SearchPage:
        return SearchPage(
            query=req.q,
            total=total,
            page=req.page,
            per_page=req.per_page,
            took_ms=round((time.perf_counter() - t0) * 1000, 2),
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            sort=req.sort,
            timeline=tl,
            notes=list(NOTES),
        )

    # -- other reads ---------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return whole query strings completing the last word typed, most frequent words first."""
        split = last_word(prefix)
        if split is None:
            return []
        head, keep, stem = split
        res = self._call(
            {
                "q": "*",
                "facet_by": "words",
                "facet_query": f"words:{stem}",
                "max_facet_values": limit * 3 + len(STOP_WORDS),
                "per_page": 0,
            }
        )
        counts = res["facet_counts"][0]["counts"] if res.get("facet_counts") else []
        cands = [(c["count"], c["value"]) for c in counts if c["value"].startswith(stem)]
        return completions(head, keep, cands, limit)

    def _get(self, article_id: str) -> dict:
        try:
            return self._docs()[article_id].retrieve()
        except tse.ObjectNotFound:
            self.store.collection()
            raise NotFound(f"No article with id {article_id!r}.") from None
        except ERRORS as err:
            raise unavailable(err, self.settings) from err

    def article(self, article_id: str) -> ArticleView:
        """Return one article; raise NotFound for an unknown id."""
        return ArticleView.from_stored(self._get(article_id))

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Return articles sharing the article's most frequent words (never its near-duplicates)."""
        me = self._get(article_id)
        counts: dict[str, int] = {}
        for t in english_analyzer()(f"{me.get('title', '')} {me.get('body', '')}"):
            if len(t.text) > 2 and not t.text.isdigit():
                counts[t.text] = counts.get(t.text, 0) + 1
        top = sorted(counts, key=lambda w: (-counts[w], w))[:12]
        if not top:
            return []
        res = self._call(
            {
                "q": " ".join(top),
                "query_by": "title_stems,body_stems",
                "drop_tokens_threshold": 1_000_000,
                "filter_by": f"dup:!={quote(me['dup'])}",
                "group_by": "dup",
                "group_limit": 1,
                "per_page": limit,
                "exclude_fields": HIDDEN,
            }
        )
        return [
            _hit(g["hits"][0]["document"], float(g["hits"][0].get("text_match", 0)) / 2**48)
            for g in res.get("grouped_hits", ())
        ][:limit]

    def newest(self, limit: int = 10) -> list[Hit]:
        """Return the most recently published articles."""
        params = {
            "q": "*",
            "filter_by": ARTICLES,
            "sort_by": "day:desc",
            "per_page": limit,
            "exclude_fields": HIDDEN,
        }
        return [_hit(h["document"]) for h in self._call(params)["hits"]]

    def stats(self) -> Stats:
        """Return the cluster statistics plus the most used tags."""
        out = self.store.stats()
        res = self._call({"q": "*", "facet_by": "tags", "max_facet_values": 20, "per_page": 0})
        counts = res["facet_counts"][0]["counts"] if res.get("facet_counts") else []
        tags = sorted(((c["count"], c["value"]) for c in counts), key=lambda x: (-x[0], x[1]))
        return Stats(
            documents=out["documents"],
            generation=out["generation"],
            backend="typesense",
            last_update=out["last_update"],
            index_bytes=None,
            sources=out["sources"],
            date_span=out["date_span"],
            undated=out["undated"],
            top_tags=[TagCount(t, n) for n, t in tags if n],
            notes=list(NOTES),
        )

    def warm(self) -> str | None:
        """Nothing to prepare: the cluster holds the index (and there is no local generation)."""
        return None

    def explain(self, q: str) -> str:
        """Return the plan of q: scored groups, the filter, and round one's searches."""
        plan = plan_query(parse(q, self.settings), SearchRequest(q=q))
        groups = " ".join(
            "("
            + " OR ".join(f"{lf.kind}:{' '.join(lf.terms)}" for lf in g.leaves)
            + ")"
            + (f"^{g.weight:g}" if g.weight != 1 else "")
            for g in plan.groups
        )
        mode = "tiered" if len(plan.groups) <= SHORT_QUERY else "summed"
        lines = [f"groups ({mode}): {groups or 'ALL'}", f"filter_by: {plan.filter_by or '-'}"]
        lines += [
            f"q: {s['q']} (query_by {s['query_by']})"
            for s in round_one(plan).searches[1:]
            if s["q"] != "*" and "per_page" in s and s["per_page"]
        ]
        return "\n".join(lines)
