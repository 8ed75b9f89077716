"""Bulk segments built by several worker processes (forked; each writes its own segments).

The parent keeps everything that needs one view of the index (reading files in path order,
duplicate ids, deletions, merging, the TOC) and sends batches of documents round-robin to the
workers; each worker runs a SegmentBuilder and returns the segments it wrote. Workers die with the
parent (PR_SET_PDEATHSIG) and are killed on cancel, so a killed indexer leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterable

from whoosh.filedb.filestore import FileStorage

from searchsvc.engine.w3.bulkwrite import SegmentBuilder
from searchsvc.engine.w3.segwriter import TOKENS_PER_MB, BulkWriter
from searchsvc.errors import IndexWriteError

BATCH_DOCS = 200  # most documents per message to a worker (a message holds one file's at most)
_PR_SET_PDEATHSIG = 1


def _work(conn, folder: str, indexname: str, schema, codec, limit_tokens: int, parent: int):
    """Worker process: build segments from the batches received until None, send them back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    builder = SegmentBuilder(schema, FileStorage(folder), indexname, codec, limit_tokens)
    segments = []
    # The build makes millions of small tuples and lists but no garbage cycles worth a scan: the
    # collector's passes cost ~7% of a worker's CPU. Collected once per segment instead.
    gc.freeze()
    gc.disable()
    try:
        while (message := conn.recv()) is not None:
            to_docs, batch = message
            for doc in batch if to_docs is None else to_docs(batch):
                if builder.add(doc):
                    segments.append(builder.flush())
                    gc.collect()
        last = builder.flush()
        conn.send(("ok", [*segments, *([last] if last is not None else [])]))
    except OSError as e:
        conn.send(("oserror", (e.errno, e.strerror, e.filename)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
        os._exit(0)


class ParallelBulkWriter(BulkWriter):
    """A BulkWriter whose added documents are built into segments by `procs` worker processes."""

    def __init__(self, ix, procs: int = 2, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        ctx = multiprocessing.get_context("fork")
        self.workers: list = []
        self.batch: list = []
        self.to_docs: Callable[[list], list[dict]] | None = None
        self._sent = [0] * procs  # documents sent to each worker
        folder = self.storage.folder
        for _ in range(procs):
            mine, theirs = ctx.Pipe()
            args = (theirs, folder, self.indexname, self.schema, self.codec)
            limit = max(1, limitmb // procs) * TOKENS_PER_MB
            proc = ctx.Process(target=_work, args=(*args, limit, os.getpid()), daemon=True)
            # SIGINT stays pending during the fork: delivered in Python's at-fork hooks, its
            # KeyboardInterrupt would be printed and ignored, and the build would go on.
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                proc.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
            theirs.close()  # a dead worker then shows as a broken pipe here
            self.workers.append((proc, mine))

    def add_document(self, **fields) -> None:
        """Queue a document for the next worker (sent in batches)."""
        self.add_many([fields], None)

    def add_many(self, items: Iterable, to_docs: Callable[[list], list[dict]] | None) -> None:
        """Queue items for the workers, which add the documents `to_docs(batch)` gives (a
        module-level function: one document per item, converted a batch at a time)."""
        self._check_state()
        if to_docs is not self.to_docs:
            self._send_batch()
            self.to_docs = to_docs
        for item in items:
            self.batch.append(item)
            if len(self.batch) >= BATCH_DOCS:
                self._send_batch()
        if to_docs is not None:  # a file's articles: a batch ends with them
            self._send_batch()

    def _send_batch(self) -> None:
        if self.batch:
            self._send((self.to_docs, self.batch), len(self.batch))
            self.batch = []

    def _send(self, message, ndocs: int = 0) -> None:
        """Send to the worker that was sent the fewest documents so far."""
        k = self._sent.index(min(self._sent))
        self._sent[k] += ndocs
        conn = self.workers[k][1]
        try:
            conn.send(message)
        except OSError:
            raise self._error_of(conn) from None

    def _failed(self) -> IndexWriteError:
        return IndexWriteError(
            f"cannot write the index in {os.path.dirname(self.storage.folder)}: "
            "a writer process failed (its error is above)",
            hint="the previous index is still live; fix the cause and run again",
        )

    def _error_of(self, conn) -> BaseException:
        """Return the error a worker that stopped reading reported, if it had time to."""
        try:
            status, payload = conn.recv() if conn.poll() else ("", "")
        except (EOFError, OSError):
            status, payload = "", ""
        return self._error_of_message(status, payload)

    def _error_of_message(self, status: str, payload) -> BaseException:
        """OSError for a worker's OS error (reported like the parent's), else a write error."""
        if status == "oserror":
            return OSError(*payload)
        if payload:
            print(payload, file=sys.stderr, flush=True)  # the worker's traceback
        return self._failed()

    def _collect(self) -> list:
        """Tell every worker to finish; return all their segments (raise on a failure)."""
        self._send_batch()
        for _, conn in self.workers:
            try:
                conn.send(None)
            except OSError:
                raise self._error_of(conn) from None
        segments = []
        for proc, conn in self.workers:
            while not conn.poll(0.2):
                if not proc.is_alive():
                    raise self._failed()
            try:
                status, payload = conn.recv()
            except (EOFError, OSError):
                raise self._failed() from None
            if status != "ok":
                raise self._error_of_message(status, payload)
            segments += payload
        for proc, _ in self.workers:
            proc.join()
        return segments

    def commit(self, mergetype=None, optimize=None, merge=None, extra=()) -> None:
        """Collect the workers' segments, then commit them with the rest."""
        self._check_state()
        try:
            segments = self._collect()
        finally:
            self._stop()
        super().commit(mergetype, optimize, merge, extra=[*segments, *extra])

    def cancel(self) -> None:
        """Kill the workers, then cancel as BulkWriter does."""
        self._stop()
        if not self.is_closed:
            super().cancel()

    def _stop(self) -> None:
        for proc, conn in self.workers:
            if proc.is_alive():
                proc.kill()
            proc.join()
            conn.close()
        self.workers = []
