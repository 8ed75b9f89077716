"""The query log: every search as one JSON line beside the index.

A line holds the query as typed and normalised, the filters, the hit count as typed, the
engine's time, the page and when: never who asked (no address, no user agent, no header, no
key). Several worker processes append to one file: each line is one write() to a file opened
with O_APPEND, under an exclusive flock on a lock file that also serialises the size-based
rotation (10 MB x 5 files by default).
"""

from __future__ import annotations

import fcntl
import json
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from searchsvc.config import Settings
from searchsvc.contract import SearchPage, SearchRequest

LOG_FILES = 5  # the live file and 4 rotated ones (.1 newest .. .4 oldest)
MAX_QUERY_CHARS = 1000  # a longer query is logged cut to this
MAX_FILTER_VALUES = 10  # values of one filter logged


def log_path(settings: Settings) -> Path:
    """Return the query log file: SEARCHSVC_QUERY_LOG_PATH, else <index>.queries.jsonl beside it."""
    if settings.query_log_path:
        return Path(settings.query_log_path)
    index = Path(settings.index_dir).absolute()
    return index.with_name(f"{index.name}.queries.jsonl")


def normalise(q: str) -> str:
    """Return the form queries are grouped by: NFKC, case folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", q).casefold().split())


def entry(req: SearchRequest, page: SearchPage, via: str, now: datetime | None = None) -> dict:
    """Return the log line of one search (nothing about who asked)."""
    q = req.q[:MAX_QUERY_CHARS]
    filters: dict = {}
    if req.source:
        filters["source"] = list(req.source[:MAX_FILTER_VALUES])
    if req.tag:
        filters["tag"] = list(req.tag[:MAX_FILTER_VALUES])
    if req.date_from:
        filters["from"] = req.date_from.isoformat()
    if req.date_to:
        filters["to"] = req.date_to.isoformat()
    if req.include_undated:
        filters["undated"] = True
    corrected = getattr(page, "results_for", None)
    out = {
        "ts": stamp(now or datetime.now(UTC)),
        "q": q,
        "norm": normalise(q),
        "filters": filters,
        "sort": req.sort,
        "page": req.page,
        "hits": 0 if corrected else page.total,  # as typed: a correction's results are not its
        "took_ms": round(float(page.took_ms), 2),
        "via": via,
    }
    if corrected:
        out["shown_for"] = corrected[:MAX_QUERY_CHARS]
    return out


def stamp(when: datetime) -> str:
    """Return the time of a log line: UTC, milliseconds, sortable as text."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class QueryLog:
    """An append-only JSON Lines file rotated by size, safe for several appending processes."""

    def __init__(self, path: Path, max_bytes: int = 10 * 1024 * 1024, files: int = LOG_FILES):
        self.path = Path(path)
        self.max_bytes = max(1, max_bytes)
        self.files = max(1, files)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def rotated(self, n: int) -> Path:
        """Return the path of the n-th rotated file (1 is the newest)."""
        return self.path.with_name(f"{self.path.name}.{n}")

    @contextmanager
    def _locked(self):
        """Hold an exclusive lock shared by every process and thread writing this log."""
        if not self.lock_path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # one description per call
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, record: dict) -> None:
        """Append one record as one line, rotating first when the file would pass max_bytes."""
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._locked():
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(data) > self.max_bytes:
                self._rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(data)
                while view:  # one write() in practice; a short write continues, still locked
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)

    def _rotate(self) -> None:
        """Shift log -> .1 -> .2 ...; the oldest file beyond the kept number is dropped."""
        for n in range(self.files - 1, 0, -1):
            src = self.path if n == 1 else self.rotated(n - 1)
            if src.exists():
                os.replace(src, self.rotated(n))
        if self.files == 1:
            self.path.unlink(missing_ok=True)

    def read(self, since: datetime | None = None) -> Iterator[dict]:
        """Yield the logged searches, oldest first (only those at or after `since`)."""
        names = [self.rotated(n) for n in range(self.files - 1, 0, -1)] + [self.path]
        handles = []
        if self.path.parent.is_dir():
            with self._locked():  # open every file at one instant: a rotation cannot shift them
                for name in names:
                    with suppress(FileNotFoundError):
                        handles.append(open(name, "rb"))  # noqa: SIM115 (closed below)
        cutoff = stamp(since) if since else ""
        try:
            for handle in handles:
                for line in handle:
                    record = _parse(line)
                    if record is not None and record["ts"] >= cutoff:
                        yield record
        finally:
            for handle in handles:
                handle.close()


def _parse(line: bytes) -> dict | None:
    """Return one logged search, or None for a line that is not one (a torn or foreign line)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("ts"), str):
        return None
    return record
