"""Per-document columns of a generation as int32 codes, read in bulk.

Facets, folding and statistics need a value per document (exact-copy key, source, domain,
publication date) over the whole index. Read one Python value at a time, Reuters x20 took 4.6 s
and left hundreds of thousands of objects on the heap of every worker; engine/w3/segments.py
reads each segment's column as arrays instead, and only distinct values become Python objects.
"""

from __future__ import annotations

import numpy as np

from searchsvc.engine.state import View
from searchsvc.engine.w3 import segments as seg


def first_appearance(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes renumbered in order of first appearance, old code of each new code)."""
    if not len(codes):
        return codes.astype(np.int32), np.zeros(0, dtype=np.int64)
    used, first = np.unique(codes, return_index=True)
    order = used[np.argsort(first)]
    renumber = np.zeros(int(used.max()) + 1, dtype=np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    return renumber[codes], order


def column_codes(view: View, name: str, translate: bool = True) -> tuple[np.ndarray, list]:
    """Return (int32 code per document, distinct values by code) of a column: the coding of
    `view.column(name, translate)` with codes in order of first appearance."""
    index: dict = {}
    parts = []
    for leaf in view.leaves:
        codes, values = seg.column_codes(leaf, name, translate)
        remap = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
        parts.append(remap[codes] if len(codes) else codes)
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    codes, order = first_appearance(codes)
    values = list(index)
    return codes, [values[k] for k in order.tolist()]


def value_codes(values: list) -> tuple[np.ndarray, list]:
    """Return (int32 code per document, distinct values by code) of a per-document column."""
    index: dict = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, len(values))
    return codes, list(index)


def tag_sets(view: View, widest: int = 32) -> tuple[np.ndarray, list[tuple]]:
    """Return (a code per document, the tag set of each code): a set is a tuple of tags in
    name order, () for none; codes in order of first appearance. Built from (document, tag)
    pairs with numpy; documents with more than `widest` tags go one tuple at a time."""
    n = view.state.total
    names, docs = [], []
    for term in view.reader.lexicon("tags"):
        names.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        docs.append(view.term_docs("tags", names[-1]))
    sizes = [len(d) for d in docs]
    doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    tag = np.repeat(np.arange(len(names), dtype=np.int32), sizes)
    order = np.argsort(doc, kind="stable")  # by document; tags stay in name order
    doc, tag = doc[order], tag[order]
    counts = np.bincount(doc, minlength=n)
    if n and int(counts.max(initial=0)) > widest:
        return _tag_tuples(n, names, doc, tag)
    width = max(1, int(counts.max(initial=0)))
    rows = np.full((n, width), -1, dtype=np.int32)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows[doc, np.arange(len(doc)) - starts[doc]] = tag
    bits = max(1, len(names).bit_length())  # a tag code + 1 in `bits` bits, 0 for none
    if bits * width <= 63:  # the row as one int64: np.unique sorts numbers, not bytes
        keys = np.zeros(n, dtype=np.int64)
        for j in range(width):
            keys |= (rows[:, j].astype(np.int64) + 1) << (bits * j)
    else:
        keys = np.ascontiguousarray(rows).view(np.dtype((np.void, 4 * width))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    codes, order = first_appearance(inverse.ravel())
    sets = [tuple(names[t] for t in rows[first[k]].tolist() if t >= 0) for k in order.tolist()]
    return codes, sets


def _tag_tuples(n: int, names: list[str], doc: np.ndarray, tag: np.ndarray):
    """Return what tag_sets does, one tuple per document (for documents with many tags)."""
    tags: list[tuple] = [()] * n
    for d, t in zip(doc.tolist(), tag.tolist(), strict=True):
        tags[d] = (*tags[d], names[t])
    return value_codes(tags)
