"""The write-ahead log of API writes, which is also the durable store of API articles.

Layout, beside the generations of an index folder::

    index/wal/
      .append.lock       appenders' record lock, held while a record is written and fsynced
      log-000001.wal     records, appended in lock order; the highest number is written to
      snap-000004.wal    after compaction: the last record of each id of log files <= 4

A record is one line: an 8-digit hex CRC-32 and the length of its body, then the body, which is
a JSON header, a tab and the JSON payload (the article, or null for a deletion)::

    1f2e3d4c 0000000123 {"seq": 4398046511104, "op": "put", "id": "a-1", "t": 1760000000.1}\\t{...}

Its `seq` is its position: file number << 40 | byte offset, increasing forever (snapshots keep
the original seq of what they copy). Several processes append safely: each append takes the
record lock, cuts a torn tail left by a writer killed mid-write (never acknowledged), writes all
its records with one write and fsyncs before returning. Readers stop at the first incomplete or
damaged record. What is "applied" is a position recorded by the consumer (the generation's
manifest), never by the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from searchsvc.ingest.durable import fsync_dir

WAL_DIR = "wal"
LOCK = ".append.lock"
SHIFT = 40  # a seq is file number << SHIFT | offset
ROTATE_BYTES = 64 << 20  # start a new log file past this size
_PREFIX = 20  # "%08x %010d " before the body


@dataclass(frozen=True)
class Record:
    """One log record: position, operation, article id, time, and (when read) its payload."""

    seq: int
    end: int  # position just after this record (what a consumer records as applied)
    op: str  # "put" or "delete"
    id: str
    t: float
    payload: dict | None = None
    path: str = ""  # where it was read (fold): its file and offset there
    offset: int = 0


def _number(name: str, prefix: str) -> int | None:
    if name.startswith(prefix) and name.endswith(".wal"):
        digits = name[len(prefix) : -4]
        return int(digits) if digits.isdigit() else None
    return None


def encode(seq: int, op: str, article_id: str, payload: dict | None, t: float) -> bytes:
    """Return the bytes of one record."""
    head = json.dumps({"seq": seq, "op": op, "id": article_id, "t": round(t, 3)})
    body = (head + "\t" + json.dumps(payload, ensure_ascii=False)).encode("utf-8")
    return b"%08x %010d " % (zlib.crc32(body), len(body)) + body + b"\n"


def _scan(f, start: int, size: int, payload: bool) -> Iterator[tuple[int, int, dict, bytes]]:
    """Yield (offset, end, header, payload bytes or b"") of the complete records from start."""
    pos = start
    while pos + _PREFIX + 1 <= size:
        f.seek(pos)
        prefix = f.read(_PREFIX)
        try:
            crc, length = int(prefix[:8], 16), int(prefix[9:19])
        except ValueError:
            return
        end = pos + _PREFIX + length + 1
        if prefix[8:9] != b" " or prefix[19:20] != b" " or end > size:
            return
        if payload:
            body = f.read(length + 1)
            if body[-1:] != b"\n" or zlib.crc32(body[:-1]) != crc:
                return
            head, _, rest = body[:-1].partition(b"\t")
        else:
            f.seek(end - 1)
            if f.read(1) != b"\n":
                return
            f.seek(pos + _PREFIX)
            head, rest = f.read(min(length, 1024)).partition(b"\t")[0], b""
        try:
            header = json.loads(head)
        except ValueError:
            return
        yield pos, end, header, rest
        pos = end


class Log:
    """The write-ahead log of one index folder (created on the first append)."""

    _guards: ClassVar[dict[str, threading.Lock]] = {}
    _guards_lock = threading.Lock()

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.dir = Path(index_dir) / WAL_DIR
        # per process (a forked child makes its own, of its own kind: gevent's in web workers)
        key = f"{os.getpid()}:{self.dir.resolve()}"
        with Log._guards_lock:
            self._guard = Log._guards.setdefault(key, threading.Lock())
        self._checked: tuple[int, int] = (0, 0)  # (file number, offset known to end a record)
        self.rotate_bytes = ROTATE_BYTES

    def files(self) -> list[tuple[int, Path]]:
        """Return (number, path) of the log files, oldest first (snapshots not included)."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        found = [(_number(n, "log-"), n) for n in names]
        return sorted((n, self.dir / name) for n, name in found if n is not None)

    def snapshots(self) -> list[tuple[int, Path]]:
        """Return (number, path) of the compacted snapshots, oldest first."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        found = [(_number(n, "snap-"), n) for n in names]
        return sorted((n, self.dir / name) for n, name in found if n is not None)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the appenders' lock (threads of this process, then other processes)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._guard:
            fd = os.open(self.dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                while True:
                    try:
                        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError:
                        time.sleep(0.002)  # cooperative under gevent; appends are short
                yield
            finally:
                os.close(fd)  # drops the record lock

    def append(self, entries: list[tuple[str, str, dict | None]]) -> list[int]:
        """Append (op, id, payload) records durably (fsynced); return their seqs."""
        with self.locked():
            return self.append_locked(entries)

    def append_locked(self, entries: list[tuple[str, str, dict | None]]) -> list[int]:
        """`append` for a caller that already holds `locked()`."""
        if not entries:
            return []
        number, path, size = self._tail()
        if size >= self.rotate_bytes:
            number, path, size = number + 1, self.dir / f"log-{number + 1:06d}.wal", 0
        new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            now, chunks, seqs, pos = time.time(), [], [], size
            for op, article_id, payload in entries:
                seq = number << SHIFT | pos
                data = encode(seq, op, article_id, payload, now)
                chunks.append(data)
                seqs.append(seq)
                pos += len(data)
            blob = b"".join(chunks)
            written = os.pwrite(fd, blob, size)
            while written < len(blob):
                written += os.pwrite(fd, blob[written:], size + written)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync_dir(self.dir)
            fsync_dir(self.dir.parent)
        self._checked = (number, pos)
        return seqs

    def _tail(self) -> tuple[int, Path, int]:
        """Return (number, path, end of its last complete record) of the newest log file.

        A torn record after that end (a writer killed mid-write) is cut off. Caller holds the lock.
        """
        files = self.files()
        if not files:
            first = max([n for n, _ in self.snapshots()], default=0) + 1
            return first, self.dir / f"log-{first:06d}.wal", 0
        number, path = files[-1]
        size = path.stat().st_size
        known_number, known = self._checked
        start = known if known_number == number and known <= size else 0
        if start == size:
            return number, path, size
        end = start
        with open(path, "rb") as f:
            for record in _scan(f, start, size, payload=False):
                end = record[1]
        if end < size:
            os.truncate(path, end)
        self._checked = (number, end)
        return number, path, end

    def end(self) -> int:
        """Return the position after the last durable record (0 for an empty log)."""
        if not self.dir.is_dir():
            return 0
        with self.locked():
            return self.end_locked()

    def end_locked(self) -> int:
        """`end` for a caller that already holds `locked()`."""
        number, _, size = self._tail()
        return number << SHIFT | size

    def signature(self) -> tuple:
        """Return (name, size) of every log file: it changes whenever a record is appended."""
        return tuple((p.name, p.stat().st_size) for _, p in self.files())

    def read(self, start: int, stop: int | None = None, payload: bool = True) -> Iterator[Record]:
        """Yield the records from position `start` up to (not including) position `stop`."""
        first = start >> SHIFT
        for number, path in self.files():
            if number < first:
                continue
            offset = start & ((1 << SHIFT) - 1) if number == first else 0
            limit = None if stop is None else stop - (number << SHIFT)
            if limit is not None and limit <= 0:
                return
            try:
                f = open(path, "rb")  # noqa: SIM115 (a compaction may have removed it)
            except FileNotFoundError:
                continue
            with f:
                size = os.fstat(f.fileno()).st_size
                size = size if limit is None else min(size, limit)
                for pos, end, head, body in _scan(f, offset, size, payload):
                    seq = number << SHIFT | pos
                    yield _record(seq, number << SHIFT | end, head, body, path, pos)

    def fold(self, stop: int | None = None) -> dict[str, Record]:
        """Return the last record (header only) of every id before position `stop`."""
        last: dict[str, Record] = {}
        for _, path in self.snapshots():
            with open(path, "rb") as f:
                for pos, _, head, _ in _scan(f, 0, os.fstat(f.fileno()).st_size, False):
                    last[head["id"]] = _record(head["seq"], head["seq"], head, b"", path, pos)
        for rec in self.read(0, stop, payload=False):
            last[rec.id] = rec
        return last

    def payload(self, rec: Record) -> dict | None:
        """Return the payload of a record found by `fold` (read again from its file)."""
        with open(rec.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            for _, _, head, body in _scan(f, rec.offset, size, True):
                if head["seq"] == rec.seq:
                    return json.loads(body)
                break
        raise OSError(f"write-ahead log record {rec.seq} is missing or damaged in {rec.path}")

    def compact(self, applied: int) -> int:
        """Fold the log files wholly before position `applied` into one snapshot.

        Keeps the last record of every id (deletions too: they may hide a corpus article),
        copied byte for byte. Run by the holder of the index's writer lock only; appenders and
        readers of positions at or after `applied` are not affected. Returns files removed.
        """
        old_logs = [(n, p) for n, p in self.files() if n < applied >> SHIFT]
        if not old_logs:
            return 0
        top = old_logs[-1][0]
        old = [*self.snapshots(), *old_logs]
        last = self.fold(stop=(top + 1) << SHIFT)
        tmp = self.dir / f"snap-{top:06d}.wal.tmp"
        with open(tmp, "wb") as out:
            for rec in sorted(last.values(), key=lambda r: r.seq):
                with open(rec.path, "rb") as f:
                    f.seek(rec.offset)
                    length = int(f.read(_PREFIX)[9:19])
                    f.seek(rec.offset)
                    out.write(f.read(_PREFIX + length + 1))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.dir / f"snap-{top:06d}.wal")
        fsync_dir(self.dir)
        for _, path in old:
            if path.name != f"snap-{top:06d}.wal":
                path.unlink(missing_ok=True)
        fsync_dir(self.dir)
        return len(old)

    def size(self) -> int:
        """Return the bytes the log and its snapshots take."""
        return sum(p.stat().st_size for _, p in [*self.snapshots(), *self.files()])


def _record(seq: int, end: int, head: dict, body: bytes, path="", offset: int = 0) -> Record:
    payload = json.loads(body) if body else None
    t = float(head.get("t", 0))
    return Record(seq, end, head["op"], head["id"], t, payload, str(path), offset)
