"""Term positions of a few candidate documents, for the proximity boost of text/scoring.py.

Positions come from the segments' position arrays (engine/w3/termarrays.py: one slice of a
memory map per term, the candidates found by a binary search), or, in a segment written
without them, from Whoosh's posting matchers, which skip straight to each candidate.
"""

from __future__ import annotations

import numpy as np

from searchsvc.engine.state import View, check_deadline
from searchsvc.engine.w3 import termarrays
from searchsvc.text import scoring
from searchsvc.text.scoring import FIELDS, TEXT_FIELDS


def candidate_positions(
    view: View, fields: tuple[str, ...], terms: list[str], docs: np.ndarray
) -> dict[str, dict[str, dict[int, list[int]]]]:
    """Return {field: {term: {global docnum: positions}}} of the terms in the given documents."""
    out: dict[str, dict[str, dict[int, list[int]]]] = {f: {} for f in fields}
    order = np.sort(np.asarray(docs, dtype=np.int64))
    offsets = [*view.state.offsets, view.state.total]
    for i, segment in enumerate(view.state.segments):
        lo, hi = offsets[i], offsets[i + 1]
        local = (order[(order >= lo) & (order < hi)] - lo).tolist()
        if not local:
            continue
        for fname in fields:
            arrays = segment.arrays.get(fname)
            for term in terms:
                check_deadline()
                found = out[fname].setdefault(term, {})
                got = None
                if arrays is not None:
                    got = termarrays.term_positions(arrays, term.encode("utf-8"))
                if got is not None:
                    _from_arrays(got, local, lo, found)
                    continue
                for leaf, rel in view.unit_leaves(i):  # through Whoosh, segment by segment
                    if (fname, term) in leaf:
                        mine = [d - rel for d in local if rel <= d < rel + leaf.doc_count_all()]
                        _from_matcher(leaf.postings(fname, term), mine, lo + rel, found)
    return out


def _from_arrays(got, local: list[int], lo: int, found: dict[int, list[int]]) -> None:
    """Add the positions of a term in the segment's candidate documents, from its arrays."""
    docs, freq, positions = got
    if not len(docs):
        return
    want = np.asarray(local, dtype=docs.dtype)
    at = np.searchsorted(docs, want)
    hit = at < len(docs)
    hit[hit] = docs[at[hit]] == want[hit]
    if not hit.any():
        return
    ends = np.cumsum(freq)
    for d, k in zip(want[hit].tolist(), at[hit].tolist(), strict=True):
        end = int(ends[k])
        found[d + lo] = positions[end - int(freq[k]) : end].tolist()


def _from_matcher(m, local: list[int], lo: int, found: dict[int, list[int]]) -> None:
    """Add the positions of a term in the segment's candidate documents, from Whoosh."""
    for d in local:
        if not m.is_active():
            break
        if m.id() < d:
            m.skip_to(d)
            if not m.is_active():
                break
        if m.id() == d:
            found[d + lo] = m.value_as("positions")


def boosts(view: View, groups, docs: np.ndarray) -> np.ndarray:
    """Return the proximity boost (text/scoring.py) of each of the given documents."""
    pairs = scoring.query_pairs(groups)
    out = np.zeros(len(docs))
    if not pairs or not len(docs):
        return out
    terms = sorted({t for pair in pairs for t in pair})
    total = max(1, view.state.total)
    dfs = [view.doc_frequencies(f, terms) for f in FIELDS]
    idf = {t: scoring.idf(max(d), total) for t, *d in zip(terms, *dfs, strict=True)}
    order = np.argsort(docs, kind="stable")
    keys = {(f, t): _keys(view, f, t, docs[order]) for f in TEXT_FIELDS for t in terms}
    if all(k is not None for k in keys.values()):  # every unit has position arrays
        freqs = []
        for a, b in pairs:
            x = np.zeros(len(docs))
            for f in TEXT_FIELDS:
                got = scoring.pair_frequencies(keys[f, a], keys[f, b], len(docs))
                x = x + FIELDS[f][0] * got
            freqs.append((x, idf[a] + idf[b]))
        out[order] = scoring.proximity_boosts(freqs, len(docs))
        return out
    found = candidate_positions(view, TEXT_FIELDS, terms, docs)
    for k, d in enumerate(docs.tolist()):
        positions = {f: {t: got[d] for t, got in found[f].items() if d in got} for f in found}
        out[k] = scoring.document_proximity(pairs, positions, idf)
    return out


def _keys(view: View, fname: str, term: str, docs: np.ndarray) -> np.ndarray | None:
    """Return sorted keys `k << 32 | position` of a term's positions in docs[k] (docs
    ascending), from the position arrays; None where a segment has none."""
    parts = []
    offsets = [*view.state.offsets, view.state.total]
    tbytes = term.encode("utf-8")
    for i, segment in enumerate(view.state.segments):
        lo, hi = np.searchsorted(docs, offsets[i : i + 2]).tolist()
        if lo == hi:
            continue
        arrays = segment.arrays.get(fname)
        got = termarrays.term_positions(arrays, tbytes) if arrays is not None else None
        if got is None:
            return None
        held, freq, positions = got
        if not len(held):
            continue
        want = docs[lo:hi] - segment.offset
        at = np.minimum(np.searchsorted(held, want), len(held) - 1)
        hit = held[at] == want
        k, at = np.flatnonzero(hit) + lo, at[hit]
        if not len(k):
            continue
        ends = np.cumsum(freq)
        f = freq[at]
        first = np.repeat(ends[at] - f - np.cumsum(f) + f, f) + np.arange(int(f.sum()))
        parts.append((np.repeat(k, f).astype(np.int64) << 32) | positions[first])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
