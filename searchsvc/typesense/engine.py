"""The search engine on a Typesense cluster: the SearchEngine interface, the same SearchPage/Hit.

Queries are parsed by searchsvc's own parser and analysed by its own English analyzer (Typesense
0.24 has no stemming), so words match the same stems as in the Whoosh index. Snippets are made by
searchsvc's snippet code from the stored body: escaped text with <mark> around matches. What
Typesense cannot do exactly as the Whoosh backend is listed in NOTES, returned as `notes` in every
search result and in the statistics, and described in docs/scaling.md.
"""

from __future__ import annotations

import time
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
from searchsvc.errors import IndexMissing, NotFound
from searchsvc.text.analysis import STOP_WORDS, english_analyzer
from searchsvc.text.query import completions, highlight_terms, last_word, parse
from searchsvc.text.snippets import lead, make_snippet
from searchsvc.typesense.index import ALIAS, UNDATED, connect, live_collection, unavailable
from searchsvc.typesense.query import (
    HIDDEN,
    MAX_PER_CALL,
    NOTES,
    build_params,
    did_you_mean,
    facets_from,
    quote,
)

EXISTS_TTL_S = 1.0  # the web app asks before every request; one alias lookup a second is enough
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
                {"q": "*", "facet_by": "source", "max_facet_values": 1000, "per_page": 0}
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
            "documents": info["num_documents"],
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

    def _docs(self):
        return self.store.client.collections[ALIAS].documents

    def _call(self, params: dict) -> dict:
        """Run one search on the alias; map cluster failures to BackendUnavailable."""
        try:
            return self._docs().search(params)
        except tse.ObjectNotFound:
            self.store.collection()  # raises IndexMissing when the alias is gone
            raise
        except ERRORS as err:
            raise unavailable(err, self.settings) from err

    # -- search -------------------------------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search: ranked or newest-first hits of a page, facets, timeline, suggestion."""
        t0 = time.perf_counter()
        req.validate(self.settings)
        pq = parse(req.q, self.settings)
        params = build_params(pq, req)
        if params["q"] == "*" and not pq.groups and pq.excluded:
            return self._page(req, t0, 0, [], {}, [])  # only exclusions: nothing is wanted
        if req.collapse:
            params.update(group_by="dup", group_limit=1)
        start, end = (req.page - 1) * req.per_page, req.page * req.per_page
        size = req.per_page if req.per_page <= MAX_PER_CALL else MAX_PER_CALL
        found, rows = 0, []
        for tp in range(start // size + 1, (end - 1) // size + 2):
            res_p = self._call({**params, "page": tp, "per_page": size})
            found = res_p["found"]
            batch = [g["hits"][0] for g in res_p.get("grouped_hits", ())] or res_p.get("hits", [])
            rows += [((tp - 1) * size + i, h) for i, h in enumerate(batch)]
            if len(batch) < size:
                break
        rows = [h for i, h in rows if start <= i < end]
        similar = self._similar(params, rows) if req.collapse else {}
        terms = highlight_terms(pq)
        hits = []
        for h in rows:
            doc = h["document"]
            matched = {t for hl in h.get("highlights", ()) for t in hl.get("matched_tokens", ())}
            body, words = doc.get("body", ""), terms | matched
            snippet = (make_snippet(body, words) if words else lead(body)) if req.snippets else ""
            score = float(h.get("text_match", 0)) / 2**48 if params["q"] != "*" else 0.0
            hits.append(Hit.from_stored(doc, score, similar.get(doc.get("dup"), 1) - 1, snippet))
        facets, tl = ({}, [])
        if req.facets:  # counted over every matching document, as without collapsing
            p = {k: v for k, v in params.items() if k not in ("group_by", "group_limit")}
            p.update(facet_by="source,tags,year,month", max_facet_values=600, per_page=0)
            facets, tl = facets_from(self._call(p))
        suggestion = None
        if found < SUGGEST_BELOW and pq.groups:

            def build(text: str) -> dict:
                return build_params(parse(text, self.settings), req)

            suggestion = did_you_mean(pq, req, params, self._call, build)
        return self._page(req, t0, found, hits, facets, tl, suggestion)

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

    def _similar(self, params: dict, rows: list[dict]) -> dict[str, int]:
        """Return how many matching documents share each near-duplicate key of the page."""
        keys = sorted({h["document"]["dup"] for h in rows if "dup" in h["document"]})
        if not keys:
            return {}
        p = {k: v for k, v in params.items() if k not in ("group_by", "group_limit")}
        dup = f"dup:=[{', '.join(quote(k) for k in keys)}]"
        p["filter_by"] = f"{p['filter_by']} && {dup}" if p.get("filter_by") else dup
        res = self._call({**p, "facet_by": "dup", "max_facet_values": len(keys), "per_page": 0})
        return {c["value"]: c["count"] for c in res["facet_counts"][0]["counts"]}

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
        params = {"q": "*", "sort_by": "day:desc", "per_page": limit, "exclude_fields": HIDDEN}
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
        """Return the Typesense search parameters built for q."""
        p = build_params(parse(q, self.settings), SearchRequest(q=q))
        return "\n".join(f"{k}: {v}" for k, v in p.items() if k not in ("exclude_fields",))
