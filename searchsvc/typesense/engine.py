"""The search engine on a Typesense cluster: the SearchEngine interface, the same SearchPage/Hit.

Queries are parsed by searchsvc's own parser and analysed by its own English analyzer (Typesense
0.24 has no stemming), so words match the same stems as in the Whoosh index. Snippets are made by
searchsvc's snippet code from the stored body: escaped text with <mark> around matches. What
Typesense cannot do exactly as the Whoosh backend is listed in NOTES, returned as `notes` in every
search result and in the statistics, and described in docs/scaling.md.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

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
from searchsvc.typesense.docs import ARTICLES
from searchsvc.typesense.index import ALIAS, UNDATED, connect, live_collection, unavailable
from searchsvc.typesense.plan import plan_query, quote
from searchsvc.typesense.query import HIDDEN, NOTES, build_params, did_you_mean
from searchsvc.typesense.rank import round_one
from searchsvc.typesense.search import Relevance, newest

EXISTS_TTL_S = 1.0  # the web app asks before every request; one alias lookup a second is enough
MAX_SEARCHES = 2000  # searches in one multi_search (a long query has one per word)
ERRORS = (tse.ServiceUnavailable, tse.ServerError, tse.HTTPStatus0Error, tse.Timeout, OSError)


class TypesenseStore:
    """The cluster as the web app's health check sees it: exists, generation, stats."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = connect(settings)
        self._seen = -EXISTS_TTL_S  # when exists() last found the alias

    def collection(self) -> str:
        """Return the live collection name; raise IndexMissing/BackendUnavailable otherwise."""
        try:
            name = live_collection(self.client)
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        if name is None:
            raise IndexMissing(
                f"no {ALIAS} collection on the Typesense cluster",
                hint="build it with `searchsvc index --backend typesense`",
            )
        return name

    def exists(self) -> bool:
        """Return True when the alias points to a collection (a yes is trusted for a second)."""
        if time.monotonic() - self._seen < EXISTS_TTL_S:
            return True
        try:
            found = live_collection(self.client) is not None
        except ERRORS:
            return False
        if found:
            self._seen = time.monotonic()
        return found

    @property
    def generation(self) -> str:
        """Return the live collection's name (changes with every rebuild)."""
        return self.collection()

    def stats(self) -> dict:
        """Return documents, sources, date span, last rebuild time and the live collection."""
        name = self.collection()
        try:
            info = self.client.collections[name].retrieve()
            docs = self.client.collections[name].documents
            facets = docs.search(
                {
                    "q": "*",
                    "filter_by": ARTICLES,
                    "facet_by": "source",
                    "max_facet_values": 1000,
                    "per_page": 0,
                }
            )
            span = [
                docs.search(
                    {"q": "*", "filter_by": f"day:>{UNDATED}", "sort_by": f"day:{o}", "per_page": 1}
                )["hits"]
                for o in ("asc", "desc")
            ]
            undated = docs.search({"q": "*", "filter_by": f"day:={UNDATED}", "per_page": 0})
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        counts = {c["value"]: c["count"] for c in facets["facet_counts"][0]["counts"]}
        created = info["created_at"]  # the last rebuild: updates keep the collection
        return {
            "documents": facets["found"],  # the articles (not the statistics document)
            "index_bytes": None,
            "last_update": datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds"),
            "sources": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "date_span": [h[0]["document"].get("published") if h else None for h in span],
            "undated": undated["found"],
            "generation": name,
        }


def _hit(doc: dict, score: float = 0.0) -> Hit:
    """Return a Hit of a stored document with its lead as the snippet."""
    return Hit.from_stored(doc, score, snippet=lead(doc.get("body", "")))


class TypesenseEngine:
    """The SearchEngine interface (search, suggest, article, more_like_this, newest...)."""

    def __init__(self, store: TypesenseStore, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.trips = 0  # multi_search round trips of the last search (for benchmarks)

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
        """Run searches on the alias in one multi_search request; return their results."""
        common = {"collection": ALIAS, "limit_multi_searches": MAX_SEARCHES}
        try:
            got = self.store.client.multi_search.perform({"searches": searches}, common)
        except tse.ObjectNotFound:
            self.store.collection()  # raises IndexMissing when the alias is gone
            raise
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        results = got["results"]
        for r in results:
            if "error" in r:
                if r.get("code") == 404:
                    self.store.collection()
                raise SearchsvcError(f"Typesense refused a search: {r['error']}")
        return results

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search: ranked or newest-first hits of a page, facets, timeline, suggestion."""
        t0 = time.perf_counter()
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
        lines += [f"q: {s['q']} (query_by {s['query_by']})" for s in round_one(plan)[1:]]
        return "\n".join(lines)
