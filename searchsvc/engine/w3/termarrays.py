"""Term arrays: a segment's postings of the ranked fields as flat numpy arrays beside it.

Whoosh keeps postings in pickled blocks that are decoded one by one at query time; the first
search for a term pays for that in every segment. The bulk writer already holds each field's
postings as arrays, so it also writes them out, per segment and field (`<segment id>.<field>.*`
in the generation folder, written before the generation is switched in):

- `terms.npy`: the field's terms (UTF-8 bytes, sorted; fixed-width `S` dtype, so a lookup is a
  binary search), only terms up to MAX_TERM_BYTES long;
- `starts.npy`: int64, term i owns postings starts[i]:starts[i + 1];
- `docs.npy`: int32 segment document numbers; `weights.npy`: the postings' weights.

They are derived data with the same numbers as the segment's posting blocks (a test reads both).
Readers memory-map them; a segment without them (written by Whoosh's own writer, such as an
incremental update or a merge) or a longer term is read through Whoosh as before. Whoosh's own
file cleaner removes them with their segment, since they carry the segment's name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FIELDS = ("title", "body")  # the fields the ranking reads postings of
MAX_TERM_BYTES = 40  # longer terms (rare: numbers, run-together words) stay in Whoosh only
_PARTS = ("terms", "starts", "docs", "weights")


def _path(folder: str | os.PathLike, segment_id: str, field: str, part: str) -> Path:
    return Path(folder) / f"{segment_id}.{field}.{part}.npy"


def write_field(
    folder: str | os.PathLike,
    segment_id: str,
    field: str,
    terms: list[bytes],
    starts: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
) -> None:
    """Write one field's term arrays of a segment (terms sorted; starts has len(terms) + 1)."""
    starts = np.asarray(starts, dtype=np.int64)
    sizes = np.diff(starts)
    ok = np.array([len(t) <= MAX_TERM_BYTES for t in terms], dtype=bool)
    posting_ok = np.repeat(ok, sizes)
    weights = np.asarray(weights, dtype=np.float64)[posting_ok]
    narrow = weights.astype(np.float32)
    arrays = {
        "terms": np.array([t for t, k in zip(terms, ok, strict=True) if k], f"S{MAX_TERM_BYTES}"),
        "starts": np.concatenate(([0], np.cumsum(sizes[ok]))).astype(np.int64),
        "docs": np.asarray(docs)[posting_ok].astype(np.int32),
        "weights": narrow if np.array_equal(narrow, weights) else weights,
    }
    for part in _PARTS:
        with open(_path(folder, segment_id, field, part), "wb") as f:
            np.save(f, arrays[part], allow_pickle=False)


def write_segment(reader, folder: str | os.PathLike) -> None:
    """Write the term arrays of a Whoosh segment reader by decoding its postings (slow path).

    For segments written by Whoosh's own writer, and for tests; the bulk writer calls
    write_field with the arrays it already has.
    """
    from searchsvc.engine.w3.segments import posting_arrays, segment_id, term_matcher

    for field in FIELDS:
        terms, starts, docs, weights = [], [0], [], []
        for tbytes in reader.lexicon(field):
            ids, w = posting_arrays(term_matcher(reader, field, tbytes))
            terms.append(tbytes)
            docs.append(ids)
            weights.append(w)
            starts.append(starts[-1] + len(ids))
        empty = [np.zeros(0)]
        write_field(
            folder,
            segment_id(reader),
            field,
            terms,
            np.array(starts),
            np.concatenate(docs or empty).astype(np.int64),
            np.concatenate(weights or empty),
        )


class TermArrays:
    """The memory-mapped term arrays of one segment and field."""

    def __init__(self, folder: str | os.PathLike, segment_id: str, field: str) -> None:
        # plain ndarray views of the maps: slicing a np.memmap builds a memmap object each time
        parts = {
            p: np.load(_path(folder, segment_id, field, p), mmap_mode="r").view(np.ndarray)
            for p in _PARTS
        }
        self.terms, self.starts = parts["terms"], parts["starts"]
        self.docs, self.weights = parts["docs"], parts["weights"]

    def postings(self, tbytes: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Return (docs, weights) of a term (empty when absent), or None for a too long term."""
        if len(tbytes) > MAX_TERM_BYTES:
            return None
        i = int(np.searchsorted(self.terms, tbytes))
        if i >= len(self.terms) or self.terms[i] != tbytes:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[lo:hi], self.weights[lo:hi]


def open_arrays(folder: str | None, segment_id: str | None, field: str) -> TermArrays | None:
    """Return the memory-mapped term arrays of a segment's field, or None when it has none."""
    if not folder or segment_id is None or field not in FIELDS:
        return None
    try:
        return TermArrays(folder, segment_id, field)
    except (OSError, ValueError):
        return None


def check_field_arrays(arrays: TermArrays, doc_count: int) -> str | None:
    """Return what is wrong with a field's term arrays (None when they are consistent)."""
    terms, starts, docs, weights = arrays.terms, arrays.starts, arrays.docs, arrays.weights
    if len(starts) != len(terms) + 1 or (len(starts) and starts[0] != 0):
        return "term offsets do not match the terms"
    if len(starts) and starts[-1] != len(docs):
        return f"term offsets end at {int(starts[-1])}, {len(docs)} postings"
    if len(weights) != len(docs):
        return f"{len(weights)} weights for {len(docs)} postings"
    if len(starts) > 1 and bool((np.diff(starts) < 0).any()):
        return "term offsets go backwards"
    if len(docs) and (int(docs.min()) < 0 or int(docs.max()) >= doc_count):
        return f"a document number outside 0..{doc_count - 1}"
    if len(weights) and not bool(np.isfinite(weights).all() and (weights > 0).all()):
        return "a weight that is not a positive number"
    if len(terms) > 1 and bool((terms[1:] <= terms[:-1]).any()):
        return "terms out of order"
    return None
