"""Ranking on the Whoosh index: the model of text/scoring.py over posting arrays.

A query sums its groups' scores (terms and phrases from engine/termscores.py, prefix groups
summing their expansions) into one dense array. `rank` applies the proximity boost
(engine/proximity.py), the RM3 feedback and the tiers of text/scoring.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np

from searchsvc.engine import facets, proximity, sparse
from searchsvc.engine.deadline import check_deadline
from searchsvc.engine.plan import Group, Leaf
from searchsvc.engine.state import View
from searchsvc.engine.termscores import (
    EMPTY,
    bm25f,
    bm25f_among_many,
    max_doc_frequencies,
    phrase_scores,
)
from searchsvc.text import scoring
from searchsvc.text.analysis import index_terms
from searchsvc.text.scoring import COMMON_FRACTION, LONG_QUERY, TEXT_FIELDS

TOP_SAMPLE_FROM = 8_000  # keys from which top() cuts at a sampled threshold first
TOP_SAMPLE = 1_024  # about this many keys sampled for the threshold


def leaf_scores(view: View, leaf: Leaf, only=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, scores) of one leaf (keys score 0)."""
    if leaf.kind == "term":
        return bm25f(view, leaf.terms[0], leaf.fields, only)
    if leaf.kind == "phrase":
        ids, scores = phrase_scores(view, leaf.fields, leaf.terms)
    elif leaf.kind == "any":
        pairs = []
        for t in leaf.terms:
            check_deadline()
            pairs.append(bm25f(view, t, leaf.fields))
        ids, scores = sum_scores(pairs)
    else:
        ids = leaf_docs(view, leaf)
        scores = np.zeros(len(ids))
    if only is not None:
        keep = only[ids]
        ids, scores = ids[keep], scores[keep]
    return ids, scores


def leaf_docs(view: View, leaf: Leaf) -> np.ndarray:
    """Return the documents a leaf matches, ascending (for filters and exclusions), unscored."""
    if leaf.kind == "phrase":
        return phrase_scores(view, leaf.fields, leaf.terms)[0]
    if leaf.kind == "source":
        return facets.source_docs(view, leaf.terms[0])
    parts = []
    for t in leaf.terms:
        check_deadline()
        parts += [view.term_docs(f, t) for f in leaf.fields]
    return _union(parts)


def _union(parts: list[np.ndarray]) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY[0]
    return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))


