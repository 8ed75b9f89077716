"""Ranking: BM25F over title and body, tiers for keyword queries, RM3 feedback for long queries."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from searchsvc.engine.w3.postings import (
    ScoreListMatcher,
    _denominators,
    _score_cache,
    segment_postings,
)
from searchsvc.text.analysis import index_terms

TEXT_FIELDS = ("title", "body")
# BM25F: each field's term frequency, length-normalised with its own b and multiplied by its
# weight, is summed into one pseudo-frequency that saturates once (k1): a word in the title and
# the body is one strong match, not two independent ones.
K1 = 1.5
FIELDS = {"title": (2.0, 0.5), "body": (1.0, 0.75)}  # field: (weight, b)
SHORT_QUERY = 4  # up to this many groups, docs matching more of them always rank first
LONG_QUERY = 8  # from this many groups on, very common groups only add to rarer groups' docs
COMMON_FRACTION = 0.1  # "very common": in more than this fraction of the documents
# Pseudo-relevance feedback (RM3) for natural-language queries: the best FEEDBACK_DOCS documents
# of the first pass, weighted by exp(score - best score), give a term distribution; its
# FEEDBACK_TERMS strongest terms (times IDF, found in 2+ of those documents) are added with
# weight 1 - FEEDBACK_ORIGINAL. It re-ranks the matches of the query; it never adds documents,
# and needs more than 2 * FEEDBACK_DOCS matches (else the "feedback" is most of the result).
FEEDBACK_FROM = 5  # groups; shorter (keyword) queries keep their tiers untouched
FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 20
FEEDBACK_ORIGINAL = 0.5
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_B=0.5)  # phrases and prefixes (Whoosh scorers)


def idf(df: int, total: int) -> float:
    """Return the BM25 (Lucene) inverse document frequency of a term in df of total documents."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


