"""Read access to the live index generation: reused per-thread searchers and statistics."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.searching import Searcher

from searchsvc.engine.generations import (
    CURRENT,
    MANIFEST,
    WriteLock,
    gen_name,
    gen_number,
    load_manifest,
    read_current,
    switch_current,
)
from searchsvc.engine.schema import build_schema
from searchsvc.engine.w3.mapped import MappedStorage
from searchsvc.errors import IndexMissing

# The layout helpers stay importable from here, where they lived first.
__all__ = [
    "SEARCHER_GRACE_S",
    "Store",
    "WriteLock",
    "gen_name",
    "gen_number",
    "load_manifest",
    "read_current",
    "switch_current",
]

# A replaced searcher stays open this long, so a request still using it can finish.
SEARCHER_GRACE_S = 60.0


class Store:
    """Read access to the live generation of an index directory, with reused searchers.

    Whoosh searchers read through shared file positions, so two threads searching with one
    searcher corrupt each other's reads: each thread gets its own searcher, reused for every call
    it makes until a new generation is switched in. A replaced searcher stays open for
    SEARCHER_GRACE_S so a request still using it finishes; a dead thread's searcher is closed.
    """

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._gen: str | None = None
        self._index = None
        self._searchers: dict[int, tuple[threading.Thread, Searcher]] = {}
        self._retired: list[tuple[float, Searcher]] = []
        self._stats: dict | None = None

    def exists(self) -> bool:
        """Return True when a complete index generation is live."""
        return read_current(self.index_dir) is not None

    @property
    def generation(self) -> str:
        """Return the name of the live generation (raises IndexMissing when there is none)."""
        with self._lock:
            self._refresh()
            return self._gen

    @property
    def schema(self) -> Schema:
        """Return the schema of the live index (the current schema when there is no index yet)."""
        if not self.exists():
            return build_schema()
        return self.index().schema

    def index(self) -> whoosh_index.Index:
        """Return the opened Whoosh index of the live generation."""
        with self._lock:
            self._refresh()
            return self._index

    def searcher(self) -> Searcher:
        """Return this thread's searcher, replaced only when a new generation was switched in."""
        me = threading.current_thread()
        with self._lock:
            self._refresh()
            owner, searcher = self._searchers.get(me.ident, (None, None))
            if owner is not me:
                for ident, (thread, old) in list(self._searchers.items()):
                    if not thread.is_alive():  # a reused ident means its thread died
                        del self._searchers[ident]
                        old.close()
                searcher = self._index.searcher()
                self._searchers[me.ident] = (me, searcher)
            return searcher

    def manifest(self) -> dict:
        """Return the manifest of the live generation (path -> {size, mtime_ns, sha, ids})."""
        return load_manifest(self.index_dir / self.generation)

    def stats(self) -> dict:
        """Return documents, index_bytes, last_update, generation, sources and date_span."""
        searcher = self.searcher()
        with self._lock:
            if self._stats is not None and self._stats["generation"] == self._gen:
                return dict(self._stats)
            gen, gen_dir = self._gen, self.index_dir / self._gen
        stats = _compute_stats(searcher, gen_dir)
        stats["generation"] = gen
        with self._lock:
            self._stats = stats
        return dict(stats)

    def close(self) -> None:
        """Close every searcher this store opened (only when no request is using them)."""
        with self._lock:
            for _, s in self._retired:
                s.close()
            self._retired.clear()
            for _, s in self._searchers.values():
                s.close()
            self._searchers.clear()
            self._index = self._gen = self._stamp = None

    def _refresh(self) -> None:
        """Follow CURRENT if it changed (one stat per call); caller holds self._lock."""
        now = time.monotonic()
        if self._retired:
            keep = [(t, s) for t, s in self._retired if now - t < SEARCHER_GRACE_S]
            for t, s in self._retired:
                if now - t >= SEARCHER_GRACE_S:
                    s.close()
            self._retired = keep
        try:
            st = os.stat(self.index_dir / CURRENT)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp is not None and stamp == self._stamp and self._index is not None:
            return
        gen = read_current(self.index_dir)
        if gen is None:
            raise IndexMissing(f"no index in {self.index_dir}", hint="run `searchsvc index` first")
        if gen != self._gen or self._index is None:
            try:
                ix = open_readonly(self.index_dir / gen)
            except (OSError, whoosh_index.EmptyIndexError) as e:
                raise IndexMissing(
                    f"the index in {self.index_dir} cannot be opened ({e})",
                    hint="run `searchsvc index --rebuild`",
                ) from e
            self._retired.extend((now, s) for _, s in self._searchers.values())
            self._searchers.clear()
            self._index, self._gen = ix, gen
        self._stamp = stamp


def open_readonly(gen_dir: Path):
    """Open a generation for searching, its segments read from shared memory maps."""
    return MappedStorage(str(gen_dir)).open_index()


def _compute_stats(searcher: Searcher, gen_dir: Path) -> dict:
    """Count live documents per source and find the date span, reading the stored columns."""
    reader = searcher.reader()
    sources: dict[str, int] = {}
    first = last = None
    src_col = reader.column_reader("source") if reader.has_column("source") else None
    date_col = None
    if reader.has_column("published"):
        date_col = reader.column_reader("published")
    for docnum in reader.all_doc_ids():
        if src_col is not None:
            name = src_col[docnum]
            name = name.decode("utf-8") if isinstance(name, bytes) else name
            if name:
                sources[name] = sources.get(name, 0) + 1
        if date_col is not None:
            try:  # an article without a date holds an out-of-range default
                day = date_col[docnum].date()
            except (OverflowError, ValueError, AttributeError):
                continue
            first = day if first is None or day < first else first
            last = day if last is None or day > last else last
    index_bytes = 0
    with contextlib.suppress(OSError):
        index_bytes = sum(p.stat().st_size for p in gen_dir.iterdir() if p.is_file())
    try:
        mtime = os.stat(gen_dir / MANIFEST).st_mtime
    except OSError:
        mtime = time.time()
    return {
        "documents": searcher.doc_count(),
        "index_bytes": index_bytes,
        "last_update": datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds"),
        "sources": dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        "date_span": [
            first.isoformat() if first else None,
            last.isoformat() if last else None,
        ],
    }
