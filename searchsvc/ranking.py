"""Ranking: BM25F over title and body, tiers for keyword queries, RM3 feedback for long queries."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from operator import truediv

from whoosh import query as wq
from whoosh import scoring
from whoosh.matching import Matcher

from .analysis import index_terms
from .postings import _blocks, _denominators, _pick, _score_cache

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
        lo = bisect_left(ids, offset)
        hi = bisect_left(ids, offset + searcher.reader().doc_count_all())
        mine = [d - offset for d in ids[lo:hi]] if offset else ids[lo:hi]
        return ScoreListMatcher(mine, final[lo:hi])

    def all_scores(self, top, context=None) -> tuple[list[int], list[float]]:
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

    def _score_all(self, top, context, scored) -> tuple[list[int], list[float]]:
        """Return (sorted global docnums, final scores) of every match."""
        n = len(self.groups)
        total = max(1, top.doc_count_all())
        rare, common = [], []
        for q, w in self.groups:
            size = q.estimate_size(top.reader())
            (common if n >= LONG_QUERY and size > total * COMMON_FRACTION else rare).append((q, w))
        if not rare:
            rare, common = common, []
        scores: dict[int, float] = {}
        counts: Counter = Counter()
        known: dict[str, dict[int, float]] = {}  # term -> its scores, reused by feedback
        for only, part in ((None, rare), (scores, common)):
            for q, w in part:
                got = _group_scores(q, top, context, scored, only)
                if _term_text(q) is not None and len(_leaves(q)) == len(FIELDS):
                    known[_term_text(q)] = got
                if 1 < n <= SHORT_QUERY:  # only tiers use counts (all 1 for one group)
                    counts.update(iter(got))  # an iterator is counted in C
                if not scores:
                    scores.update({d: sc * w for d, sc in got.items()} if w != 1 else got)
                    continue
                # same sums as `scores[d] += sc * w` (0.0 + x == x), new docs appended in order
                get = scores.get
                if w == 1:
                    scores.update({d: get(d, 0.0) + sc for d, sc in got.items()})
                else:
                    scores.update({d: get(d, 0.0) + sc * w for d, sc in got.items()})
        self.feedback_terms = []
        if scored and n >= FEEDBACK_FROM and len(scores) > 2 * FEEDBACK_DOCS:
            self.feedback_terms = feedback_terms(top, scores)
            original = FEEDBACK_ORIGINAL / sum(w for _, w in self.groups)
            for d in scores:
                scores[d] *= original
            for t, w in self.feedback_terms:
                got = known[t] if t in known else bm25f(top, t, scores)
                for d, sc in got.items():
                    scores[d] += (1 - FEEDBACK_ORIGINAL) * w * sc
        if n <= SHORT_QUERY:
            if n == 1:
                scores = {d: 1 + sc / (sc + 10.0) for d, sc in scores.items()}
            else:
                scores = {d: counts[d] + sc / (sc + 10.0) for d, sc in scores.items()}
        ids = sorted(scores)
        return ids, list(map(scores.__getitem__, ids))


def feedback_terms(top, scores: dict[int, float]) -> list[tuple[str, float]]:
    """Return the RM3 expansion terms of the best-scoring documents, weights summing to 1."""
    best = sorted(scores, key=scores.__getitem__, reverse=True)[:FEEDBACK_DOCS]
    doc_weight = {d: math.exp(scores[d] - scores[best[0]]) for d in best}
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


def _group_scores(q, top, context, scored: bool, only) -> dict[int, float]:
    """Return {global docnum: score} of one group (restricted to the docs in `only` if given)."""
    text = _term_text(q)
    if scored and text is not None:
        return bm25f(top, text, only, {x.fieldname for x in _leaves(q)})
    out: dict[int, float] = {}
    for sub, offset in top.leaf_searchers():
        for leaf in _leaves(q):
            m = leaf.matcher(sub, context)
            while m.is_active():
                d = m.id() + offset
                if only is None or d in only:
                    out[d] = out.get(d, 0.0) + (m.score() if scored else 1.0)
                m.next()
    return out


def bm25f(top, text: str, only=None, fields=FIELDS) -> dict[int, float]:
    """Return {global docnum: BM25F score} of one term over title and body (or `fields`).

    The scores of every document are collection-wide constants of the searcher, so they are
    computed once per (index state, term, fields) and kept in a byte-bounded LRU (_score_cache).
    The returned dict may be that cached one: callers must not change it.
    """
    cache = _score_cache(top)
    key = (text, tuple(f for f in FIELDS if f in fields))
    full = cache.get(key)
    if full is None:
        full = cache.put(key, _bm25f_all(top, text, fields))
    if only is None:
        return full
    if len(only) < len(full):
        return {d: full[d] for d in only if d in full}
    return {d: sc for d, sc in full.items() if d in only}


def _bm25f_all(top, text: str, fields) -> dict[int, float]:
    """Return {global docnum: BM25F score} of every document holding the term in `fields`."""
    reader = top.reader()
    present = [(f, wb) for f, wb in FIELDS.items() if f in fields and (f, text) in reader]
    if not present:
        return {}
    df = max(reader.doc_frequency(f, text) for f, _ in present)
    num = idf(df, max(1, top.doc_count_all())) * (K1 + 1)
    tfs: dict[int, float] = {}  # pseudo-frequency of the earlier fields
    gids: list[int] = []
    xs: list[float] = []
    for i, (fname, (weight, b)) in enumerate(present):
        last = i == len(present) - 1
        # posting weights carry the schema's field boost: divide it out, apply our own weight
        c = weight / (top.schema[fname].format.field_boost or 1.0)
        base, per_len = (1 - b) / c, b / (top.avg_field_length(fname) or 1.0) / c
        for sub, offset in top.leaf_searchers():
            seg = sub.reader()
            if (fname, text) not in seg:
                continue
            den = _denominators(seg, fname, base, per_len)
            for ids, weights in _blocks(seg.postings(fname, text)):
                got = [d + offset for d in ids] if offset else list(ids)
                x = list(map(truediv, weights, _pick(den, ids)))
                if last:  # the last field saturates at once
                    if tfs:
                        pop = tfs.pop
                        x = [v + pop(g, 0.0) for g, v in zip(got, x, strict=True)]
                    else:
                        x = [v + 0.0 for v in x]
                    gids += got
                    xs += x
                else:
                    get = tfs.get
                    tfs.update({g: get(g, 0.0) + v for g, v in zip(got, x, strict=True)})
    gids += tfs  # documents with the term in earlier fields only
    xs += tfs.values()
    return dict(zip(gids, [num * x / (K1 + x) for x in xs], strict=True))


class ScoreListMatcher(Matcher):
    """A matcher over precomputed (sorted doc ids, scores)."""

    def __init__(self, ids: list[int], scores: list[float], i: int = 0):
        self._ids, self._scores, self._i = ids, scores, i

    def is_active(self):
        """Return True while there are documents left."""
        return self._i < len(self._ids)

    def id(self):
        """Return the current document number."""
        return self._ids[self._i]

    def next(self):
        """Move to the next document."""
        self._i += 1

    def skip_to(self, target):
        """Move to the first document at or after target."""
        while self._i < len(self._ids) and self._ids[self._i] < target:
            self._i += 1

    def score(self):
        """Return the precomputed score of the current document."""
        return self._scores[self._i]

    def weight(self):
        """Return the score (there is no separate term weight)."""
        return self._scores[self._i]

    def supports_block_quality(self):
        """Return False: scores are final, no block skipping."""
        return False

    def copy(self):
        """Return a copy at the same position."""
        return ScoreListMatcher(self._ids, self._scores, self._i)

    def reset(self):
        """Go back to the first document."""
        self._i = 0

    def all_ids(self):
        """Return the remaining document numbers."""
        return iter(self._ids[self._i :])

    def term_matchers(self):
        """Return no term matchers (scores are precomputed)."""
        return iter(())

    def matching_terms(self, id=None):
        """Return no matched terms (scores are precomputed)."""
        return iter(())
