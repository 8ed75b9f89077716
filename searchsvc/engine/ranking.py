"""Ranking on the Whoosh index: the model of text/scoring.py over posting arrays.

Per term, BM25F scores of every document holding it are computed once per generation (numpy
over the term's posting arrays) and cached; a query sums its groups into one dense array.
Phrases count their occurrences through Whoosh's phrase matcher, prefix groups sum their
expansions. `rank` applies the proximity boost (engine/proximity.py), the RM3 feedback and the
tiers of text/scoring.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from searchsvc.engine import facets, proximity
from searchsvc.engine.plan import Group, Leaf
from searchsvc.engine.state import View, check_deadline
from searchsvc.engine.w3 import termarrays
from searchsvc.text import scoring
from searchsvc.text.scoring import COMMON_FRACTION, FIELDS, LONG_QUERY, TEXT_FIELDS

EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0))


def bm25f(view: View, text: str, fields: tuple[str, ...] = TEXT_FIELDS, only=None):
    """Return (global docnums ascending, BM25F scores) of one term over the given fields.

    Cached per generation (the arrays are never changed); `only`, a boolean array over all
    documents, keeps just the documents where it is True.
    """
    key = ("term", text, tuple(f for f in FIELDS if f in fields))
    full = view.state.scores.get(key)
    if full is None:
        full = view.state.scores.put(key, _bm25f_all(view, text, key[2]))
    if only is None:
        return full
    keep = only[full[0]]
    return full[0][keep], full[1][keep]


def _norms(view: View, fieldname: str) -> np.ndarray:
    """Return the field's BM25F length norm (divided by its weight) of every document."""

    def build() -> np.ndarray:
        weight, b = FIELDS[fieldname]
        boost = view.searcher.schema[fieldname].format.field_boost or 1.0  # in posting weights
        avg = view.state.avg_length[fieldname] or 1.0
        den = (1 - b) / weight * boost + b / avg / weight * boost * view.lengths(fieldname)
        den.flags.writeable = False
        return den

    return view.state.memo(("norms", fieldname), build)


def _combine(view: View, parts: list, dfs: dict) -> tuple[np.ndarray, np.ndarray]:
    """Sum per-field (field, global ids, frequencies) into BM25F scores; df from `dfs`."""
    if not parts:
        return EMPTY
    ids = np.concatenate([ids for _, ids, _ in parts])
    x = np.concatenate([tf / _norms(view, f)[ids] for f, ids, tf in parts])
    if len(dfs) > 1:  # one pseudo-frequency per document: the fields' parts summed
        ids, where = np.unique(ids, return_inverse=True)
        x = np.bincount(where, weights=x, minlength=len(ids))
    return ids, scoring.saturate(x, max(dfs.values()), view.state.total)


def _bm25f_all(view: View, text: str, fields: tuple[str, ...]):
    """Return (global docnums ascending, BM25F scores) of every document with the term."""
    parts, dfs = [], {}
    for fname in fields:
        for i, segment in enumerate(view.state.segments):
            got = view.postings(i, fname, text)
            if got is not None:
                parts.append((fname, got[0] + segment.offset, got[1]))
                dfs[fname] = dfs.get(fname, 0) + got[2]
    return _combine(view, parts, dfs)


