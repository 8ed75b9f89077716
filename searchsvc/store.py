"""The on-disk index: generation directories, the CURRENT pointer, the writer lock, the searcher.

Layout of an index directory::

    index/
      CURRENT          name of the live generation ("gen-000007\\n"), replaced atomically
      .write.lock      writer lock (POSIX record lock) holding the writer's pid
      gen-000007/      a complete Whoosh index plus manifest.json
      gen-000006/      the previous generation, kept for a grace period for open searchers
      gen-000008.tmp/  a build in progress (or a killed build's leftover, removed by the next run)

A generation is never modified once CURRENT points to it: a writer builds the next generation aside,
fsyncs it, renames it into place and only then switches CURRENT, so a crash at any moment leaves the
previous generation live and complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.searching import Searcher

from .errors import IndexBusy, IndexMissing
from .schema import build_schema

CURRENT = "CURRENT"
LOCK_FILE = ".write.lock"
MANIFEST = "manifest.json"
GEN_PREFIX = "gen-"
TMP_SUFFIX = ".tmp"
# A replaced searcher stays open this long, so a request still using it can finish.
SEARCHER_GRACE_S = 60.0


def gen_name(number: int) -> str:
    """Return the directory name of generation `number`."""
    return f"{GEN_PREFIX}{number:06d}"


def gen_number(name: str) -> int | None:
    """Return the number of a generation directory name, or None for anything else."""
    if not name.startswith(GEN_PREFIX):
        return None
    digits = name[len(GEN_PREFIX) :].removesuffix(TMP_SUFFIX)
    return int(digits) if digits.isdigit() else None


def read_current(index_dir: Path) -> str | None:
    """Return the live generation name, or None when there is no (complete) index."""
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if gen_number(name) is None or name.endswith(TMP_SUFFIX):
        return None
    return name if (Path(index_dir) / name).is_dir() else None


def fsync_dir(path: Path) -> None:
    """Flush a directory entry table to disk (renames inside it become durable)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at generation `name` atomically (temp file, fsync, os.replace, fsync dir)."""
    index_dir = Path(index_dir)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_dir(index_dir)


def load_manifest(gen_dir: Path) -> dict:
    """Return the manifest of a generation: corpus-relative path -> {size, mtime_ns, sha, ids}."""
    with open(Path(gen_dir) / MANIFEST, encoding="utf-8") as f:
        return json.load(f)["files"]


_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


class WriteLock:
    """One writer per index directory: a POSIX record lock on .write.lock plus a per-process lock.

    The kernel drops a record lock when its process dies, so a writer killed with -9 never leaves
    a stale lock. Record locks (lockf) rather than flock: forked Whoosh worker processes do not
    inherit them, so an orphaned worker cannot keep the index locked.
    """

    def __init__(self, index_dir: Path, timeout: float = 0.0) -> None:
        self.path = Path(index_dir) / LOCK_FILE
        self.timeout = timeout
        self._fd: int | None = None
        with _PROCESS_LOCKS_GUARD:
            key = str(self.path.resolve())
            self._thread_lock = _PROCESS_LOCKS.setdefault(key, threading.Lock())

    def __enter__(self) -> WriteLock:
        deadline = time.monotonic() + max(self.timeout, 0.0)
        if not self._thread_lock.acquire(timeout=max(self.timeout, 0.0)):
            raise self._busy(os.getpid())
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            self._thread_lock.release()
            raise
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    self._thread_lock.release()
                    raise self._busy(holder) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the record lock
            self._thread_lock.release()

    def _busy(self, pid: int | None) -> IndexBusy:
        who = f"pid {pid}" if pid else "another process"
        return IndexBusy(
            f"another searchsvc index ({who}) is writing {self.path.parent}",
            hint="wait for it to finish, or pass a longer lock timeout (--wait SECONDS)",
        )


def _read_pid(fd: int) -> int | None:
    """Return the pid the lock holder wrote into the lock file (read through our own fd)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


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
                ix = whoosh_index.open_dir(str(self.index_dir / gen))
            except (OSError, whoosh_index.EmptyIndexError) as e:
                raise IndexMissing(
                    f"the index in {self.index_dir} cannot be opened ({e})",
                    hint="run `searchsvc index --rebuild`",
                ) from e
            self._retired.extend((now, s) for _, s in self._searchers.values())
            self._searchers.clear()
            self._index, self._gen = ix, gen
        self._stamp = stamp


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
