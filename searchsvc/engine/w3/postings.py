"""Posting and per-document readers of the ranking, with their caches.

Decoded field lengths and BM25 denominators per segment, block-wise posting reads (the W3
delta decoding in C), and the LRU of per-term BM25F scores shared by a generation's searchers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching import Matcher
from whoosh.util.numeric import byte_to_length

from searchsvc.engine.w3.termarrays import open_arrays


def _denominators(seg, fieldname: str, base: float, per_len: float) -> np.ndarray:
    """Return base + per_len * length of every document of a segment (cached on the reader).

    Documents without a length (no such field) get NaN: no posting of the field points there.
    """
    cache = seg.__dict__.setdefault("_searchsvc_den", {})
    key = (fieldname, base, per_len)
    if key not in cache:
        lengths = np.array(
            [np.nan if n is None else n for n in _lengths(seg, fieldname)], dtype=np.float64
        )
        cache[key] = base + per_len * lengths
    return cache[key]


def _lengths(reader, fieldname: str) -> list[int]:
    """Return the field length of every document of a segment (cached on the reader)."""
    cache = reader.__dict__.setdefault("_searchsvc_lengths", {})
    if fieldname not in cache:
        found = _length_column(reader, fieldname)
        if found is None:
            dfl = reader.doc_field_length
            found = [dfl(d, fieldname) for d in range(reader.doc_count_all())]
        cache[fieldname] = found
    return cache[fieldname]


# doc_field_length() of a length byte: None for 0 (Whoosh 2.7's W3 codec falls through).
_BYTE_LENGTHS = [None] + [byte_to_length(b) for b in range(1, 256)]


def _length_column(reader, fieldname: str) -> list | None:
    """Return doc_field_length() of every document, read as one slice of the W3 length column.

    None when the reader is not a W3 segment reader as expected (callers then ask per document).
    """
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, W3PerDocReader) or reader.is_closed:
        return None
    col = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    n = reader.doc_count_all()
    if col is None:
        return [0] * n  # no length column: doc_field_length's default
    if not isinstance(col, NumericColumn.Reader) or col._typecode != "B":
        return None
    count = min(col._count, n)
    raw = col._dbfile.get(col._basepos, count)
    return [_BYTE_LENGTHS[b] for b in raw] + [None] * (n - count)


SCORE_CACHE_BYTES = 32 << 20  # per process and index generation


def _size(value: tuple) -> int:
    """Return the bytes held by a cached (ids, scores) pair of arrays, with their headers."""
    return 250 + sum(a.nbytes for a in value)


class _ScoreCache:
    """A thread-safe LRU of per-term (ids, scores) arrays, bounded by their size in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        """Return the cached value of key (and mark it recently used), or None."""
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key, value: tuple) -> tuple:
        """Cache (ids, scores) under key, dropping the least recently used ones over the limit."""
        size = _size(value)
        with self.lock:
            if key in self.items:  # another thread was first: keep one copy
                return self.items[key]
            if size <= self.limit:
                self.items[key] = value
                self.used += size
                while self.used > self.limit:
                    _, old = self.items.popitem(last=False)
                    self.used -= _size(old)
        return value


_HOSTS_LOCK = threading.Lock()


def _score_cache(top) -> _ScoreCache:
    """Return the score cache of a searcher's index state.

    Shared by every thread's searcher of the same opened index and TOC generation (scores are
    the same there), so memory is bounded per process, not per thread; else per reader.
    """
    reader = top.reader()
    ix, gen = getattr(top, "_ix", None), reader.generation()
    host, key = (ix, gen) if ix is not None and gen is not None else (reader, None)
    with _HOSTS_LOCK:
        owned = host.__dict__.get("_searchsvc_scores")
        if owned is None or owned[0] != key:
            owned = host.__dict__["_searchsvc_scores"] = (key, _ScoreCache(SCORE_CACHE_BYTES))
    return owned[1]


