"""Ranking: a coordinated OR of term groups scored with BM25F (title weighted above body)."""

from __future__ import annotations

from whoosh import query as wq
from whoosh import scoring
from whoosh.matching import Matcher

TEXT_FIELDS = ("title", "body")
SHORT_QUERY = 4  # up to this many groups, docs matching more of them always rank first
LONG_QUERY = 8  # from this many groups on, very common groups only add to rarer groups' docs
COMMON_FRACTION = 0.1  # "very common": in more than this fraction of the documents
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_B=0.5)


class CoordOr(wq.Query):
    """OR of term groups; scores are summed BM25F times a coordination factor.

    Up to SHORT_QUERY groups the factor is a strict tier (documents matching more distinct
    groups always rank first); for longer, natural-language queries it is soft: (m / n) ** 0.5.
    In queries of LONG_QUERY groups or more, very common groups only add score to documents
    found by rarer groups (the candidate set, and so the total, leaves out documents that
    match nothing but words like "said"): this keeps paragraph-long queries fast.
    """

    def __init__(self, groups: list[tuple[wq.Query, float]], weighting=None):
        self.groups = groups
        self.weighting = weighting
        self.boost = 1.0

    def __str__(self) -> str:
        mode = "tiered" if len(self.groups) <= SHORT_QUERY else "soft"
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
        """Accumulate scores and matched-group counts per document into a list matcher."""
        if context is not None and self.weighting is not None:
            context = context.set(weighting=self.weighting)
        scored = context is None or context.weighting is not None
        n = len(self.groups)
        doccount = max(1, searcher.doc_count_all())
        rare, common = [], []
        for gi, (q, w) in enumerate(self.groups):
            size = q.estimate_size(searcher.reader())
            (common if n >= LONG_QUERY and size > doccount * COMMON_FRACTION else rare).append(
                (gi, q, w)
            )
        if not rare:
            rare, common = rare + common, []
        scores: dict[int, float] = {}
        counts: dict[int, int] = {}
        last: dict[int, int] = {}
        for gi, q, w in rare:
            for leaf in _leaves(q):
                for d, sc in _postings(leaf, searcher, context, scored):
                    scores[d] = scores.get(d, 0.0) + sc * w
                    if last.get(d) != gi:
                        last[d] = gi
                        counts[d] = counts.get(d, 0) + 1
        for gi, q, w in common:  # only add to documents that rarer groups found
            for leaf in _leaves(q):
                for d, sc in _postings(leaf, searcher, context, scored, only=scores):
                    scores[d] += sc * w
                    if last[d] != gi:
                        last[d] = gi
                        counts[d] += 1
        ids = sorted(scores)
        if n <= SHORT_QUERY:
            final = [counts[d] + scores[d] / (scores[d] + 10.0) for d in ids]
        else:
            final = [scores[d] * (counts[d] / n) ** 0.5 for d in ids]
        return ScoreListMatcher(ids, final)


def _leaves(q: wq.Query) -> list[wq.Query]:
    """Return the parts of a group query that can be read one after another."""
    return list(q.subqueries) if isinstance(q, wq.Or) else [q]


def _lengths(reader, fieldname: str) -> list[int]:
    """Return the field length of every document of a segment (cached on the reader)."""
    cache = reader.__dict__.setdefault("_searchsvc_lengths", {})
    if fieldname not in cache:
        dfl = reader.doc_field_length
        cache[fieldname] = [dfl(d, fieldname) for d in range(reader.doc_count_all())]
    return cache[fieldname]


def _blocks(m):
    """Yield (ids, weights) per posting block of a leaf matcher (per posting for others)."""
    if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_ids")):
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            yield m._ids[m._i :], m._weights[m._i :]
            m._next_block()
    else:
        while m.is_active():
            yield (m.id(),), (m.weight(),)
            m.next()


def _postings(q: wq.Query, searcher, context, scored: bool, only: dict | None = None):
    """Yield (docnum, score) for one leaf query; with `only`, score just those documents."""
    if (
        isinstance(q, wq.Term)
        and q.fieldname in TEXT_FIELDS
        and context is not None
        and context.weighting is not None
    ):
        reader = searcher.reader()
        if (q.fieldname, q.text) not in reader:
            return
        scorer = context.weighting.scorer(searcher, q.fieldname, q.text)
        if all(hasattr(scorer, a) for a in ("idf", "avgfl", "B", "K1")):
            # BM25 inlined over whole posting blocks: the hot loop of long queries
            lengths = _lengths(reader, q.fieldname)
            k1, idf = scorer.K1, scorer.idf * q.boost
            num, base, per_len = idf * (k1 + 1), k1 * (1 - scorer.B), k1 * scorer.B / scorer.avgfl
            for ids, weights in _blocks(reader.postings(q.fieldname, q.text)):
                for d, tf in zip(ids, weights, strict=True):
                    if only is None or d in only:
                        yield d, num * tf / (tf + base + per_len * lengths[d])
            return
    m = q.matcher(searcher, context)
    while m.is_active():
        d = m.id()
        if only is None or d in only:
            yield d, (m.score() if scored else 1.0)
        m.next()


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
