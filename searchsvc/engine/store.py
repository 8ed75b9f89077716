"""Read access to the live index generation: its ReaderState and one searcher per thread."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from searchsvc.engine import integrity, w3
from searchsvc.engine.generations import (
    CURRENT,
    MANIFEST,
    load_checksums,
    load_manifest,
    read_current,
)
from searchsvc.engine.schema import build_schema, same_schema
from searchsvc.engine.state import ReaderState, View
from searchsvc.errors import IndexDamaged, IndexMissing

# A replaced searcher stays open this long, so a request still using it can finish.
SEARCHER_GRACE_S = 60.0


class Store:
    """The live generation of an index directory: its state, and a view per thread.

    Whoosh searchers read through shared file positions, so two threads searching with one
    searcher corrupt each other's reads: each thread gets its own searcher (in its View), reused
    for every call it makes until a new generation is switched in. A replaced searcher stays
    open for SEARCHER_GRACE_S so a request still using it finishes; a dead thread's is closed.
    Everything derived from a generation lives once in its ReaderState, shared by the threads.
    """

    def __init__(self, index_dir: str | os.PathLike, verify_full: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.verify_full = verify_full  # check every file's digest on open, not just the small
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._gen: str | None = None
        self._index = None
        self._state: ReaderState | None = None
        self._views: dict[int, View] = {}  # by OS thread (gevent greenlets share their thread's)
        self._retired: list[tuple[float, object]] = []
        self.problem: str | None = None  # why the newest generation is not served, if it is not
        self._hashed: dict = {}  # files of the open generation found right (integrity.verify)

    def exists(self) -> bool:
        """Return True when a complete index generation is live (a stat while it is open)."""
        stamp = self._current_stamp()
        if stamp is None:
            return False
        if stamp == self._stamp and self._index is not None:
            return True  # the generation this store has open
        return read_current(self.index_dir) is not None

    def _current_stamp(self) -> tuple | None:
        """Return what identifies the CURRENT file's version (inode, mtime, size), or None."""
        try:
            st = os.stat(self.index_dir / CURRENT)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    @property
    def generation(self) -> str:
        """Return the name of the live generation (raises IndexMissing when there is none)."""
        with self._lock:
            self._refresh()
            return self._gen

    @property
    def version(self) -> str:
        """Return the live generation: every write, batch or live, makes a new one."""
        return self.generation

    @property
    def schema(self):
        """Return the schema of the live index (the current schema when there is no index yet)."""
        if not self.exists():
            return build_schema()
        with self._lock:
            self._refresh()
            return self._index.schema

    def view(self) -> View:
        """Return this thread's view of the live generation (a new one after a switch).

        Views are per OS thread: greenlets of one thread (gevent workers) never interleave
        inside a search, which reads no socket, so they can share their thread's searcher.
        """
        me = threading.get_native_id()
        with self._lock:
            self._refresh()
            view = self._views.get(me)
            if view is None:
                alive = {t.native_id for t in threading.enumerate()}
                for tid in [t for t in self._views if t not in alive]:
                    self._views.pop(tid).searcher.close()  # its thread has ended
                try:
                    searcher = self._index.searcher()  # Whoosh reads the generation's TOC again
                except w3.UNREADABLE as e:  # its folder changed under us (moved, being restored)
                    raise IndexDamaged(
                        f"index generation {self._gen} cannot be read now",
                        hint="if the index folder is being moved or restored, retry when done",
                    ) from e
                view = self._views[me] = View(self._state, searcher)
            return view

    def searcher(self):
        """Return this thread's Whoosh searcher of the live generation."""
        return self.view().searcher

    def manifest(self) -> dict:
        """Return the manifest of the live generation (path -> {size, mtime_ns, sha, ids})."""
        return load_manifest(self.index_dir / self.generation)

    def files(self) -> dict:
        """Return the live generation's size on disk and when it was written (ISO, UTC)."""
        gen_dir = self.index_dir / self.generation
        index_bytes = 0
        with contextlib.suppress(OSError):
            index_bytes = sum(p.stat().st_size for p in gen_dir.iterdir() if p.is_file())
        try:
            mtime = os.stat(gen_dir / MANIFEST).st_mtime
        except OSError:
            mtime = time.time()
        stamp = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
        return {"index_bytes": index_bytes, "last_update": stamp}

    def close(self) -> None:
        """Close every searcher this store opened (only when no request is using them)."""
        with self._lock:
            for _, s in self._retired:
                s.close()
            self._retired.clear()
            for view in self._views.values():
                view.searcher.close()
            self._views.clear()
            self._index = self._gen = self._stamp = self._state = None

    def _refresh(self) -> None:
        """Follow CURRENT if it changed (one stat per call); caller holds self._lock."""
        now = time.monotonic()
        if self._retired:
            keep = [(t, s) for t, s in self._retired if now - t < SEARCHER_GRACE_S]
            for t, s in self._retired:
                if now - t >= SEARCHER_GRACE_S:
                    s.close()
            self._retired = keep
        stamp = self._current_stamp()
        if stamp is not None and stamp == self._stamp and self._index is not None:
            return
        gen = read_current(self.index_dir)
        if gen is None:
            raise IndexMissing(f"no index in {self.index_dir}", hint="run `searchsvc index` first")
        if gen != self._gen or self._index is None:
            try:
                ix, state = self._open(gen, self._state.per_segment if self._state else None)
            except IndexDamaged as e:
                self.problem = e.message
                if self._index is None:
                    raise
                self._stamp = stamp  # keep serving the previous generation; retry on a switch
                return
            self._retired.extend((now, v.searcher) for v in self._views.values())
            self._views.clear()
            self._index, self._gen, self._state = ix, gen, state
            self.problem = None
        self._stamp = stamp

    def _open(self, gen: str, carried: dict | None = None) -> tuple[object, ReaderState]:
        """Open a generation and run the cheap checks; raise IndexDamaged if one fails.

        `carried`: the previous generation's per-segment data (ReaderState.segment_memo)."""
        gen_dir = self.index_dir / gen
        hint = "run `searchsvc check` to see the damage, and `searchsvc index --rebuild`"
        report = integrity.verify(gen_dir, load_checksums(gen_dir), self.verify_full, self._hashed)
        self._hashed = report.right
        if not report.ok:
            raise IndexDamaged(f"index generation {gen} is damaged: {report.damaged[0]}", hint=hint)
        try:
            ix = w3.open_readonly(gen_dir)
            searcher = ix.searcher()
        except w3.UNREADABLE as e:
            raise IndexDamaged(f"index generation {gen} cannot be opened ({e})", hint=hint) from e
        if not same_schema(ix.schema):
            searcher.close()
            raise IndexDamaged(
                f"index generation {gen} was built by another version of searchsvc",
                hint="run `searchsvc index`: it rebuilds the index for this version",
            )
        try:
            state = ReaderState(gen, searcher, carried)
            problems = integrity.check_arrays(state)
        except w3.UNREADABLE as e:
            problems = [f"unreadable ({e})"]
        finally:
            searcher.close()
        if problems:
            raise IndexDamaged(f"index generation {gen} is damaged: {problems[0]}", hint=hint)
        return ix, state
