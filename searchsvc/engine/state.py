"""What is derived from one opened index generation, shared by every thread that searches it.

A `ReaderState` is made by the store when it opens a generation and lives as long as it:
segment layout, live documents, average field lengths, and lazily built caches (field length
norms, facet columns, per-term score arrays, filter document sets, stored fields, spelling
corrections). A `View` pairs it with one thread's Whoosh searcher (Whoosh readers share file
positions, so each thread reads through its own) and is what ranking, facets and spelling take.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from searchsvc.engine.caches import LRU, array_bytes
from searchsvc.engine.w3 import merged, values
from searchsvc.engine.w3 import segments as seg
from searchsvc.engine.w3.termarrays import ARRAY_FIELDS, MAX_TERM_BYTES, TermArrays, open_arrays
from searchsvc.text.scoring import FIELDS

SCORE_CACHE_BYTES = 32 << 20  # per-term score arrays kept per process and generation
STORED_CACHE = 4096  # documents' stored fields (top hits recur across queries)
DOCSET_CACHE = 256  # filter and exclusion document sets
CORRECTION_CACHE = 20_000  # misspelt words whose correction is remembered
DF_CACHE = 100_000  # feedback terms' document frequencies
TERM_COUNTS_CACHE = 400_000  # distinct terms of the documents kept (~30 MB at most)


@dataclass
class Segment:
    """One segment of the generation: where its documents start, which are live, its arrays."""

    id: str | None
    offset: int
    count: int
    live: np.ndarray
    arrays: dict[str, TermArrays | None] = field(default_factory=dict)
    all_live: bool = True  # no deleted documents: postings need no live filter
    leaves: list[int] = field(default_factory=list)  # the Whoosh segments it covers, in order


def _units(segments: list[Segment], folder: str | None, arrays_of) -> list[Segment]:
    """Return the segments term arrays are read by: the merged arrays (engine/w3/merged.py) in
    place of the leading segments they cover, while those are exactly the generation's."""
    cover = merged.covered(folder) if folder and len(segments) > 1 else None
    k = len(cover or ())
    if not k or [(s.id, s.count) for s in segments[:k]] != cover:
        return segments
    arrays = arrays_of((*cover, "arrays"), folder, merged.NAME)
    if any(arrays[f] is None or arrays[f].positions is None for f in FIELDS):
        return segments
    live = np.concatenate([s.live for s in segments[:k]])
    unit = Segment(merged.NAME, 0, len(live), live, arrays, bool(live.all()), list(range(k)))
    return [unit, *segments[k:]]


