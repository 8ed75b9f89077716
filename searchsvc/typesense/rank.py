"""Ranking on the Typesense backend: candidates from the cluster, BM25F in searchsvc.

Round one (lists.py) brings the candidates: per query leaf the documents of highest BM25F
impact, for keyword queries the documents holding several of the words, and the statistics.
Each candidate comes with its term counts and field lengths, so `score` ranks them with exactly
the model of text/scoring.py (BM25F, tiers for keyword queries, common groups of long queries
only adding to rarer groups' documents) and `feedback` adds RM3 once the document frequencies of
its terms are known (round two).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from searchsvc.text import scoring
from searchsvc.text.scoring import COMMON_FRACTION, LONG_QUERY, field_part
from searchsvc.typesense.docs import read_stats
from searchsvc.typesense.lists import RoundOne
from searchsvc.typesense.plan import Leaf, Plan

LOOKUPS = 8  # stems looked up in the tf strings before they are parsed into dicts


def term_counts(tf: str, term: str) -> tuple[int, int]:
    """Return (title, body) occurrences of a stem from a document's `tf` string."""
    i = tf.find(f" {term}:")
    if i < 0:
        return 0, 0
    j = tf.find(" ", i + 1)
    parts = tf[i + len(term) + 2 : j].split(":")
    return (int(parts[1]) if len(parts) > 1 else 0), int(parts[0])


def all_counts(tf: str) -> Counter:
    """Return every stem of a document with its title plus body occurrences."""
    out: Counter = Counter()
    for entry in tf.split():
        term, *nums = entry.split(":")
        out[term] = sum(int(n) for n in nums)
    return out


@dataclass
class LeafResult:
    """One leaf's search results: matching documents (ids), their count, the frequency."""

    ids: list[str]
    found: int  # with the plan's filters
    df: int  # in the whole collection
    expansions: dict[str, int] = field(default_factory=dict)  # prefix: stem -> frequency

    @property
    def complete(self) -> bool:
        """Return True when every (filtered) document of the leaf is among the candidates."""
        return len(self.ids) >= self.found


def _expansions(res: dict) -> dict[str, int]:
    counts = res.get("facet_counts") or [{}]
    return {c["value"]: c["count"] for c in counts[0].get("counts", ())}


@dataclass
class Candidates:
    """Round one's answers: the statistics, each leaf's results and every candidate document."""

    total: int
    avg: dict[str, float]
    leaves: dict[Leaf, LeafResult]
    docs: dict[str, dict]  # id -> stored fields (tf, lengths, display fields), first-found order

    @classmethod
    def read(cls, plan: Plan, first: RoundOne, results: list[dict]) -> Candidates:
        """Return the candidates from the results of round one, in their order."""
        hits = results[0].get("hits") or [{}]
        stats = read_stats(hits[0].get("document"))
        docs: dict[str, dict] = {}
        leaves: dict[Leaf, LeafResult] = {}
        for leaf in plan.leaves():
            at, counted, more = first.leaves[leaf]
            res, counts = results[at], results[counted]
            _merge(docs, res)
            ids = [h["document"]["id"] for h in res.get("hits", ())]
            expansions = _expansions(results[more]) if more is not None else {}
            leaves[leaf] = LeafResult(ids, res["found"], counts["found"], expansions)
        for k in first.subsets:
            _merge(docs, results[k])
        return cls(max(1, stats["documents"]), stats["avg"], leaves, docs)


def _merge(docs: dict[str, dict], res: dict) -> None:
    """Add a search's hits to the candidates (fields from both collections are kept)."""
    for h in res.get("hits", ()):
        d = h["document"]
        if d["id"] in docs:
            docs[d["id"]].update(d)
        else:
            docs[d["id"]] = d


def _phrase_counts(doc: dict, leaf: Leaf, fieldname: str) -> int:
    """Return the occurrences of a phrase in a field's stems ('' when not fetched: 0)."""
    text = doc.get(f"{fieldname}_stems")
    return f" {text} ".count(" " + " ".join(leaf.terms) + " ") if text else 0


