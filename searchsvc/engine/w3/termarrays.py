"""Term arrays: a segment's postings of the ranked fields and tags as flat numpy arrays beside it.

Whoosh keeps postings in pickled blocks that are decoded one by one at query time; the first
search for a term pays for that in every segment. The bulk writer already holds each field's
postings as arrays, so it also writes them out, per segment and field (`<segment id>.<field>.*`
in the generation folder, written before the generation is switched in):

- `terms.npy`: the field's terms (UTF-8 bytes, sorted; fixed-width `S` dtype, so a lookup is a
  binary search), only terms up to MAX_TERM_BYTES long;
- `starts.npy`: int64, term i owns postings starts[i]:starts[i + 1];
- `docs.npy`: int32 segment document numbers; `weights.npy`: the postings' weights (the
  term's frequency in the document: the fields carry no boost);
- `positions.npy`: int32 token positions, posting after posting in that order, and
  `tpos.npy`: int64, where term i's positions start (phrases and proximity read these).

They are derived data with the same numbers as the segment's posting blocks (a test reads both).
Readers memory-map them; a segment without them (written by Whoosh's own writer, such as an
incremental update or a merge) or a longer term is read through Whoosh as before. Whoosh's own
file cleaner removes them with their segment, since they carry the segment's name.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

FIELDS = ("title", "body")  # the fields the ranking reads postings of (with positions)
KEY_FIELDS = ("tags",)  # whole-value fields read for facets and filters (no positions)
ARRAY_FIELDS = FIELDS + KEY_FIELDS
MAX_TERM_BYTES = 40  # longer terms (rare: numbers, run-together words) stay in Whoosh only
_PARTS = ("terms", "starts", "docs", "weights")
_POSITION_PARTS = ("positions", "tpos")


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
    positions: np.ndarray | None = None,
) -> None:
    """Write one field's term arrays of a segment (terms sorted; starts has len(terms) + 1).

    `positions`: every posting's token positions, posting after posting (weights[p] of them
    for posting p), or None for a field without positions.
    """
    starts = np.asarray(starts, dtype=np.int64)
    sizes = np.diff(starts)
    ok = np.array([len(t) <= MAX_TERM_BYTES for t in terms], dtype=bool)
    posting_ok = np.repeat(ok, sizes)
    all_weights = np.asarray(weights, dtype=np.float64)
    weights = all_weights[posting_ok]
    narrow = weights.astype(np.float32)
    arrays = {
        "terms": np.array([t for t, k in zip(terms, ok, strict=True) if k], f"S{MAX_TERM_BYTES}"),
        "starts": np.concatenate(([0], np.cumsum(sizes[ok]))).astype(np.int64),
        "docs": np.asarray(docs)[posting_ok].astype(np.int32),
        "weights": narrow if np.array_equal(narrow, weights) else weights,
    }
    parts = _PARTS
    if positions is not None:
        freq = np.rint(all_weights).astype(np.int64)
        arrays["positions"] = np.asarray(positions)[np.repeat(posting_ok, freq)].astype(np.int32)
        kept = np.rint(weights).astype(np.int64)
        arrays["tpos"] = np.concatenate(([0], np.cumsum(kept)))[arrays["starts"][:-1]]
        parts = _PARTS + _POSITION_PARTS
    for part in parts:
        with open(_path(folder, segment_id, field, part), "wb") as f:
            np.save(f, arrays[part], allow_pickle=False)


def write_segment(reader, folder: str | os.PathLike) -> None:
    """Write the term arrays of a Whoosh segment reader by decoding its postings (slow path).

    The tests' reference: arrays built from what Whoosh reads back. The bulk writer calls
    write_field with the arrays it already has; segments of Whoosh's own writer
    (`--whoosh-writer`) get none and are read through Whoosh's matchers.
    """
    from searchsvc.engine.w3.segments import posting_arrays, segment_id, term_matcher

    for field in FIELDS:
        terms, starts, docs, weights, positions = [], [0], [], [], []
        for tbytes in reader.lexicon(field):
            ids, w = posting_arrays(term_matcher(reader, field, tbytes))
            m = term_matcher(reader, field, tbytes)
            while m.is_active():  # deleted documents included, as the other arrays
                positions += m.value_as("positions")
                m.next()
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
            np.array(positions, dtype=np.int64),
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
        self.positions = self.tpos = None  # older segments have none
        with contextlib.suppress(OSError):
            self.positions, self.tpos = (
                np.load(_path(folder, segment_id, field, p), mmap_mode="r").view(np.ndarray)
                for p in _POSITION_PARTS
            )

    def postings(self, tbytes: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Return (docs, weights) of a term (empty when absent), or None for a too long term."""
        if len(tbytes) > MAX_TERM_BYTES:
            return None
        i = int(np.searchsorted(self.terms, tbytes))
        if i >= len(self.terms) or self.terms[i] != tbytes:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[lo:hi], self.weights[lo:hi]


_NONE = (np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32))
_BIAS = 1 << 20  # keeps a phrase word's shifted position positive


def _positions_row(arrays: TermArrays, tbytes: bytes) -> tuple | None:
    """Return (row, first posting, end) of a term in arrays with positions: () when the term
    is not there, None without position arrays or for a term too long for the arrays."""
    if arrays.positions is None or len(tbytes) > MAX_TERM_BYTES:
        return None
    i = int(np.searchsorted(arrays.terms, tbytes))
    if i >= len(arrays.terms) or arrays.terms[i] != tbytes:
        return ()
    return i, int(arrays.starts[i]), int(arrays.starts[i + 1])


