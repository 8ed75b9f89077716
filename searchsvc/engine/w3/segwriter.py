"""Whoosh segment writers tuned for bulk indexing (same on-disk format as stock Whoosh)."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable
from itertools import islice

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from searchsvc.engine.w3.bulkwrite import SegmentBuilder

RUN_CHUNK = 20_000  # postings per marshal record in a spilled run


class BulkPool(PostingPool):
    """Whoosh's posting pool, but a spilled run is written and read in chunks, not per posting.

    Memory stays bounded by `limitmb` as before: a run is read back one chunk at a time.
    """

    def add(self, item: tuple) -> None:
        """Add (fieldname, tbytes, docnum, weight, vbytes); spill a sorted run past the limit."""
        self.current.append(item)
        self.fieldnames.add(item[0])
        self.currentsize += 150 + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()

    def _write_run(self, f, items) -> None:
        it = iter(items)
        while chunk := list(islice(it, RUN_CHUNK)):
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class _Lengths:
    """Field lengths of the new segment read once into lists (Whoosh seeks per posting)."""

    def __init__(self, pdr, schema) -> None:
        self.cols: dict[str, list[int | None]] = {}
        for name in schema.scorable_names():
            if pdr.has_column(_lenfield(name)):
                reader = pdr.column_reader(_lenfield(name), LENGTHS_COLUMN)
                self.cols[name] = [byte_to_length(b) if b else None for b in reader]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """Return the (byte-approximated) length of a field in a document, as Whoosh does."""
        col = self.cols.get(fieldname)
        return default if col is None else col[docnum]


class BulkSegmentWriter(SegmentWriter):
    """SegmentWriter with a BulkPool, whose commit reads field lengths once, not per posting."""

    def __init__(self, ix, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = BulkPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(pdr, self.schema) if pdr is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


# Tokens per bulk segment per MB of the writer's budget: a flush peaks at ~150 bytes per token
# (token arrays, numpy sort temporaries, one bytes object per posting), measured on Reuters.
TOKENS_PER_MB = 7_000


class BulkWriter(BulkSegmentWriter):
    """A Whoosh writer whose added documents become bulk-built segments (bulkwrite.py).

    Deletions, merges of existing segments and the TOC go through Whoosh as before; every
    `limitmb` worth of tokens the builder writes a segment, and commit lists them in the TOC
    beside the surviving old ones (like Whoosh's multisegment writer).
    """

    def __init__(self, ix, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.builder = SegmentBuilder(
            self.schema, self.storage, self.indexname, self.codec, limitmb * TOKENS_PER_MB
        )
        self.bulk_segments: list = []

    def add_document(self, **fields) -> None:
        """Add a document to the current bulk segment (written when the budget is full)."""
        self._check_state()
        if self.builder.add(fields):
            self.bulk_segments.append(self.builder.flush())

    def add_many(self, items: Iterable, to_docs: Callable[[list], list[dict]]) -> None:
        """Add the documents `to_docs(items)` gives (add_document's arguments, one per item)."""
        for doc in to_docs(list(items)):
            self.add_document(**doc)

    def finish_bulk(self) -> list:
        """Write the last bulk segment; return all bulk segments written by this writer."""
        segment = self.builder.flush()
        if segment is not None:
            self.bulk_segments.append(segment)
        return self.bulk_segments

    def commit(self, mergetype=None, optimize=None, merge=None, extra=()) -> None:
        """Merge as Whoosh does, then write a TOC with the old, merged and bulk segments."""
        self._check_state()
        bulk = self.finish_bulk()
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc([*finalsegments, *bulk, *extra])
        self._finish()

    def cancel(self) -> None:
        """Drop the unwritten bulk documents, then cancel as Whoosh does."""
        self.builder.discard()
        super().cancel()