def _blocks(m):
    """Yield (ids, weights) per posting block of a leaf matcher (per posting for others)."""
    if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_ids")):
        while m.is_active():
            if m._ids is None:
                _read_ids(m)
            if m._weights is None:
                m._read_weights()
            yield m._ids[m._i :], m._weights[m._i :]
            m._next_block()
    else:
        while m.is_active():
            yield (m.id(),), (m.weight(),)
            m.next()


def live_mask(seg) -> np.ndarray:
    """Return a boolean array over a segment's documents, False where deleted (cached on it)."""
    found = seg.__dict__.get("_searchsvc_live_mask")
    if found is None:
        found = np.zeros(seg.doc_count_all(), dtype=bool)
        found[list(seg.all_doc_ids())] = True
        seg.__dict__["_searchsvc_live_mask"] = found
    return found


def posting_arrays(m) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc ids, weights) of every posting of a leaf matcher, as int64 and float64 arrays."""
    ids: list = []
    weights: list = []
    for i, w in _blocks(m):
        ids += i
        weights += w
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def segment_postings(seg, fname: str, text: str):
    """Return (live doc ids, weights, document frequency) of a term in one segment, or None.

    From the segment's term arrays when it has them (two slices), else through Whoosh.
    """
    arrays = open_arrays(seg, fname)
    got = arrays.postings(text.encode("utf-8")) if arrays is not None else None
    if got is None:
        if (fname, text) not in seg:
            return None
        ids, weights = posting_arrays(seg.postings(fname, text))
        return ids, weights, seg.doc_frequency(fname, text)
    ids, weights = got
    if not len(ids):
        return None
    df = len(ids)  # Whoosh's document frequency counts deleted documents until a merge
    if seg.has_deletions():
        keep = live_mask(seg)[ids]
        ids, weights = ids[keep], weights[keep]
    return ids.astype(np.int64), weights.astype(np.float64), df


def posting_ids(reader, fieldname: str, text: str) -> list[int]:
    """Return the (live) documents holding a term, ascending, read block by block per segment."""
    out: list[int] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) in leaf:
            for ids, _ in _blocks(leaf.postings(fieldname, text)):
                out += [d + offset for d in ids] if offset else ids
    return out


def _read_ids(m) -> None:
    """Decode the current block's ids as m._read_ids() does, the W3 delta decoding in C."""
    if not isinstance(m, W3LeafMatcher):
        m._read_ids()
        return
    if m._data is None:
        m._read_data()
    ids = m._data[0]
    m._ids = ids if m._byteids else tuple(accumulate(ids))  # = tuple(delta_decode(ids))


class ScoreListMatcher(Matcher):
    """A matcher over precomputed (sorted doc ids, scores)."""

    def __init__(self, ids: list[int], scores: list[float], i: int = 0):
        self._ids, self._scores, self._i = ids, scores, i

    def is_active(self):
        """Return True while there are documents left."""
        return self._i < len(self._ids)

    def id(self):
        """Return the current document number."""
        return self._ids[self._i]

    def next(self):
        """Move to the next document."""
        self._i += 1

    def skip_to(self, target):
        """Move to the first document at or after target."""
        while self._i < len(self._ids) and self._ids[self._i] < target:
            self._i += 1

    def score(self):
        """Return the precomputed score of the current document."""
        return self._scores[self._i]

    def weight(self):
        """Return the score (there is no separate term weight)."""
        return self._scores[self._i]

    def supports_block_quality(self):
        """Return False: scores are final, no block skipping."""
        return False

    def copy(self):
        """Return a copy at the same position."""
        return ScoreListMatcher(self._ids, self._scores, self._i)

    def reset(self):
        """Go back to the first document."""
        self._i = 0

    def all_ids(self):
        """Return the remaining document numbers."""
        return iter(self._ids[self._i :])

    def term_matchers(self):
        """Return no term matchers (scores are precomputed)."""
        return iter(())

    def matching_terms(self, id=None):
        """Return no matched terms (scores are precomputed)."""
        return iter(())