def term_positions(arrays: TermArrays, tbytes: bytes):
    """Return (docs, frequencies, positions) of a term (empty if absent); None without positions."""
    row = _positions_row(arrays, tbytes)
    if not row:
        return None if row is None else _NONE
    i, lo, hi = row
    freq = np.rint(arrays.weights[lo:hi]).astype(np.int64)
    start = int(arrays.tpos[i])
    return arrays.docs[lo:hi], freq, arrays.positions[start : start + int(freq.sum())]


def positions_of(arrays: TermArrays, tbytes: bytes, docs: np.ndarray):
    """Return (which of `docs` hold a term, as indices; their frequencies; their positions, in
    order) from the arrays, None without position arrays. `docs`: segment numbers, ascending.

    Only the documents asked for are read: their postings by binary search, where their
    positions start by sums of the frequencies before them (numpy's add.reduceat, in the
    weights' float32 when exact: 36 us for 200,000 postings, 95 with a float64 copy), not a
    cumulative sum over the whole list (1.2 ms).
    """
    row = _positions_row(arrays, tbytes)
    if not row:
        return None if row is None else _NONE
    i, lo, hi = row
    held = arrays.docs[lo:hi]
    want = docs.astype(held.dtype)  # an int64 needle would copy `held` to int64
    at = np.minimum(np.searchsorted(held, want), len(held) - 1)
    hit = held[at] == want
    k, at = np.flatnonzero(hit), at[hit]
    if not len(k):
        return _NONE
    weights = arrays.weights[lo:hi]  # frequencies (no field boost), whole numbers as floats
    f = np.rint(weights[at]).astype(np.int64)
    # summed in their own float type, exactly while every sum is a whole number it can hold:
    # float32 up to 2**24 (the term's positions in this segment bound the sums), else float64
    end = arrays.tpos[i + 1] if i + 1 < len(arrays.tpos) else len(arrays.positions)
    wide = weights.dtype != np.float32 or end - arrays.tpos[i] >= 1 << 24
    acc = np.float64 if wide else np.float32
    between = np.add.reduceat(weights, at, dtype=acc)[:-1]  # weights[at[j]:at[j + 1]] summed
    head = weights[: at[0]].sum(dtype=acc)
    before = np.concatenate(([head], head + np.cumsum(between, dtype=np.float64))).astype(np.int64)
    first = int(arrays.tpos[i]) + before  # each hit's first position
    at_pos = np.repeat(first - np.cumsum(f) + f, f) + np.arange(int(f.sum()))
    return k, f, arrays.positions[at_pos]


def phrase_counts(arrays: TermArrays, terms: list[bytes]):
    """Return (segment docs, occurrences) of words standing in this order, from the positions.

    Deleted documents included (the caller drops them); None when the segment has no
    positions (or a word is too long for the arrays): Whoosh's phrase matcher does it then.
    """
    keys = None
    for j, tbytes in enumerate(terms):
        got = term_positions(arrays, tbytes)
        if got is None:
            return None
        docs, freq, pos = got
        shifted = (np.repeat(docs.astype(np.int64), freq) << 32) | (
            pos.astype(np.int64) - j + _BIAS
        )
        keys = shifted if keys is None else keys[np.isin(keys, shifted, assume_unique=True)]
        if not len(keys):
            return _NONE[0], _NONE[1]
    return np.unique(keys >> 32, return_counts=True)


def following(arrays: TermArrays, previous: bytes, lo: int, hi: int, live: np.ndarray):
    """Return, for the field's terms lo..hi-1, in how many live documents each stands right
    after `previous` (`live`: the segment's documents); None when the segment has no positions.

    One pass over the range's postings in the documents holding `previous`, not a phrase
    search per term: completions weigh every term of a prefix this way.
    """
    prev = term_positions(arrays, previous)
    if prev is None:
        return None
    out = np.zeros(hi - lo, dtype=np.int64)
    pdocs, pfreq, ppos = prev
    if not len(pdocs) or lo >= hi:
        return out
    after = np.unique((np.repeat(pdocs.astype(np.int64), pfreq) << 32) | (ppos + 1))
    s0, s1 = int(arrays.starts[lo]), int(arrays.starts[hi])
    docs = arrays.docs[s0:s1]
    freq = np.rint(arrays.weights[s0:s1]).astype(np.int64)
    first = int(arrays.tpos[lo]) + np.cumsum(freq) - freq  # each posting's first position
    keep = np.flatnonzero(np.isin(docs, pdocs) & live[docs])
    if not len(keep):
        return out
    f = freq[keep]
    at = np.repeat(first[keep], f) + np.arange(int(f.sum())) - np.repeat(np.cumsum(f) - f, f)
    keys = (np.repeat(docs[keep].astype(np.int64), f) << 32) | arrays.positions[at]
    posting = np.unique(np.repeat(keep, f)[np.isin(keys, after)])
    owner = np.searchsorted(arrays.starts[lo : hi + 1] - s0, posting, side="right") - 1
    return np.bincount(owner, minlength=hi - lo)


def open_arrays(folder: str | None, segment_id: str | None, field: str) -> TermArrays | None:
    """Return the memory-mapped term arrays of a segment's field, or None when it has none."""
    if not folder or segment_id is None or field not in ARRAY_FIELDS:
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
    if arrays.positions is not None:
        tpos = arrays.tpos
        if len(tpos) != len(terms) or (len(tpos) > 1 and bool((np.diff(tpos) < 0).any())):
            return "position offsets do not match the terms"
        if len(tpos) and int(tpos[-1]) > len(arrays.positions):
            return "position offsets past the positions"
    return None