class CoordOr(wq.Query):
    """OR of term groups scored with BM25F, summed with each group's query-frequency weight.

    Up to SHORT_QUERY groups, documents matching more distinct groups always rank first (tiers);
    longer, natural-language queries are ranked by the plain sum, then re-ranked with RM3
    pseudo-relevance feedback (FEEDBACK_FROM groups and more). In queries of LONG_QUERY groups or
    more, very common groups only add score to documents found by rarer groups (the candidate
    set, and so the total, leaves out documents that match nothing but words like "said").
    Scores are computed once per searcher over all its segments, with collection-wide statistics.
    """

    def __init__(self, groups: list[tuple[wq.Query, float]], weighting=None):
        self.groups = groups
        self.weighting = weighting
        self.boost = 1.0
        self.feedback_terms: list[tuple[str, float]] = []  # (term, weight) of the last matcher
        self._done = None  # (top searcher, scored, ids, scores)

    def __str__(self) -> str:
        mode = "tiered" if len(self.groups) <= SHORT_QUERY else "summed"
        inner = " ".join(f"{q}" + (f"^{w:g}" if w != 1 else "") for q, w in self.groups)
        return f"Coord[{mode}]({inner})"

    __unicode__ = __str__

    def __eq__(self, other):
        return isinstance(other, CoordOr) and self.groups == other.groups

    def __hash__(self):
        return hash(tuple(str(q) for q, _ in self.groups))

    def is_leaf(self):
        """Return False: this query has sub-queries."""
        return False

    def children(self):
        """Return the group queries."""
        return iter([q for q, _ in self.groups])

    def estimate_size(self, ixreader):
        """Return an upper bound of the matching documents."""
        return sum(q.estimate_size(ixreader) for q, _ in self.groups)

    def matcher(self, searcher, context=None):
        """Return a list matcher over this segment's share of the collection-wide scores."""
        top = searcher.get_parent()
        ids, final = self.all_scores(top, context)
        offset = next((o for s, o in top.leaf_searchers() if s is searcher), 0)
        lo, hi = np.searchsorted(ids, [offset, offset + searcher.reader().doc_count_all()])
        return ScoreListMatcher((ids[lo:hi] - offset).tolist(), final[lo:hi].tolist())

    def all_scores(self, top, context=None) -> tuple[np.ndarray, np.ndarray]:
        """Return (sorted global docnums, final scores) of every match of the top searcher.

        The same documents and scores as the matchers of its segments, put end to end.
        """
        if context is not None and self.weighting is not None:
            context = context.set(weighting=self.weighting)
        scored = context is None or context.weighting is not None
        if context is None:
            context = top.context(weighting=self.weighting or WEIGHTING)
        if self._done is None or self._done[0] is not top or self._done[1] != scored:
            self._done = (top, scored, *self._score_all(top, context, scored))
        return self._done[2], self._done[3]

    def _score_all(self, top, context, scored) -> tuple[np.ndarray, np.ndarray]:
        """Return (sorted global docnums, final scores) of every match, as numpy arrays.

        Scores are summed group by group into one dense array per query (float64, the same
        additions in the same order as a per-document sum), so the work per posting is in C.
        """
        n = len(self.groups)
        total = max(1, top.doc_count_all())
        rare, common = list(self.groups), []
        if n >= LONG_QUERY:  # document frequencies cost term lookups: only where they matter
            rare = []
            for g in self.groups:
                big = g[0].estimate_size(top.reader()) > total * COMMON_FRACTION
                (common if big else rare).append(g)
        if not rare:
            rare, common = common, []
        acc = np.zeros(total)
        hits = np.zeros(total, dtype=np.int32)  # how many groups each document matches
        known: dict[str, tuple] = {}  # term -> its (ids, scores), reused by feedback
        for part, restrict in ((rare, False), (common, True)):
            only = hits > 0 if restrict and part else None
            for q, w in part:
                ids, got = _group_scores(q, top, context, scored, only)
                text = _term_text(q)
                if text is not None and len(_leaves(q)) == len(FIELDS):
                    known[text] = (ids, got)
                acc[ids] += got * w if w != 1 else got
                hits[ids] += 1
        matched = np.flatnonzero(hits)
        self.feedback_terms = []
        if scored and n >= FEEDBACK_FROM and len(matched) > 2 * FEEDBACK_DOCS:
            self.feedback_terms = feedback_terms(top, matched, acc[matched])
            acc *= FEEDBACK_ORIGINAL / sum(w for _, w in self.groups)
            only = hits > 0
            for t, w in self.feedback_terms:
                ids, got = known[t] if t in known else bm25f(top, t)
                keep = only[ids]
                acc[ids[keep]] += (1 - FEEDBACK_ORIGINAL) * w * got[keep]
        final = acc[matched]
        if n <= SHORT_QUERY:  # tiers: documents matching more groups first
            final = (1 if n == 1 else hits[matched]) + final / (final + 10.0)
        return matched, final