def phrase_scores(view: View, fields: tuple[str, ...], stems: tuple[str, ...]):
    """Return (global docnums ascending, BM25F scores) of a phrase, by its occurrence counts."""
    key = ("phrase", stems, fields)
    found = view.state.scores.get(key)
    if found is not None:
        return found
    parts, docs = [], []
    subs = dict((offset, sub) for sub, offset in view.searcher.leaf_searchers())
    words = [s.encode("utf-8") for s in stems]
    for fname in fields:
        ids, counts = [], []
        for segment in view.state.segments:
            arrays = segment.arrays.get(fname)
            got = termarrays.phrase_counts(arrays, words) if arrays is not None else None
            if got is not None:  # from the position arrays, in bulk
                live = segment.live[got[0]]
                ids.append(got[0][live].astype(np.int64) + segment.offset)
                counts.append(got[1][live].astype(np.float64))
                continue
            m = wq.Phrase(fname, list(stems)).matcher(subs[segment.offset])  # no arrays
            found, occurrences = [], []
            while m.is_active():
                found.append(m.id() + segment.offset)
                occurrences.append(len(m.spans()))
                m.next()
                if len(found) % 256 == 0:
                    check_deadline()
            ids.append(np.array(found, dtype=np.int64))
            counts.append(np.array(occurrences, dtype=np.float64))
        ids_f = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        if len(ids_f):
            parts.append((fname, ids_f, np.concatenate(counts)))
            docs.append(ids_f)
    df = len(np.unique(np.concatenate(docs))) if docs else 0
    got = _combine(view, parts, dict.fromkeys((f for f, _, _ in parts), df))
    return view.state.scores.put(key, got)


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
    """Return the per-document sums of several (ids, scores) pairs."""
    pairs = [p for p in pairs if len(p[0])]
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        return pairs[0]
    ids, where = np.unique(np.concatenate([i for i, _ in pairs]), return_inverse=True)
    scores = np.bincount(where, weights=np.concatenate([s for _, s in pairs]), minlength=len(ids))
    return ids, scores


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
    total = max(1, view.state.total)
    rare, common = list(groups), []
    if n >= LONG_QUERY:  # document frequencies cost term lookups: only where they matter
        rare = []
        for g in groups:
            (common if _size(view, g) > total * COMMON_FRACTION else rare).append(g)
    if not rare:
        rare, common = common, []
    acc = np.zeros(total)
    hits = np.zeros(total, dtype=np.int32)  # how many groups each document matches
    known: dict[str, tuple] = {}  # term -> its (ids, scores), reused by feedback
    for part, restrict in ((rare, False), (common, True)):
        only = hits > 0 if restrict and part else None
        for g in part:
            check_deadline()
            ids, got = group_scores(view, g, only)
            leaf = g.leaves[0]
            if len(g.leaves) == 1 and leaf.kind == "term" and leaf.fields == TEXT_FIELDS:
                known[leaf.terms[0]] = (ids, got)
            acc[ids] += got * g.weight if g.weight != 1 else got
            hits[ids] += 1
    matched = np.flatnonzero(hits)
    if scoring.PROXIMITY_WEIGHT and 1 < n <= scoring.PROXIMITY_MAX_GROUPS:
        best = matched[top(scoring.tiered(acc[matched], hits[matched], n), scoring.PROXIMITY_TOP)]
        acc[best] += proximity.boosts(view, groups, best)
    feedback: list[tuple[str, float]] = []
    if n >= scoring.FEEDBACK_FROM and len(matched) > 2 * scoring.FEEDBACK_DOCS:
        first = scoring.tiered(acc[matched], hits[matched], n)  # tiers pick the feedback docs
        feedback = _feedback(view, matched, first, acc[matched])
        acc *= scoring.FEEDBACK_ORIGINAL / sum(g.weight for g in groups)
        only = hits > 0
        for t, w in feedback:
            ids, got = known[t] if t in known else bm25f(view, t)
            keep = only[ids]
            acc[ids[keep]] += (1 - scoring.FEEDBACK_ORIGINAL) * w * got[keep]
    return Ranked(matched, scoring.tiered(acc[matched], hits[matched], n), feedback)


def _feedback(
    view: View, ids: np.ndarray, keys: np.ndarray, scores: np.ndarray
) -> list[tuple[str, float]]:
    """Return the RM3 expansion terms of the best first-pass documents (by keys)."""
    order = np.lexsort((ids, -keys))[: scoring.FEEDBACK_DOCS]  # best first, ties by docnum
    docs = []
    for d, score in zip(ids[order].tolist(), scores[order].tolist(), strict=True):
        f = view.stored(d)
        docs.append((score, f"{f.get('title') or ''}\n{f.get('body') or ''}"))

    def doc_frequency(term: str) -> int:
        found = view.state.dfs.get(term)
        if found is None:
            found = view.state.dfs.put(term, max(view.doc_frequency(f, term) for f in FIELDS))
        return found

    return scoring.feedback_terms(docs, doc_frequency, view.state.total)


def top(keys: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the k largest keys, largest first, ties in position order."""
    if k <= 0 or not len(keys):
        return np.zeros(0, dtype=np.int64)
    if k < len(keys):
        kth = np.partition(keys, len(keys) - k)[len(keys) - k]  # the k-th largest
        cand = np.flatnonzero(keys >= kth)
    else:
        cand = np.arange(len(keys))
    return cand[np.lexsort((cand, -keys[cand]))[:k]]
