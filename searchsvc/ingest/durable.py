"""One writer at a time, files replaced so a crash leaves the old or the new one, and Ctrl-C.

Both backends keep their bookkeeping (manifest, CURRENT pointer) in the local index folder and
guard it with the same writer lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from pathlib import Path

from searchsvc.errors import IndexBusy, IndexWriteError

LOCK_FILE = ".write.lock"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry table to disk (renames inside it become durable)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Replace path with text atomically and durably (temp file, fsync, rename, fsync dir)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


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


def _read_pid(fd: int) -> int | None:
    """Return the pid the lock holder wrote into the lock file (read through our own fd)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


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
