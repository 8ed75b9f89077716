"""SearchEngine: runs queries on the store's shared searcher and returns SearchPage results."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import replace
from time import perf_counter

import numpy as np
from whoosh import query as wq

from searchsvc.config import Settings
from searchsvc.contract import SORTS, Hit, SearchPage, SearchRequest, iso_date, make_hit, tag_list
from searchsvc.engine.facets import (
    collapse,
    columns,
    doc_set,
    facets_and_timeline,
    live_ids,
    match_set,
    newest_positions,
    top,
)
from searchsvc.engine.ranking import WEIGHTING
from searchsvc.engine.spelling import complete, correct
from searchsvc.errors import BadRequest, NotFound
from searchsvc.text.query import build, parse, positive_terms
from searchsvc.text.snippets import lead, make_snippet

SUGGEST_BELOW = 5  # only look for a spelling correction when the query has fewer hits
PAGE_CACHE = 1024  # pages kept per process (~15 KB each), keyed by (generation, request)


def _ms(t0: float) -> float:
    """Return the milliseconds since t0, rounded."""
    return round((perf_counter() - t0) * 1000, 2)


STORED_CACHE = 4096  # documents' stored fields kept per reader (top hits recur across queries)


def _read_stored(reader, docnum: int) -> dict:
    """Return a document's stored fields from its segment's per-document reader.

    Whoosh's reader.stored_fields re-checks every field against the schema (for fields removed
    from a schema); ours never changes within an index, so the segment's own dict will do.
    """
    found = reader.__dict__.get("_searchsvc_leaves")
    if found is None:  # (segment offsets ascending, segment readers), built once per reader
        pairs = sorted(((o, leaf) for leaf, o in reader.leaf_readers()), key=lambda x: x[0])
        found = reader.__dict__["_searchsvc_leaves"] = ([o for o, _ in pairs], pairs)
    offsets, leaves = found
    offset, leaf = leaves[bisect_right(offsets, docnum) - 1]
    perdoc = getattr(leaf, "_perdoc", None)
    if perdoc is None:
        return leaf.stored_fields(docnum - offset)
    return perdoc.stored_fields(docnum - offset)


def _stored(reader, docnum: int) -> dict:
    """Return the stored fields of a document, memoised per reader (callers must not change it)."""
    cache = reader.__dict__.get("_searchsvc_stored")
    if cache is None:
        cache = reader.__dict__["_searchsvc_stored"] = OrderedDict()
    found = cache.get(docnum)
    if found is None:
        found = cache[docnum] = _read_stored(reader, docnum)
        if len(cache) > STORED_CACHE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(docnum)
    return found


class SearchEngine:
    """The search API used by the web app and the CLI; `store` needs `.searcher()` and `.schema`."""

    def __init__(self, store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self._lock = threading.Lock()
        self._pages: OrderedDict = OrderedDict()  # (generation, SearchRequest) -> SearchPage
        self._gen_cache: dict = {}  # newest(), stats() of one generation

    # -- search -------------------------------------------------------------------------------
    def _validate(self, req: SearchRequest) -> None:
        s = self.settings
        if req.sort not in SORTS:
            raise BadRequest(f"Unknown sort {req.sort!r}.", hint=f"Use one of: {', '.join(SORTS)}.")
        if not 1 <= req.page <= s.max_page:
            raise BadRequest(f"Page must be between 1 and {s.max_page}.")
        if not 1 <= req.per_page <= s.max_per_page:
            raise BadRequest(f"Results per page must be between 1 and {s.max_per_page}.")
        if req.date_from and req.date_to and req.date_from > req.date_to:
            raise BadRequest("The start date is after the end date.", hint="Swap the two dates.")

    def _matches(self, searcher, req: SearchRequest, pq) -> tuple[np.ndarray, np.ndarray, bool]:
        """Return (every matching docnum, its rank key: higher first, by date?) for a request.

        The key is the score, or for newest-first order (and filter-only queries) the negated
        position in date order.
        """
        reader = searcher.reader()
        built = build(pq, reader, req.date_from, req.date_to, req.source, req.tag)
        if built.scored is not None:
            built.scored.weighting = WEIGHTING
        ids, scores = match_set(
            searcher, built.scored, doc_set(searcher, built.filter), doc_set(searcher, built.mask)
        )
        if req.sort == "newest" or built.scored is None:
            return ids, -newest_positions(searcher)[ids].astype(np.float64), True
        return ids, scores, False

    @staticmethod
    def _ranked(ids: np.ndarray, keys: np.ndarray, newest: bool, want: int) -> list:
        """Return the best `want` matches as [(score, docnum)], best first."""
        best = top(keys, want)
        scores = [0.0] * len(best) if newest else keys[best].tolist()
        return list(zip(scores, ids[best].tolist(), strict=True))

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search: ranked or newest-first hits of a page, facets, timeline, suggestion.

        Pages are cached per (index generation, request), so a reindex never serves old results.
        """
        t0 = perf_counter()
        self._validate(req)
        gen = getattr(self.store, "generation", None)
        key = (gen, req)
        with self._lock:
            page = self._pages.get(key) if gen is not None else None
            if page is not None:
                self._pages.move_to_end(key)
        if page is not None:
            return replace(page, hits=list(page.hits), took_ms=_ms(t0))
        page = self._search(req)
        page.took_ms = _ms(t0)
        if gen is not None:
            with self._lock:
                self._pages[key] = page
                while len(self._pages) > PAGE_CACHE:
                    self._pages.popitem(last=False)
            page = replace(page, hits=list(page.hits))
        return page

    def _search(self, req: SearchRequest) -> SearchPage:
        pq = parse(req.q, self.settings)
        searcher = self.store.searcher()
        reader = searcher.reader()
        end = req.page * req.per_page
        # Collapsing needs more than `end` ranked docs; facets and totals use every match, with
        # counts from per-document columns cached on the reader.
        want = end * 2 + 10 if req.collapse else end
        ids, keys, newest = self._matches(searcher, req, pq)
        ranked = self._ranked(ids, keys, newest, want)
        dups = None
        cols = columns(reader) if (req.collapse or req.facets) else {}
        dup = cols.get("dup")
        if req.collapse:  # near-duplicate groups among the matches, and their sizes
            dups = np.bincount(dup[ids], minlength=cols["dup_count"])
        total = int(np.count_nonzero(dups)) if req.collapse else len(ids)
        page = collapse(ranked, dup, end) if req.collapse else ranked[:end]
        while req.collapse and len(page) < min(end, total) and len(ranked) < len(ids):
            want *= 4  # many near-duplicates among the best: look further down
            ranked = self._ranked(ids, keys, newest, want)
            page = collapse(ranked, dup, end)
        terms = positive_terms(pq, reader)
        hits = []
        for score, d in page[end - req.per_page :]:
            f = _stored(searcher.reader(), d)
            body = f.get("body", "")
            snippet = (make_snippet(body, terms) if terms else lead(body)) if req.snippets else ""
            similar = int(dups[dup[d]]) - 1 if req.collapse else 0
            hits.append(make_hit(f, score, similar, snippet))
        facets, tl = facets_and_timeline(cols, ids) if req.facets else ({}, [])
        suggestion = None
        if total < SUGGEST_BELOW and req.page == 1 and pq.groups:
            suggestion = self._did_you_mean(searcher, req, pq)
        return SearchPage(
            query=req.q,
            total=total,
            page=req.page,
            per_page=req.per_page,
            took_ms=0.0,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            sort=req.sort,
            total_is_exact=True,
            timeline=tl,
        )

    def _did_you_mean(self, searcher, req, pq) -> str | None:
        """Return a corrected query string when it finds more hits than the query as typed."""
        text = correct(searcher, pq)
        if text is None:
            return None
        try:  # the correction may be longer than the user's limits allow: never refuse for it
            fixed = parse(text, replace(self.settings, max_query_chars=2 * len(text) + 10))
        except BadRequest:
            return None
        before = self._count_all(searcher, req, pq)
        return text if self._count_all(searcher, req, fixed) > before else None

    @staticmethod
    def _count_all(searcher, req, pq) -> int:
        """Return how many documents match every group of the query (and the filters)."""
        built = build(pq, searcher.reader(), req.date_from, req.date_to, req.source, req.tag)
        if built.scored is None:
            return 0
        q = wq.And([g for g, _ in built.scored.groups])
        return len(searcher.search(q, limit=1, filter=built.filter, mask=built.mask))

    # -- other reads ---------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return whole query strings completing the last word typed, most frequent words first."""
        return complete(self.store.searcher().reader(), prefix, limit)

    def article(self, article_id: str) -> dict:
        """Return the stored fields of one article; raise NotFound for an unknown id."""
        f = self.store.searcher().document(id=article_id)
        if not f:
            raise NotFound(f"No article with id {article_id!r}.")
        return {
            "id": f["id"],
            "title": f.get("title", ""),
            "body": f.get("body", ""),
            "published": iso_date(f.get("published")),
            "author": f.get("author", ""),
            "source": f.get("source", ""),
            "url": f.get("url", ""),
            "tags": tag_list(f.get("tags")),
        }

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Return articles similar to one article (never the article or its near-duplicates)."""
        searcher = self.store.searcher()
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise NotFound(f"No article with id {article_id!r}.")
        me = searcher.stored_fields(docnum)
        seen = {me.get("dup")}
        out = []
        for hit in searcher.more_like(docnum, "body", top=limit * 3 + 5, numterms=15):
            f = hit.fields()
            if f.get("dup") in seen:
                continue
            seen.add(f.get("dup"))
            out.append(make_hit(f, float(hit.score or 0.0)))
            if len(out) >= limit:
                break
        return out

    def _per_generation(self, key: tuple, compute):
        """Return compute() memoised for the live generation (uncached without one)."""
        gen = getattr(self.store, "generation", None)
        if gen is None:
            return compute()
        with self._lock:
            if self._gen_cache.get("generation") != gen:
                self._gen_cache = {"generation": gen}
            found = self._gen_cache.get(key)
        if found is None:
            found = compute()
            with self._lock:
                if self._gen_cache.get("generation") == gen:
                    self._gen_cache[key] = found
        return found

    def newest(self, limit: int = 10) -> list[Hit]:
        """Return the most recently published articles (cached per index generation)."""
        return list(self._per_generation(("newest", limit), lambda: self._newest(limit)))

    def _newest(self, limit: int) -> list[Hit]:
        searcher = self.store.searcher()
        live = live_ids(searcher.reader())
        order = np.argsort(newest_positions(searcher)[live], kind="stable")[:limit]
        return [make_hit(searcher.stored_fields(d)) for d in live[order].tolist()]

    def stats(self) -> dict:
        """Return the store's statistics plus the most used tags (cached per generation)."""
        found = self._per_generation(("stats",), self._stats)
        return {**found, "top_tags": list(found["top_tags"])}

    def _stats(self) -> dict:
        out = dict(self.store.stats())
        reader = self.store.searcher().reader()
        tags = [
            (reader.doc_frequency("tags", t), t.decode() if isinstance(t, bytes) else t)
            for t in reader.lexicon("tags")
        ]
        tags.sort(key=lambda x: (-x[0], x[1]))
        out["top_tags"] = [{"tag": t, "count": n} for n, t in tags[:20] if n]
        return out

    def explain(self, q: str) -> str:
        """Return a printable form of the Whoosh queries built for q (like `--sql`)."""
        pq = parse(q, self.settings)
        return str(build(pq, self.store.searcher().reader()))