def sum_scores(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-document sums of several (ids, scores) pairs (added in their order)."""
    pairs = [p for p in pairs if len(p[0])]
    ids, sums, _ = sparse.add(pairs, max((int(i[-1]) for i, _ in pairs), default=-1) + 1)
    return ids, sums


def group_scores(view: View, group: Group, only=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, scores) of a group: its leaves' scores summed."""
    if len(group.leaves) == 1:
        return leaf_scores(view, group.leaves[0], only)
    return sum_scores([leaf_scores(view, leaf, only) for leaf in group.leaves])


def _size(view: View, group: Group) -> int:
    """Return an upper bound of the documents a group matches (from document frequencies)."""
    return sum(
        view.doc_frequency(f, t) for leaf in group.leaves for f in leaf.fields for t in leaf.terms
    )


@dataclass
class Ranked:
    """Every match of the scored groups: global docnums ascending, final scores, feedback."""

    ids: np.ndarray
    scores: np.ndarray
    feedback: list[tuple[str, float]]


def rank(view: View, groups: list[Group]) -> Ranked:
    """Return every document matching a group, with its final score (proximity, feedback, tiers)."""
    n = len(groups)
    known: dict[str, tuple] = {}  # term -> its (ids, scores), reused by feedback
    if n < LONG_QUERY:
        matched, acc, hits = _sparse_sums(view, groups, known)
    else:
        matched, acc, hits = _dense_sums(view, groups, known)
    # from here on, acc and hits are over `matched` (global docnums ascending)
    if scoring.PROXIMITY_WEIGHT and 1 < n <= scoring.PROXIMITY_MAX_GROUPS:
        best = top(scoring.tiered(acc, hits, n), scoring.PROXIMITY_TOP)
        acc[best] += proximity.boosts(view, groups, matched[best])
    feedback: list[tuple[str, float]] = []
    if n >= scoring.FEEDBACK_FROM and len(matched) > 2 * scoring.FEEDBACK_DOCS:
        # tiers pick the feedback docs: the head of the first pass's best, best first
        first = top(scoring.tiered(acc, hits, n), scoring.FEEDBACK_RERANK)
        feedback = _feedback(view, matched[first], acc[first])
        # RM3 re-ranks the best first-pass documents; the rest keep their first-pass order
        # below them (scaled alike, they can only lose ground to the re-ranked ones).
        pool = np.sort(matched[first])
        acc *= scoring.FEEDBACK_ORIGINAL / sum(g.weight for g in groups)
        only = np.zeros(max(1, view.state.total), dtype=bool)
        only[pool] = True
        check_deadline()
        fresh = [t for t, _ in feedback if t not in known]
        scored = dict(zip(fresh, bm25f_among_many(view, fresh, pool, only), strict=True))
        for t, w in feedback:
            if t in known:
                ids, got = known[t]
                ids, got = ids[only[ids]], got[only[ids]]
            else:  # among the pool only: the rest of its postings is not needed
                ids, got = scored[t]
            acc[np.searchsorted(matched, ids)] += (1 - scoring.FEEDBACK_ORIGINAL) * w * got
    return Ranked(matched, scoring.tiered(acc, hits, n), feedback)


def _remember(known: dict, group: Group, ids: np.ndarray, got: np.ndarray) -> None:
    """Keep a one-word group's (ids, scores) for feedback, which may pick the same term."""
    leaf = group.leaves[0]
    if len(group.leaves) == 1 and leaf.kind == "term" and leaf.fields == TEXT_FIELDS:
        known[leaf.terms[0]] = (ids, got)


def _weighted(group: Group, scores: np.ndarray) -> np.ndarray:
    """Return a group's scores times its weight (the cached array itself for weight 1)."""
    return scores * group.weight if group.weight != 1 else scores


def _sparse_sums(view: View, groups: list[Group], known: dict):
    """Return (matched ids ascending, summed weighted scores, groups matched) of a few groups.

    The groups' lists are added in group order (engine/sparse.py), as the dense sums do. How
    many groups a document matches only counts in the tiers of a two-group query (None else).
    """
    ids_parts, score_parts = [], []
    for g in groups:
        check_deadline()
        ids, got = group_scores(view, g)
        _remember(known, g, ids, got)
        ids_parts.append(ids)
        score_parts.append(_weighted(g, got))
    if len(groups) == 1:  # one list: nothing to merge (the cached scores: rank never writes them)
        return ids_parts[0], score_parts[0], None
    pairs = list(zip(ids_parts, score_parts, strict=True))
    tiers = len(groups) <= scoring.SHORT_QUERY
    ids, acc, hits = sparse.add(pairs, max(1, view.state.total), count=tiers)
    if any(acc is p for p in score_parts):  # only one group matched: not its cached scores
        acc = acc.copy()
    return ids, acc, hits


def _dense_sums(view: View, groups: list[Group], known: dict):
    """Return what _sparse_sums does for many groups: the very common ones (more than
    COMMON_FRACTION of the documents) only add to documents the rarer groups matched."""
    total = max(1, view.state.total)
    rare, common = [], []
    for g in groups:
        (common if _size(view, g) > total * COMMON_FRACTION else rare).append(g)
    if not rare:
        rare, common = common, []
    acc = np.zeros(total)
    hits = np.zeros(total, dtype=np.int32)  # how many groups each document matches
    for part, restrict in ((rare, False), (common, True)):
        only = hits > 0 if restrict and part else None
        for g in part:
            check_deadline()
            ids, got = group_scores(view, g, only)
            _remember(known, g, ids, got)
            acc[ids] += _weighted(g, got)
            hits[ids] += 1
    matched = np.flatnonzero(hits)
    return matched, acc[matched], hits[matched]


def _feedback(view: View, ids: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
    """Return the RM3 expansion terms of the best first-pass documents (ids best first)."""
    counted, k = [], scoring.FEEDBACK_DOCS
    for d, score in zip(ids[:k].tolist(), scores[:k].tolist(), strict=True):
        f = view.stored(d)
        text = f"{f.get('title') or ''}\n{f.get('body') or ''}"
        # by the text's digest: exact copies of a story (wire resends) are analysed once
        key = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        counts = view.state.term_counts.get(key)
        if counts is None:  # analysed once per generation while it stays in the cache
            counts = view.state.term_counts.put(key, Counter(index_terms(text)))
        counted.append((score, counts))
    dfs = max_doc_frequencies(view, scoring.feedback_candidates(counted))
    return scoring.feedback_from_counts(counted, dfs.__getitem__, view.state.total)


def top(keys: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the k largest keys, largest first, ties in position order."""
    if k <= 0 or not len(keys):
        return np.zeros(0, dtype=np.int64)
    cand = _at_least_kth(keys, k) if k < len(keys) else np.arange(len(keys))
    return cand[np.lexsort((cand, -keys[cand]))[:k]]


def _at_least_kth(keys: np.ndarray, k: int) -> np.ndarray:
    """Return the positions (ascending) of every key >= the k-th largest.

    A long array is first cut at a threshold read off an evenly spaced sample, one comparison
    pass, so the selection runs on the few thousand keys above it rather than on all of them
    (np.partition of 400,000 keys: 3.4 ms; of 40,000: 0.35 ms, where the cut and its selection
    take 0.06). When fewer than k keys pass, the threshold was too high and the whole array is
    selected from, so the result is the same either way.
    """
    n = len(keys)
    if n >= TOP_SAMPLE_FROM and k * 8 <= n:
        sample = keys[:: n // TOP_SAMPLE]
        above = min(len(sample) - 1, (2 * k * len(sample)) // n + 8)  # ~2k keys expected above
        threshold = np.partition(sample, len(sample) - 1 - above)[len(sample) - 1 - above]
        cut = np.flatnonzero(keys >= threshold)
        if len(cut) >= k:  # every key >= the k-th largest is >= threshold, so it is in cut
            sub = keys[cut]
            return cut[sub >= np.partition(sub, len(sub) - k)[len(sub) - k]]
    kth = np.partition(keys, n - k)[n - k]  # the k-th largest
    return np.flatnonzero(keys >= kth)