class Scorer:
    """BM25F of the candidates for each leaf, as numpy arrays in candidate order."""

    def __init__(self, cands: Candidates) -> None:
        self.c = cands
        self.ids = list(cands.docs)
        docs = [cands.docs[i] for i in self.ids]
        self.tf = [d.get("tf") or " " for d in docs]
        self._maps: list[dict] | None = None
        # ties rank in id order (Whoosh: in index order, which the ids of a corpus usually follow)
        self.id_rank = np.argsort(np.argsort(np.array(self.ids, dtype=object)))
        self._asked = 0
        self.len = {
            "title": np.array([d.get("tl", 0) for d in docs], dtype=np.float64),
            "body": np.array([d.get("bl", 0) for d in docs], dtype=np.float64),
        }

    def counts(self, term: str) -> np.ndarray:
        """Return every candidate's (title, body) occurrences of a stem, shape (n, 2).

        Looked up in the `tf` strings; after LOOKUPS stems the strings are parsed once.
        """
        self._asked += 1
        if self._maps is None and self._asked > LOOKUPS:
            self._maps = [dict(e.split(":", 1) for e in tf.split()) for tf in self.tf]
        if self._maps is None:
            return np.array([term_counts(tf, term) for tf in self.tf], dtype=np.float64)
        out = np.zeros((len(self.ids), 2))
        for i, m in enumerate(self._maps):
            got = m.get(term)
            if got is not None:
                b, _, t = got.partition(":")
                out[i] = (int(t) if t else 0, int(b))
        return out

    def term(self, term: str, df: int, fields=scoring.TEXT_FIELDS) -> np.ndarray:
        """Return every candidate's BM25F score for one stem of frequency df."""
        counts = self.counts(term)
        if not len(counts):
            return np.zeros(0)
        parts = {"title": counts[:, 0], "body": counts[:, 1]}
        return self._score(parts, df, fields)

    def _score(self, parts: dict, df: int, fields) -> np.ndarray:
        x = np.zeros(len(self.ids))
        for f in fields:
            x += field_part(parts[f], self.len[f], self.c.avg[f], f)
        return np.where(x > 0, scoring.saturate(x, df, self.c.total), 0.0)

    def leaf(self, leaf: Leaf) -> np.ndarray:
        """Return every candidate's score for one leaf (0: the leaf does not match it)."""
        got = self.c.leaves[leaf]
        if leaf.kind == "term":
            return self.term(leaf.terms[0], got.df, leaf.fields)
        if leaf.kind == "prefix":
            out = np.zeros(len(self.ids))
            for t, df in got.expansions.items():
                out += self.term(t, df, leaf.fields)
            return out
        docs = [self.c.docs[i] for i in self.ids]
        parts = {
            f: np.array([_phrase_counts(d, leaf, f) for d in docs], dtype=np.float64)
            for f in leaf.fields
        }
        return self._score(parts, got.df, leaf.fields)


@dataclass
class Ranking:
    """The first pass over the candidates: scores before tiers, groups matched, match set."""

    scorer: Scorer
    acc: np.ndarray
    hits: np.ndarray
    groups: int
    weight: float
    rare: list[Leaf]  # the leaves whose documents make the match set
    complete: bool  # every document of the match set is a candidate

    @property
    def matched(self) -> np.ndarray:
        """Return the positions of the candidates in the match set."""
        return np.flatnonzero(self.hits)

    def wants_feedback(self) -> bool:
        """Return True when RM3 applies: a long query with more than 2 * FEEDBACK_DOCS matches."""
        many = not self.complete or len(self.matched) > 2 * scoring.FEEDBACK_DOCS
        return self.groups >= scoring.FEEDBACK_FROM and many

    def best(self, k: int) -> np.ndarray:
        """Return the positions of the k best first-pass candidates, best first."""
        m = self.matched
        return m[np.lexsort((self.scorer.id_rank[m], -self.acc[m]))][:k]

    def feedback_docs(self) -> list[tuple[float, Counter]]:
        """Return (score, term counts) of the FEEDBACK_DOCS best first-pass documents."""
        tf = self.scorer.tf
        return [(float(self.acc[i]), all_counts(tf[i])) for i in self.best(scoring.FEEDBACK_DOCS)]

    def final(
        self, dfs: dict[str, int] | None = None, docs: list[tuple[float, Counter]] | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Return (ids, final scores) of the match set, best first; RM3 when dfs are given
        (from the feedback documents `docs`, else from the current best)."""
        acc = self.acc.copy()
        if dfs is not None:
            known = {t: r.df for leaf, r in self.scorer.c.leaves.items() for t in leaf.terms}
            docs = self.feedback_docs() if docs is None else docs
            lookup = {**dfs, **known}
            terms = scoring.feedback_from_counts(docs, lambda t: lookup.get(t, 1), self.total)
            acc *= scoring.FEEDBACK_ORIGINAL / self.weight
            on = self.hits > 0
            for t, w in terms:
                got = self.scorer.term(t, lookup.get(t, 1))
                acc += np.where(on, (1 - scoring.FEEDBACK_ORIGINAL) * w * got, 0.0)
        m = self.matched
        final = scoring.tiered(acc[m], self.hits[m], self.groups)
        order = np.lexsort((self.scorer.id_rank[m], -final))
        return [self.scorer.ids[i] for i in m[order].tolist()], final[order]

    @property
    def total(self) -> int:
        """Return the collection's article count (for IDF)."""
        return self.scorer.c.total


def first_pass(plan: Plan, cands: Candidates) -> Ranking:
    """Return the first-pass ranking of the candidates, as engine/ranking.rank computes it."""
    sc = Scorer(cands)
    n = len(plan.groups)
    rare, common = list(plan.groups), []
    if n >= LONG_QUERY:
        rare = []
        for g in plan.groups:
            size = sum(cands.leaves[leaf].df for leaf in g.leaves)
            (common if size > cands.total * COMMON_FRACTION else rare).append(g)
    if not rare:
        rare, common = common, []
    acc = np.zeros(len(sc.ids))
    hits = np.zeros(len(sc.ids), dtype=np.int32)
    for part, restrict in ((rare, False), (common, True)):
        only = hits > 0
        for g in part:
            got = sum((sc.leaf(leaf) for leaf in g.leaves), np.zeros(len(sc.ids)))
            if restrict:
                got = np.where(only, got, 0.0)
            acc += got * g.weight
            hits += got > 0
    rare_leaves = [leaf for g in rare for leaf in g.leaves]
    complete = all(cands.leaves[leaf].complete for leaf in rare_leaves)
    weight = sum(g.weight for g in plan.groups) or 1.0
    return Ranking(sc, acc, hits, n, weight, rare_leaves, complete)
