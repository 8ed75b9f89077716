"""Build the next index generation aside and switch CURRENT to it (caller holds the WriteLock).

Shared by `searchsvc index` (engine/indexer.py) and the live-write applier (engine/live.py):
generation N+1 starts as a hard-linked copy of the live one (or empty), `fill` writes the
changes through one writer, the document count is checked, every file is checksummed (files
linked from N keep N's digests) and fsynced, and only then is CURRENT switched.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from searchsvc.engine import w3
from searchsvc.engine.generations import (
    MANIFEST,
    TMP_SUFFIX,
    link_copy,
    load_checksums,
    next_name,
    prune,
    switch_current,
    write_error,
)
from searchsvc.engine.integrity import checksums
from searchsvc.engine.schema import build_schema
from searchsvc.errors import IndexWriteError
from searchsvc.ingest.durable import fsync_dir

# fill(ix) writes the changes and returns (expected document count, manifest data without checksums)
Fill = Callable[[object], tuple[int, dict]]


def build_next(
    index_dir: Path,
    src: str | None,
    fill: Fill,
    before_switch: Callable[[], None] | None = None,
) -> tuple[str, int]:
    """Write the next generation (a copy of `src` plus fill's changes, or from scratch).

    Returns (its name, its document count) once CURRENT points at it. `before_switch` runs
    last before the rename (the indexer's Ctrl-C check: raising there abandons the build).
    """
    index_dir = Path(index_dir)
    new = next_name(index_dir)
    tmp = index_dir / (new + TMP_SUFFIX)
    source = None if src is None else index_dir / src
    try:
        if source is None:
            tmp.mkdir()
            ix = w3.create(tmp, build_schema())
        else:
            link_copy(source, tmp)
            ix = w3.open_writable(tmp)
        expected, data = fill(ix)
        documents = ix.doc_count()
        if documents != expected:
            raise IndexWriteError(
                f"the new index holds {documents} documents, expected {expected}",
                hint="the previous index is still live; run `searchsvc index --rebuild`",
            )
        w3.merge_term_arrays(tmp)  # one set of term arrays over the big segments
        old = load_checksums(source) if source is not None else None
        data = {"version": 2, **data, "checksums": checksums(tmp, source, old)}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            # dumps, not dump: json.dump encodes in Python (dumps in C), 1.3 s a write at x20
            f.write(json.dumps(data, separators=(",", ":")))
        for p in tmp.iterdir():
            if p.is_file() and not _linked(p, source):
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(tmp)
        if before_switch is not None:
            before_switch()
        os.rename(tmp, index_dir / new)
        fsync_dir(index_dir)
        switch_current(index_dir, new)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(e, index_dir) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(index_dir, new)
    return new, documents


def _linked(path: Path, source: Path | None) -> bool:
    """Return True when path is a hard link of the same file in source (already durable)."""
    if source is None or path.name == MANIFEST:
        return False
    try:
        return os.stat(source / path.name).st_ino == path.stat().st_ino
    except OSError:
        return False
