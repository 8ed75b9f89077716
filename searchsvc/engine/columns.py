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
