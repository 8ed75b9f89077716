"""Live writes on the Whoosh index: the write-ahead log applied as small generations.

A write is durable once its record is fsynced in the log (ingest/wal.py); the web worker then
answers. The holder of the index's WriteLock applies the pending records, those after the
position the live generation's manifest records as applied, as the next generation: a
hard-linked copy of the live one, the ids deleted, the put articles added as one small segment
(tiered merging, engine/merging.py), `wal.applied` moved to the log's end, CURRENT switched.
Readers follow CURRENT on their next request. Who holds the lock: the applier process that
`searchsvc serve` runs (batches what arrived within ~200 ms), or `searchsvc index`/`watch`,
which apply the pending records within their own run.

The log is also the store of API articles: `searchsvc index --rebuild` reads every id's last
record back. An API write of a corpus article's id hides that article until its file changes:
each file's manifest entry records `since`, the log position when that version of the file was
read, and the later of the two wins (a record at or after `since` wins over the file).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from searchsvc.engine import merging, w3
from searchsvc.engine.building import build_next
from searchsvc.engine.generations import (
    applied_position,
    load_data,
    read_current,
    remove_leftovers,
)
from searchsvc.engine.schema import articles_to_docs
from searchsvc.errors import IndexBusy, SearchsvcError
from searchsvc.ingest.apiarticle import from_payload
from searchsvc.ingest.durable import WriteLock
from searchsvc.ingest.wal import Log, Record

LIVE_LIMIT_MB = 64  # writer budget of a live commit (its batches are small)
POLL_S = 0.02  # how often the applier looks at the log
QUIET_S = 0.05  # a burst is over when the log did not grow for this long...
WINDOW_S = 0.2  # ...or this long after its first record: then it is applied


def apply_pending(index_dir: str | os.PathLike) -> int:
    """Apply the log records the live generation lacks; return how many (hold the WriteLock)."""
    index_dir = Path(index_dir)
    log = Log(index_dir)
    if not log.dir.is_dir():
        return 0
    current = read_current(index_dir)
    data = load_data(index_dir / current) if current else {"files": {}}
    applied, end = applied_position(data), log.end()
    if end <= applied:
        return 0
    last: dict[str, Record] = {}
    count = 0
    for rec in log.read(applied, end):
        last.pop(rec.id, None)  # keep log order among the ids
        last[rec.id] = rec
        count += 1
    if not count:
        return 0
    remove_leftovers(index_dir)  # a killed applier's half-built generation

    def fill(ix) -> tuple[int, dict]:
        before = ix.doc_count()
        writer = w3.writer(ix, procs=1, limitmb=LIVE_LIMIT_MB)
        try:
            deleted = sum(writer.delete_by_term("id", i) or 0 for i in last)
            puts = [from_payload(r.id, r.payload) for r in last.values() if r.op == "put"]
            writer.add_many(puts, articles_to_docs)
            policy, _ = merging.merge_small(writer, len(puts))
            writer.commit(mergetype=policy, merge=False)
        except BaseException:
            writer.cancel()
            raise
        manifest = {"files": data.get("files", {}), "wal": {"applied": end}}
        return before - deleted + len(puts), manifest

    build_next(index_dir, current, fill)
    if len(log.files()) > 1:
        log.compact(end)
    return count


def apply_if_free(index_dir: str | os.PathLike) -> int | None:
    """Apply pending records if no other writer holds the lock; None when one does."""
    try:
        with WriteLock(Path(index_dir), timeout=0.0):
            return apply_pending(index_dir)
    except IndexBusy:
        return None


def run_applier(index_dir: str | os.PathLike, should_stop=lambda: False) -> None:
    """Apply log records as they arrive, batching bursts, until should_stop() is true."""
    log = Log(index_dir)
    applied_sig = None
    while not should_stop():
        sig = _signature(log)
        if sig == applied_sig:
            time.sleep(POLL_S)
            continue
        start = changed = time.monotonic()
        while time.monotonic() - start < WINDOW_S and time.monotonic() - changed < QUIET_S:
            time.sleep(POLL_S)
            now_sig = _signature(log)
            if now_sig != sig:
                sig, changed = now_sig, time.monotonic()
        try:
            if apply_if_free(index_dir) is None:
                time.sleep(0.1)  # `searchsvc index` is writing; it applies what it finds
                continue
            applied_sig = sig
        except SearchsvcError as err:
            print(f"searchsvc applier: {err.message}", file=sys.stderr, flush=True)
            time.sleep(1.0)


def _signature(log: Log) -> tuple:
    try:
        return log.signature()
    except OSError:
        return ()


def main(argv: list[str] | None = None) -> None:
    """Run the applier of an index folder (started by `searchsvc serve`) until SIGTERM."""
    import ctypes

    args = sys.argv[1:] if argv is None else argv
    index_dir, parent = Path(args[0]), int(args[1]) if len(args) > 1 else None
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))

    def should_stop() -> bool:
        return bool(stopping) or (parent is not None and os.getppid() != parent)

    run_applier(index_dir, should_stop)


if __name__ == "__main__":
    main()
