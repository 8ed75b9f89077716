"""Word positions of the best candidates, for the proximity boost of text/scoring.py.

Each query word's positions in the candidates become sorted keys `candidate << 32 | position`,
read from the segments' position arrays (engine/w3/termarrays.py: one slice of a memory map per
word, the candidates found by a binary search) or, in a segment written without them, from
Whoosh's posting matchers, which skip straight to each candidate; `scoring.pair_frequencies`
then scores every candidate in one pass per word pair and field.
"""

from __future__ import annotations

import numpy as np

from searchsvc.engine.deadline import check_deadline
from searchsvc.engine.state import View
from searchsvc.engine.termscores import max_doc_frequencies
from searchsvc.engine.w3 import termarrays
from searchsvc.text import scoring
from searchsvc.text.scoring import FIELDS, TEXT_FIELDS


def boosts(view: View, groups, docs: np.ndarray) -> np.ndarray:
    """Return the proximity boost (text/scoring.py) of each of the given documents."""
    pairs = scoring.query_pairs(groups)
    out = np.zeros(len(docs))
    if not pairs or not len(docs):
        return out
    terms = sorted({t for pair in pairs for t in pair})
    total = max(1, view.state.total)
    dfs = max_doc_frequencies(view, terms)
    idf = {t: scoring.idf(dfs[t], total) for t in terms}
    order = np.argsort(docs, kind="stable")
    keys = {(f, t): _keys(view, f, t, docs[order]) for f in TEXT_FIELDS for t in terms}
    freqs = []
    for a, b in pairs:
        x = np.zeros(len(docs))
        for f in TEXT_FIELDS:
            x = x + FIELDS[f][0] * scoring.pair_frequencies(keys[f, a], keys[f, b], len(docs))
        freqs.append((x, idf[a] + idf[b]))
    out[order] = scoring.proximity_boosts(freqs, len(docs))
    return out


def _keys(view: View, fname: str, term: str, docs: np.ndarray) -> np.ndarray:
    """Return the sorted keys `k << 32 | position` of a term's positions in docs[k] (docs
    ascending): from the position arrays, else through Whoosh's matchers."""
    parts = []
    offsets = [*view.state.offsets, view.state.total]
    tbytes = term.encode("utf-8")
    for i, segment in enumerate(view.state.segments):
        lo, hi = np.searchsorted(docs, offsets[i : i + 2]).tolist()
        if lo == hi:
            continue
        check_deadline()
        arrays = segment.arrays.get(fname)
        local = docs[lo:hi] - segment.offset
        got = termarrays.positions_of(arrays, tbytes, local) if arrays is not None else None
        if got is None:  # no position arrays, or a word too long for them
            parts += _matcher_keys(view, i, fname, term, docs, lo, hi)
            continue
        k, f, positions = got
        if len(k):
            parts.append((np.repeat(k + lo, f) << 32) | positions)  # k: int64 indices
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _matcher_keys(view: View, i: int, fname: str, term: str, docs, lo: int, hi: int) -> list:
    """Return the keys of docs[lo:hi] (in term-array segment i) from Whoosh's posting matchers."""
    parts = []
    for leaf, rel in view.unit_leaves(i):
        if (fname, term) not in leaf:
            continue
        m, base = leaf.postings(fname, term), view.state.segments[i].offset + rel
        for k in range(lo, hi):
            d = int(docs[k]) - base
            if not 0 <= d < leaf.doc_count_all() or not m.is_active():
                continue
            if m.id() < d:
                m.skip_to(d)
            if m.is_active() and m.id() == d:
                positions = np.asarray(m.value_as("positions"), dtype=np.int64)
                parts.append((np.int64(k) << 32) | positions)
    return parts