class ReaderState:
    """Derived data of one opened generation; every cache here is per generation."""

    def __init__(self, generation: str, searcher, carried: dict | None = None) -> None:
        reader = searcher.reader()
        self.generation = generation
        self.total = reader.doc_count_all()  # document numbers, deleted ones included
        self.documents = reader.doc_count()  # live documents
        self.segments: list[Segment] = []  # what term arrays are read by: see _units
        self.leaf_offsets: list[int] = []  # each Whoosh segment's first document number
        self.leaf_keys: list[tuple | None] = []  # (segment id, documents): names its files
        self.per_segment: dict = {}  # segment_memo's values, handed to the next generation
        self._carried = carried or {}
        self._lock = threading.RLock()  # a build may ask for another memo (columns, say)
        for k, (leaf, offset) in enumerate(seg.leaves(reader)):
            sid, folder = seg.segment_id(leaf), seg.segment_folder(leaf)
            self.leaf_keys.append((sid, leaf.doc_count_all()) if sid is not None else None)
            arrays = self._arrays((sid, leaf.doc_count_all(), "arrays"), folder, sid)
            live = seg.live_mask(leaf)
            self.segments.append(
                Segment(sid, offset, leaf.doc_count_all(), live, arrays, bool(live.all()), [k])
            )
            self.leaf_offsets.append(offset)
        masks = [s.live for s in self.segments]
        self.segments = _units(self.segments, folder if self.segments else None, self._arrays)
        self.live = np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
        self.live.flags.writeable = False
        self.live_ids = np.flatnonzero(self.live)
        self.live_ids.flags.writeable = False
        self.offsets = [s.offset for s in self.segments]
        self.avg_length = {f: searcher.avg_field_length(f) for f in FIELDS}
        self.scores = LRU(SCORE_CACHE_BYTES, array_bytes)
        self.stored = LRU(STORED_CACHE)
        self.docsets = LRU(DOCSET_CACHE)
        self.corrections = LRU(CORRECTION_CACHE)
        self.dfs = LRU(DF_CACHE)  # larger document frequency of a term in title and body
        self.term_counts = LRU(TERM_COUNTS_CACHE, len)  # RM3: a text's analysed terms, by digest
        self._memo: dict = {}

    def memo(self, key: Hashable, build: Callable[[], Any]):
        """Return build() computed once per generation (built by the first thread to ask)."""
        found = self._memo.get(key)
        if found is None:
            with self._lock:
                found = self._memo.get(key)
                if found is None:
                    found = self._memo[key] = build()
        return found

    def _arrays(self, key: tuple, folder: str | None, name: str | None) -> dict:
        """Return the term arrays of a segment (or the merged set), kept from the previous
        generation when it had them: a segment's arrays are written with it, never after."""
        return self.segment_memo(
            key, lambda: {f: open_arrays(folder, name, f) for f in ARRAY_FIELDS}
        )

    def segment_memo(self, key: tuple | None, build: Callable[[], Any]):
        """Return build() for data read from unchanged segment files (`key` starts with what
        names them: `leaf_keys` or `unit_key`), kept from the store's previous generation.

        Segment files are never rewritten, and an update keeps the big segments: their coded
        columns are not read again at every new generation (deletions are the caller's part).
        """
        if key is None or None in key:
            return build()
        found = self.per_segment.get(key)
        if found is None:
            with self._lock:
                found = self.per_segment.get(key)
                if found is None:
                    found = self._carried.get(key)
                    self.per_segment[key] = found = build() if found is None else found
        return found

    def drop_carried(self) -> None:
        """Let the previous generation's per-segment data go (what was kept is in ours)."""
        self._carried = {}

    def unit_key(self, i: int) -> tuple | None:
        """Return what names term-array unit i's files: its Whoosh segments' keys."""
        keys = tuple(self.leaf_keys[k] for k in self.segments[i].leaves)
        return None if None in keys else keys


