"""The on-disk index: generation directories, the CURRENT pointer, the writer lock, safe writing.

Layout of an index directory::

    index/
      CURRENT          name of the live generation ("gen-000007\\n"), replaced atomically
      .write.lock      writer lock (POSIX record lock) holding the writer's pid
      gen-000007/      a complete Whoosh index plus manifest.json
      gen-000006/      the previous generation, kept for a grace period for open searchers
      gen-000008.tmp/  a build in progress (or a killed build's leftover, removed by the next run)

A generation is never modified once CURRENT points to it: a writer builds the next generation aside,
fsyncs it, renames it into place and only then switches CURRENT, so a crash at any moment leaves the
previous generation live and complete, and a Ctrl-C before the rename abandons the build (CtrlC).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from searchsvc.errors import IndexBusy, IndexWriteError

CURRENT = "CURRENT"
LOCK_FILE = ".write.lock"
MANIFEST = "manifest.json"
GEN_PREFIX = "gen-"
TMP_SUFFIX = ".tmp"

# A generation that stopped being live is deleted after this long (the previous one is always kept).
GENERATION_GRACE_S = 60.0


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
        except OSError as exc:
            self._thread_lock.release()
            raise IndexWriteError(
                f"cannot write the index in {self.path.parent}: {exc.strerror or exc}",
                hint="check that the index folder is writable (permissions, read-only disk)",
            ) from None
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


class CtrlC:
    """Ctrl-C (SIGINT) in the main thread raises KeyboardInterrupt, and is also remembered.

    CPython runs a signal handler at the next bytecode of the main thread. When that bytecode is
    a finalizer's (a __del__, a weakref callback such as the import system's module locks', a gc
    callback), the KeyboardInterrupt is printed as "Exception ignored in ..." and dropped: the
    build went on, switched to the new generation and exited 0. `check()` raises it again; a
    handler someone else installed (or SIG_IGN) is left alone.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous = None

    def __enter__(self) -> CtrlC:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.pressed = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C was pressed, even when a finalizer swallowed it."""
        if self.pressed:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def _read_pid(fd: int) -> int | None:
    """Return the pid the lock holder wrote into the lock file (read through our own fd)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def link_copy(src: Path, dst: Path) -> None:
    """Copy a generation by hard links (Whoosh never rewrites a segment file in place)."""
    dst.mkdir()
    for p in src.iterdir():
        if p.name == MANIFEST or p.name.endswith("WRITELOCK") or not p.is_file():
            continue
        try:
            os.link(p, dst / p.name)
        except OSError:
            shutil.copy2(p, dst / p.name)


def remove_leftovers(index_dir: Path) -> None:
    """Delete builds a killed run left behind: *.tmp dirs and generations newer than CURRENT."""
    current = read_current(index_dir)
    live = gen_number(current) if current else 0
    for p in index_dir.iterdir():
        n = gen_number(p.name)
        if n is not None and (p.name.endswith(TMP_SUFFIX) or n > live):
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".CURRENT."):
            p.unlink(missing_ok=True)


def prune(index_dir: Path, live: str) -> None:
    """Delete generations older than the previous one once their grace period is over."""
    gens = sorted(
        (gen_number(p.name), p)
        for p in index_dir.iterdir()
        if gen_number(p.name) is not None and not p.name.endswith(TMP_SUFFIX)
    )
    now = time.time()
    for (_, p), (_, successor) in itertools.pairwise(gens):
        if successor.name == live or p.name == live:
            continue
        try:
            retired_for = now - (successor / MANIFEST).stat().st_mtime
        except OSError:
            retired_for = GENERATION_GRACE_S
        if retired_for >= GENERATION_GRACE_S:
            shutil.rmtree(p, ignore_errors=True)


def write_error(e: OSError, index_dir: Path) -> IndexWriteError:
    """Turn an OS error while writing into a clear IndexWriteError."""
    hints = {
        errno.ENOSPC: "free some disk space and run `searchsvc index` again",
        errno.EDQUOT: "free some disk space and run `searchsvc index` again",
        errno.EACCES: f"check that you may write to {index_dir}",
        errno.EPERM: f"check that you may write to {index_dir}",
        errno.EROFS: f"{index_dir} is on a read-only file system",
    }
    return IndexWriteError(
        f"cannot write the index in {index_dir}: {e.strerror or e}",
        hint=hints.get(e.errno, "the previous index is still live; fix the cause and run again"),
    )
