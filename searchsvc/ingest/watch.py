"""`searchsvc watch`: keep the index up to date with a corpus folder as files change.

watchdog (inotify on Linux) reports every change below the corpus folder; a burst of changes
(a copy of many files, an editor's save dance) is batched until the folder has been quiet for
`quiet` seconds, at most `burst` seconds, then one incremental `index` run (the usual one:
one writer at a time, build aside, atomic switch) picks up what was added, changed and removed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from searchsvc.errors import IndexBusy, SearchsvcError
from searchsvc.ingest.plan import IndexSummary

QUIET_S = 0.25
BURST_S = 1.0
LOCK_WAIT_S = 30.0  # a live-write commit holds the writer lock for a moment
IGNORED_EVENTS = ("opened", "closed_no_write")


class _Changes(FileSystemEventHandler):
    """Wake the watcher on any change in the corpus (except inside the index folder)."""

    def __init__(self, wake: threading.Event, ignore: Path) -> None:
        self.wake, self.ignore = wake, str(ignore.resolve())

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Note a change (reads and the index's own files are not changes)."""
        if event.event_type in IGNORED_EVENTS:
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if all(not p or str(p).startswith(self.ignore) for p in paths):
            return
        self.wake.set()


def watch_corpus(
    corpus: Path,
    index_dir: Path,
    index: Callable[[], IndexSummary],
    report: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Run `index` once, then after every burst of changes, until stop is set or Ctrl-C.

    `index` is one incremental index run of the chosen backend (it should wait up to
    LOCK_WAIT_S for the writer lock: a live-write commit holds it for a moment).
    """
    stop = stop or threading.Event()
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise SearchsvcError(f"corpus folder not found: {corpus}")
    wake = threading.Event()
    observer = Observer()
    observer.schedule(_Changes(wake, Path(index_dir)), str(corpus), recursive=True)
    observer.start()
    try:
        _run(index, report)
        report(f"watching {corpus} (Ctrl-C stops)")
        while not stop.is_set():
            if not wake.wait(0.2):
                continue
            start = time.monotonic()
            while time.monotonic() - start < BURST_S:
                wake.clear()
                if not wake.wait(QUIET_S):
                    break
            wake.clear()
            if not _run(index, report):
                wake.set()  # busy: try again
                time.sleep(1.0)
    finally:
        observer.stop()
        observer.join()


def _run(index: Callable[[], IndexSummary], report: Callable[[str], None]) -> IndexSummary | None:
    """Run one incremental index and report it; None when the writer lock stayed busy."""
    try:
        summary = index()
    except IndexBusy as err:
        report(f"busy: {err.message}")
        return None
    for skip in summary.skipped:
        report(f"skipped {skip['path']}: {skip['reason']}")
    report(str(summary))
    return summary