def feedback_terms(top, ids: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
    """Return the RM3 expansion terms of the best-scoring documents, weights summing to 1."""
    order = np.lexsort((ids, -scores))[:FEEDBACK_DOCS]  # best first, ties by docnum
    best, top_scores = ids[order].tolist(), scores[order].tolist()
    doc_weight = {d: math.exp(sc - top_scores[0]) for d, sc in zip(best, top_scores, strict=True)}
    norm = sum(doc_weight.values())
    model: Counter = Counter()
    seen: Counter = Counter()
    for d in best:
        f = top.stored_fields(d)
        terms = index_terms(f"{f.get('title') or ''}\n{f.get('body') or ''}")
        for t, c in Counter(terms).items():
            model[t] += c * doc_weight[d] / norm / len(terms)
            seen[t] += 1
    total = top.doc_count_all()
    weighted = Counter(
        {
            t: p * idf(_doc_frequency(top.reader(), t), total)
            for t, p in model.items()
            if seen[t] >= 2 and not t.isdigit()
        }
    )
    chosen = weighted.most_common(FEEDBACK_TERMS)
    norm = sum(w for _, w in chosen) or 1.0
    return [(t, w / norm) for t, w in chosen if w > 0]


def _doc_frequency(reader, term: str) -> int:
    """Return the larger document frequency of term in title and body (cached on the reader)."""
    cache = reader.__dict__.setdefault("_searchsvc_df", {})
    if term not in cache:
        cache[term] = max(reader.doc_frequency(f, term) for f in FIELDS)
    return cache[term]


def _leaves(q: wq.Query) -> list[wq.Query]:
    """Return the parts of a group query that can be read one after another."""
    return list(q.subqueries) if isinstance(q, wq.Or) else [q]


def _term_text(q: wq.Query) -> str | None:
    """Return the term when q is one word searched in the text fields (Or of Terms), else None."""
    leaves = _leaves(q)
    if all(isinstance(x, wq.Term) and x.fieldname in FIELDS for x in leaves):
        texts = {x.text for x in leaves}
        if len(texts) == 1:
            return texts.pop()
    return None


def _group_scores(q, top, context, scored: bool, only) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, scores) of one group (only docs where `only` is True)."""
    text = _term_text(q)
    if scored and text is not None:
        return bm25f(top, text, only, {x.fieldname for x in _leaves(q)})
    out: dict[int, float] = {}
    for sub, offset in top.leaf_searchers():
        for leaf in _leaves(q):
            m = leaf.matcher(sub, context)
            while m.is_active():
                d = m.id() + offset
                if only is None or only[d]:
                    out[d] = out.get(d, 0.0) + (m.score() if scored else 1.0)
                m.next()
    ids = sorted(out)
    return np.array(ids, dtype=np.int64), np.array([out[d] for d in ids], dtype=np.float64)


def bm25f(top, text: str, only=None, fields=FIELDS) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, BM25F scores) of one term over title and body.

    The scores of every document are collection-wide constants of the searcher, so they are
    computed once per (index state, term, fields) and kept in a byte-bounded LRU (_score_cache).
    `only`: a boolean array over all documents; the cached arrays are never changed.
    """
    cache = _score_cache(top)
    key = (text, tuple(f for f in FIELDS if f in fields))
    full = cache.get(key)
    if full is None:
        full = cache.put(key, _bm25f_all(top, text, fields))
    if only is None:
        return full
    keep = only[full[0]]
    return full[0][keep], full[1][keep]


def _bm25f_all(top, text: str, fields) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, BM25F scores) of every document with the term."""
    parts, dfs = [], {}
    for fname in FIELDS:
        if fname not in fields:
            continue
        for sub, offset in top.leaf_searchers():
            got = segment_postings(sub.reader(), fname, text)
            if got is not None:
                parts.append((fname, sub.reader(), offset, *got[:2]))
                dfs[fname] = dfs.get(fname, 0) + got[2]
    if not parts:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    num = idf(max(dfs.values()), max(1, top.doc_count_all())) * (K1 + 1)
    id_parts, x_parts = [], []
    for fname, seg, offset, ids, weights in parts:
        weight, b = FIELDS[fname]
        # posting weights carry the schema's field boost: divide it out, apply our own weight
        c = weight / (top.schema[fname].format.field_boost or 1.0)
        base, per_len = (1 - b) / c, b / (top.avg_field_length(fname) or 1.0) / c
        id_parts.append(ids + offset)
        x_parts.append(weights / _denominators(seg, fname, base, per_len)[ids])
    ids, x = np.concatenate(id_parts), np.concatenate(x_parts)
    if len(dfs) > 1:  # one pseudo-frequency per document: the fields' parts summed
        ids, where = np.unique(ids, return_inverse=True)
        x = np.bincount(where, weights=x, minlength=len(ids))
    return ids.astype(np.int32), num * x / (K1 + x)
