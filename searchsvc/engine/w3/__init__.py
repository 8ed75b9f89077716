"""PRIVATE: the only code that knows Whoosh 2.7's W3 file format and internals.

The rest of the engine reaches Whoosh's storage through these names only: opening and creating
index folders, the writers (searchsvc's bulk segment writer, or Whoosh's own), and the bulk
reads of `segments` and `termarrays`. The installed Whoosh must be the version this layer was
written and tested against: another one is refused when this package is imported.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from searchsvc.errors import SearchsvcError

TESTED_WHOOSH = "2.7.5"  # whoosh-reloaded; pyproject.toml pins it exactly


def _check_version() -> None:
    """Refuse a Whoosh other than the tested one, with a clear message."""
    try:
        found = metadata.version("whoosh-reloaded")
    except metadata.PackageNotFoundError:
        found = None
    if found != TESTED_WHOOSH:
        raise SearchsvcError(
            f"searchsvc's index layer was written for whoosh-reloaded {TESTED_WHOOSH}, "
            f"but {found or 'no whoosh-reloaded'} is installed",
            hint=f"pip install 'whoosh-reloaded=={TESTED_WHOOSH}' (pyproject.toml pins it)",
        )


_check_version()

from whoosh import index as _index  # noqa: E402 (after the version check)
from whoosh.columns import FixedBytesColumn  # noqa: E402 (the schema's fingerprint column)

from searchsvc.engine.w3 import merged, segments, termarrays  # noqa: E402
from searchsvc.engine.w3.formats import FastFrequency, FastPositions  # noqa: E402
from searchsvc.engine.w3.mapped import MappedStorage  # noqa: E402
from searchsvc.engine.w3.segwriter import TOKENS_PER_MB, BulkWriter  # noqa: E402
from searchsvc.engine.w3.termarrays import FIELDS  # noqa: E402
from searchsvc.engine.w3.workers import ParallelBulkWriter  # noqa: E402

# What opening a generation raises when its files are missing, damaged or of another schema.
UNREADABLE = (OSError, ValueError, KeyError, EOFError, ImportError, AttributeError,
              _index.EmptyIndexError)  # fmt: skip

__all__ = [
    "TOKENS_PER_MB",
    "UNREADABLE",
    "FastFrequency",
    "FastPositions",
    "FixedBytesColumn",
    "create",
    "merge_term_arrays",
    "open_readonly",
    "open_writable",
    "writer",
]


def create(folder: Path, schema):
    """Create an empty index in an existing folder and return it (for writing; the segments
    it then holds are read from memory maps, as `open_writable`'s)."""
    storage = MappedStorage(str(folder), readonly=False)
    return _index.FileIndex.create(storage, schema, _index._DEF_INDEX_NAME)


def open_writable(folder: Path):
    """Open an index folder for writing; its segments are read from memory maps.

    Whoosh's own storage copies every part of a compound segment into a BytesIO when a reader
    opens it: 2 s of each live-write batch at Reuters x20 went to copying the term files."""
    return MappedStorage(str(folder), readonly=False).open_index()


def open_readonly(folder: Path):
    """Open a generation for searching, its segments read from shared memory maps."""
    return MappedStorage(str(folder)).open_index()


class StockWriter:
    """Whoosh's own writer behind the bulk writers' interface (for SEARCHSVC_BULK_WRITER=0)."""

    def __init__(self, ix, limitmb: int) -> None:
        self._writer = ix.writer(limitmb=min(limitmb, 256))

    def delete_by_term(self, fieldname: str, text: str) -> int:
        """Delete the documents holding a term; return how many."""
        return self._writer.delete_by_term(fieldname, text)

    def add_many(self, items, to_docs) -> None:
        """Add the documents `to_docs(items)` gives (add_document's arguments, one per item)."""
        for doc in to_docs(list(items)):
            self._writer.add_document(**doc)

    def commit(self, mergetype=None, merge: bool = True) -> None:
        """Commit the new segment (merged as `mergetype` says, or small old ones with merge)."""
        self._writer.commit(mergetype=mergetype, merge=merge)

    @property
    def segments(self) -> list:
        """The existing segments, as Whoosh's writer holds them."""
        return self._writer.segments

    @property
    def storage(self):
        """The index's storage."""
        return self._writer.storage

    @property
    def schema(self):
        """The index's schema."""
        return self._writer.schema

    def cancel(self) -> None:
        """Throw the uncommitted changes away."""
        self._writer.cancel()


def merge_term_arrays(folder: Path, min_docs: int = merged.MAX_MERGE_DOCS) -> bool:
    """Write (or keep) the merged term arrays of a committed index's leading big segments."""
    reader = open_writable(folder).reader()
    try:
        found = []
        for leaf, _ in segments.leaves(reader):
            sid = segments.segment_id(leaf)
            held = all(termarrays.open_arrays(folder, sid, f) is not None for f in FIELDS)
            found.append((sid, leaf.doc_count_all(), held))
    finally:
        reader.close()
    return merged.write_merged(folder, merged.leading(found, min_docs))


def writer(ix, *, procs: int, limitmb: int, bulk: bool = True):
    """Return a writer for ix: the bulk segment writer (procs > 1: in worker processes)."""
    if not bulk:
        return StockWriter(ix, limitmb)
    if procs > 1:
        return ParallelBulkWriter(ix, procs=procs, limitmb=limitmb)  # limitmb / procs per worker
    return BulkWriter(ix, limitmb=limitmb)