class View:
    """One thread's way into a generation: the shared state plus this thread's searcher."""

    def __init__(self, state: ReaderState, searcher) -> None:
        self.state = state
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = [leaf for leaf, _ in seg.leaves(self.reader)]
        self._id_columns: list | None = None

    def locate(self, docnum: int) -> tuple[int, int]:
        """Return (segment index, document number within it) of a global document number."""
        offsets = self.state.leaf_offsets
        i = bisect.bisect_right(offsets, docnum) - 1
        return i, docnum - offsets[i]

    def unit_leaves(self, i: int) -> list[tuple[object, int]]:
        """Return the Whoosh segments term-array segment i covers, with their first document
        number counted from its own (one segment, at 0, unless i is the merged arrays)."""
        unit = self.state.segments[i]
        offsets = self.state.leaf_offsets
        return [(self.leaves[k], offsets[k] - unit.offset) for k in unit.leaves]

    def stored(self, docnum: int) -> dict:
        """Return the stored fields of a document (cached per generation; do not change them)."""
        cache = self.state.stored
        found = cache.get(docnum)
        if found is None:
            i, local = self.locate(docnum)
            found = cache.put(docnum, seg.stored_fields(self.leaves[i], local))
        return found

    def doc_ids(self, docnums: list[int]) -> list[str]:
        """Return documents' article ids (from the id column, not their stored fields)."""
        if self._id_columns is None:
            self._id_columns = [values.column_reader(leaf, "id") for leaf in self.leaves]
        out = []
        for d in docnums:
            i, local = self.locate(d)
            column = self._id_columns[i]
            out.append(column[local] if column is not None else self.stored(d)["id"])
        return out

    def lengths(self, fieldname: str) -> np.ndarray:
        """Return every document's length of a field, NaN where it has none (per generation)."""

        def build() -> np.ndarray:
            parts = [seg.field_lengths(leaf, fieldname) for leaf in self.leaves]
            out = np.concatenate(parts) if parts else np.zeros(0)
            out.flags.writeable = False
            return out

        return self.state.memo(("lengths", fieldname), build)

    def column(self, name: str, translate: bool = True) -> list:
        """Return a column's value for every document (None where a segment has no column)."""
        out: list = []
        for leaf in self.leaves:
            out += seg.column(leaf, name, translate)
        return out

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Return in how many documents (deleted ones included until a merge) a term occurs."""
        return self.doc_frequencies(fieldname, [text])[0]

    def doc_frequencies(self, fieldname: str, terms: list[str]) -> list[int]:
        """Return `doc_frequency` of each term, looked up together (one binary search per
        segment from the term arrays; Whoosh's lexicon for segments without them)."""
        keys = [t.encode("utf-8") for t in terms]
        fits = np.array([len(k) <= MAX_TERM_BYTES for k in keys], dtype=bool)
        wanted = np.array([k for k, ok in zip(keys, fits, strict=True) if ok], f"S{MAX_TERM_BYTES}")
        counts = np.zeros(len(keys), dtype=np.int64)
        for i, segment in enumerate(self.state.segments):
            arrays = segment.arrays.get(fieldname)
            if arrays is None or not len(arrays.terms):
                for leaf, _ in self.unit_leaves(i):
                    counts += [leaf.doc_frequency(fieldname, t) for t in terms]
                continue
            at = np.minimum(np.searchsorted(arrays.terms, wanted), len(arrays.terms) - 1)
            found = arrays.terms[at] == wanted
            sizes = arrays.starts[at + 1] - arrays.starts[at]
            counts[fits] += np.where(found, sizes, 0)
            if not fits.all():  # too long for the arrays: Whoosh's lexicon has them
                for leaf, _ in self.unit_leaves(i):
                    for k in np.flatnonzero(~fits).tolist():
                        counts[k] += leaf.doc_frequency(fieldname, terms[k])
        return counts.tolist()

    def expand_prefix(self, fieldname: str, prefix: str):
        """Yield the indexed terms of a field that start with prefix, in term order."""
        return self.reader.expand_prefix(fieldname, prefix)

    def prefix_terms(self, fieldname: str, prefix: str, cap: int) -> list[str] | None:
        """Return up to `cap` terms starting with prefix, most documents first (ties by term).

        Read from the term arrays in bulk (a binary search and a slice per segment); None when
        a segment has no arrays for the field (the caller then walks Whoosh's lexicon).
        """
        low = prefix.encode("utf-8")
        high = low + b"\xff"
        counts: dict[bytes, int] = {}
        for segment in self.state.segments:
            arrays = segment.arrays.get(fieldname)
            if arrays is None:
                return None
            lo, hi = np.searchsorted(arrays.terms, [low, high])
            sizes = np.diff(arrays.starts[lo : hi + 1])
            for term, n in zip(arrays.terms[lo:hi].tolist(), sizes.tolist(), strict=True):
                counts[term] = counts.get(term, 0) + n
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:cap]
        return [term.decode("utf-8") for term, n in best if n]

    def field_terms(self, fieldname: str):
        """Yield every indexed term of a field, in term order."""
        return self.reader.field_terms(fieldname)

    def postings(self, i: int, fieldname: str, text: str):
        """Return (live segment doc ids, weights, document frequency) of a term, or None; the
        arrays in the types they are read in (int32 and float32 from term arrays, int64 and
        float64 from Whoosh's postings): callers widen them as they go."""
        segment = self.state.segments[i]
        arrays = segment.arrays.get(fieldname)
        got = arrays.postings(text.encode("utf-8")) if arrays is not None else None
        if got is None:  # no term arrays (a segment of Whoosh's own writer) or a very long term
            ids, weights, df = [], [], 0
            for leaf, rel in self.unit_leaves(i):
                found = seg.raw_postings(leaf, fieldname, text)
                if found is not None:  # Whoosh's postings skip deleted documents already
                    ids.append(np.asarray(found[0], dtype=np.int64) + rel)
                    weights.append(np.asarray(found[1], dtype=np.float64))
                    df += leaf.doc_frequency(fieldname, text)
            if not ids:
                return None
            return np.concatenate(ids), np.concatenate(weights), df
        ids, weights = got
        if not len(ids):
            return None
        df = len(ids)  # Whoosh's document frequency counts deleted documents until a merge
        if not segment.all_live:
            keep = segment.live[ids]
            ids, weights = ids[keep], weights[keep]
        return ids, weights, df

    def term_docs(self, fieldname: str, text: str) -> np.ndarray:
        """Return the global numbers of the live documents holding a term, ascending."""
        parts = []
        for i, segment in enumerate(self.state.segments):
            got = self.postings(i, fieldname, text)
            if got is not None:
                parts.append(np.add(got[0], segment.offset, dtype=np.int64))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
