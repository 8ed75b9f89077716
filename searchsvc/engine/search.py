"""SearchEngine: the Whoosh backend's search, one pipeline from query text to SearchPage.

parse (once) -> plan (index terms, filters) -> match set (ranked) -> fold copies -> page ->
hits with snippets (from the plan's terms); facets, the timeline and the suggestion read the
same match set. Pages are cached per (generation, request).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from time import perf_counter

import numpy as np

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
from searchsvc.engine import facets, folding, related, spelling
from searchsvc.engine.deadline import deadline
from searchsvc.engine.folding import SIMILAR_IDS
from searchsvc.engine.matching import count_all, match, ranked
from searchsvc.engine.plan import DateRange, QueryPlan, plan_query
from searchsvc.engine.state import View
from searchsvc.errors import BadRequest, NotFound
from searchsvc.text.query import parse
from searchsvc.text.scoring import FIELDS
from searchsvc.text.snippets import lead, make_snippet

NO_DATES = (
    "no article in this index has a date, so a date filter leaves nothing "
    "(undated=1 keeps the undated ones)"
)
PAGE_CACHE = 1024  # pages kept per process (~15 KB each), keyed by (generation, request)


def _ms(t0: float) -> float:
    """Return the milliseconds since t0, rounded."""
    return round((perf_counter() - t0) * 1000, 2)


class SearchEngine:
    """The search API of the Whoosh backend (see contract.Engine); `store` is an engine Store."""

    def __init__(self, store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self._lock = threading.Lock()
        self._pages: OrderedDict = OrderedDict()  # (generation, SearchRequest) -> SearchPage

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search: ranked or newest-first hits of a page, facets, timeline, suggestion."""
        t0 = perf_counter()
        req.validate(self.settings)
        view = self.store.view()
        key = (view.state.generation, req)
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
        if page is None:
            with deadline(self.settings.search_deadline):
                page = self._search(view, req)
                if page.total == 0 and page.suggestion and req.autocorrect:
                    page = self._instead(view, req, page)
            with self._lock:
                self._pages[key] = page
                while len(self._pages) > PAGE_CACHE:
                    self._pages.popitem(last=False)
        return replace(page, hits=list(page.hits), took_ms=_ms(t0))

    def _search(self, view: View, req: SearchRequest) -> SearchPage:
        pq = parse(req.q, self.settings)
        plan = plan_query(pq, view, req)
        found = match(view, plan, req.sort == "newest")
        end = req.page * req.per_page
        cols = facets.columns(view) if (req.collapse or req.facets) else {}
        if req.collapse:
            folded = folding.fold(found, cols, end)
            total, page = folded.total, folded.page
            fold = folded.sizes.max(initial=0) > 1  # some stories have copies among the matches
        else:
            page, fold = ranked(found, end), False
            total = len(found.ids)
        shown = page[end - req.per_page :]
        named = self._copies_named(view, found, folded, shown) if req.collapse else {}
        hits = []
        for score, d in shown:
            f = view.stored(d)
            body = f.get("body", "")
            snippet = ""
            if req.snippets:
                snippet = make_snippet(body, plan.highlight) if plan.highlight else lead(body)
            similar = folded.similar(d) if req.collapse else 0
            hits.append(Hit.from_stored(f, score, similar, snippet, named.get(d, [])))
        facet_counts, tl = ({}, [])
        if req.facets:
            among = folded.among() if fold else None  # the fold has each match's story
            facet_counts, tl = facets.facets_and_timeline(cols, found.ids, fold, among)
        suggestion = None
        if total < SUGGEST_BELOW and req.page == 1 and pq.groups:
            suggestion = self._did_you_mean(view, req, pq, plan)
        notes = []
        dates = [r for r in plan.required if isinstance(r, DateRange) and not r.undated]
        if dates and not (facets.columns(view)["doc_ord"][view.state.live_ids] > 0).any():
            notes.append(NO_DATES)
        return SearchPage(
            query=req.q,
            total=total,
            page=req.page,
            per_page=req.per_page,
            took_ms=0.0,
            hits=hits,
            facets=facet_counts,
            suggestion=suggestion,
            sort=req.sort,
            timeline=tl,
            notes=notes,
        )

    @staticmethod
    def _copies_named(view: View, found, folded, shown: list) -> dict[int, list[str]]:
        """Return the ids of up to SIMILAR_IDS copies of each shown hit that has some."""
        docs = [d for _, d in shown if folded.similar(d)]
        lists = folded.newest_copies(docs, found.ids, facets.newest_positions(view), SIMILAR_IDS)
        ids = iter(view.doc_ids([x for got in lists for x in got]))
        return {d: [next(ids) for _ in got] for d, got in zip(docs, lists, strict=True)}

    def _instead(self, view: View, req: SearchRequest, page: SearchPage) -> SearchPage:
        """Return the page of the correction of a query that found nothing, marked as such."""
        try:
            fixed = self._search(view, replace(req, q=page.suggestion))  # its results instead
        except BadRequest:  # a correction over the user's limits: keep the empty page
            return page
        return replace(fixed, query=req.q, suggestion=None, results_for=page.suggestion)

    def _did_you_mean(self, view: View, req, pq, plan: QueryPlan) -> str | None:
        """Return a corrected query string when it finds more hits than the query as typed."""
        text = spelling.correct(view, pq)
        if text is None:
            return None
        try:  # the correction may be longer than the user's limits allow: never refuse for it
            fixed = parse(text, replace(self.settings, max_query_chars=2 * len(text) + 10))
        except BadRequest:
            return None
        before = count_all(view, plan)
        return text if count_all(view, plan_query(fixed, view, req)) > before else None

    # -- other reads ---------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return whole query strings completing the last word typed, most frequent words first."""
        return spelling.complete(self.store.view(), prefix, limit)

    def article(self, article_id: str) -> ArticleView:
        """Return one article; raise NotFound for an unknown id."""
        f = self.store.view().searcher.document(id=article_id)
        if not f:
            raise NotFound(f"No article with id {article_id!r}.")
        return ArticleView.from_stored(f)

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Return articles sharing this one's strongest words (never it or its near-duplicates)."""
        view = self.store.view()
        docnum = view.searcher.document_number(id=article_id)
        if docnum is None:
            raise NotFound(f"No article with id {article_id!r}.")
        found = related.more_like_this(view, docnum, limit)
        docs = [(s, view.stored(d)) for s, d in found]
        return [Hit.from_stored(f, s, snippet=lead(f.get("body", ""))) for s, f in docs]

    def newest(self, limit: int = 10) -> list[Hit]:
        """Return the most recently published articles (cached per index generation)."""
        view = self.store.view()

        def build() -> list[Hit]:
            live = view.state.live_ids
            order = np.argsort(facets.newest_positions(view)[live], kind="stable")[:limit]
            docs = [view.stored(d) for d in live[order].tolist()]
            return [Hit.from_stored(f, snippet=lead(f.get("body", ""))) for f in docs]

        return list(view.state.memo(("newest", limit), build))

    def stats(self) -> Stats:
        """Return what the index holds: size, freshness, sources, dates and top tags."""
        view = self.store.view()

        def build() -> Stats:
            got = facets.collection_stats(view)
            files = self.store.files()
            return Stats(
                documents=view.state.documents,
                generation=view.state.generation,
                backend="whoosh",
                last_update=files["last_update"],
                index_bytes=files["index_bytes"],
                sources=got["sources"],
                date_span=got["date_span"],
                undated=got["undated"],
                top_tags=[TagCount(t, n) for t, n in got["top_tags"]],
            )

        return replace(view.state.memo("stats", build))

    def warm(self) -> str | None:
        """Open the live generation and build what its first search needs (facet columns,
        date order, field lengths); return its name. Cheap when that is done already."""
        view = self.store.view()
        facets.columns(view)
        facets.newest_positions(view)
        for name in FIELDS:
            view.lengths(name)
        return view.state.generation

    def explain(self, q: str) -> str:
        """Return the plan of q as this index runs it (like sqlite-utils' --sql)."""
        view = self.store.view()
        return str(plan_query(parse(q, self.settings), view))
