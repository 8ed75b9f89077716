"""Term positions of a few candidate documents, for the proximity boost of text/scoring.py.

Positions come from Whoosh's posting matchers (the title and body fields store them for
phrases): for each query term, its matcher skips straight to each candidate document of a
segment, so the cost grows with candidates x terms, not with the terms' posting lists.
"""

from __future__ import annotations

import itertools

import numpy as np

from searchsvc.engine.state import View, check_deadline
from searchsvc.text import scoring
from searchsvc.text.scoring import FIELDS, TEXT_FIELDS


def candidate_positions(
    view: View, fields: tuple[str, ...], terms: list[str], docs: np.ndarray
) -> dict[str, dict[str, dict[int, list[int]]]]:
    """Return {field: {term: {global docnum: positions}}} of the terms in the given documents."""
    out: dict[str, dict[str, dict[int, list[int]]]] = {f: {} for f in fields}
    order = np.sort(np.asarray(docs, dtype=np.int64))
    offsets = [*view.state.offsets, view.state.total]
    for i, leaf in enumerate(view.leaves):
        lo, hi = offsets[i], offsets[i + 1]
        local = (order[(order >= lo) & (order < hi)] - lo).tolist()
        if not local:
            continue
        for fname in fields:
            for term in terms:
                check_deadline()
                if (fname, term) not in leaf:
                    continue
                found = out[fname].setdefault(term, {})
                m = leaf.postings(fname, term)
                for d in local:
                    if not m.is_active():
                        break
                    if m.id() < d:
                        m.skip_to(d)
                        if not m.is_active():
                            break
                    if m.id() == d:
                        found[d + lo] = m.value_as("positions")
    return out


def query_pairs(groups) -> list[tuple[str, str]]:
    """Return the neighbouring single-word groups of a query, in query order, each pair once."""
    words = []
    for g in groups:
        leaf = g.leaves[0]
        single = len(g.leaves) == 1 and leaf.kind == "term" and leaf.fields == TEXT_FIELDS
        words.append(leaf.terms[0] if single else None)
    pairs = itertools.pairwise(words)
    return list(dict.fromkeys((a, b) for a, b in pairs if a and b and a != b))


def boosts(view: View, groups, docs: np.ndarray) -> np.ndarray:
    """Return the proximity boost (text/scoring.py) of each of the given documents."""
    pairs = query_pairs(groups)
    out = np.zeros(len(docs))
    if not pairs or not len(docs):
        return out
    terms = sorted({t for pair in pairs for t in pair})
    found = candidate_positions(view, TEXT_FIELDS, terms, docs)
    total = max(1, view.state.total)
    idf = {t: scoring.idf(max(view.doc_frequency(f, t) for f in FIELDS), total) for t in terms}
    for k, d in enumerate(docs.tolist()):
        positions = {f: {t: got[d] for t, got in found[f].items() if d in got} for f in found}
        out[k] = scoring.document_proximity(pairs, positions, idf)
    return out
