"""Build or update the Whoosh index from a corpus folder, crash-safely, one writer at a time.

ingest/plan.py decides what changed since the live generation; the new generation is built
aside (hard-linked copy of the live one plus the changes, or from scratch) and switched in
atomically (generations.py). Added articles go through the bulk segment writer (engine/w3/),
or Whoosh's own writer with `bulk=False` (SEARCHSVC_BULK_WRITER=0); both rank the same.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from searchsvc.engine import w3
from searchsvc.engine.generations import (
    MANIFEST,
    TMP_SUFFIX,
    gen_name,
    gen_number,
    link_copy,
    load_checksums,
    load_manifest,
    prune,
    read_current,
    remove_leftovers,
    switch_current,
    write_error,
)
from searchsvc.engine.integrity import checksums, verify
from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.errors import IndexWriteError, SearchsvcError
from searchsvc.ingest.durable import CtrlC, WriteLock, fsync_dir
from searchsvc.ingest.plan import IndexSummary, Progress, accept_file, plan_changes

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
PARALLEL_MIN_BYTES = 4 << 20  # smaller batches are not worth starting writer processes for
# Memory budget of a build's bulk segment builders, split between writer processes: a builder
# writes a segment whenever its tokens reach its share (~150 bytes per token at flush), so memory
# stays bounded for any corpus size; 768 MB builds Reuters (~4.1M tokens) as one segment per worker
# (~360 MB RSS each).
LIMIT_MB = 768


def index_corpus(
    corpus_dir: str | os.PathLike,
    index_dir: str | os.PathLike,
    *,
    rebuild: bool = False,
    procs: int = 0,
    progress: Progress | None = None,
    lock_timeout: float = 0.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    bulk: bool = True,
    follow_links: bool = False,
) -> IndexSummary:
    """Bring the index in `index_dir` up to date with `corpus_dir` and switch to it atomically."""
    start = time.monotonic()
    corpus, index_dir = Path(corpus_dir), Path(index_dir)
    if not corpus.is_dir():
        raise SearchsvcError(f"corpus folder not found: {corpus}")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(e, index_dir) from e
    with CtrlC() as ctrl_c, WriteLock(index_dir, timeout=lock_timeout):
        remove_leftovers(index_dir)
        current = read_current(index_dir)
        old = {} if rebuild or current is None else _usable_manifest(index_dir / current)
        if old is None:
            old, rebuild = {}, True
        summary = IndexSummary()
        plan = plan_changes(corpus, old, summary, follow_links=follow_links)
        if not plan.changed and current is not None and not rebuild:
            summary.documents = sum(len(e["ids"]) for e in old.values())
            if progress is not None:
                progress(len(plan.files), len(plan.files), "")
        else:
            number = 1 + max([gen_number(p.name) or 0 for p in index_dir.iterdir()], default=0)
            new = gen_name(number)
            src = None if rebuild or current is None else index_dir / current
            options = (procs, max_bytes, bulk, follow_links, ctrl_c)
            tick = _checking(ctrl_c, progress)  # a Ctrl-C a finalizer swallowed stops at a file
            _build(corpus, index_dir, src, new, plan, summary, tick, options)
            prune(index_dir, new)
    summary.seconds = round(time.monotonic() - start, 3)
    written = sum(len(plan.manifest.get(p, {}).get("ids", ())) for p in plan.to_read)
    summary.docs_per_s = round(written / summary.seconds, 1) if summary.seconds else 0.0
    return summary


def _build(corpus, index_dir, src, new, plan, summary, progress, options):
    """Write generation `new` aside (a copy of `src` plus changes, or from scratch), then switch."""
    tmp = index_dir / (new + TMP_SUFFIX)
    try:
        if src is None:
            tmp.mkdir()
            ix = w3.create(tmp, build_schema())
        else:
            link_copy(src, tmp)
            ix = w3.open_writable(tmp)
        expected = _write(ix, corpus, plan, summary, progress, options, fresh=src is None)
        summary.documents = ix.doc_count()
        if summary.documents != expected:
            raise IndexWriteError(
                f"the new index holds {summary.documents} documents, expected {expected}",
                hint="the previous index is still live; run `searchsvc index --rebuild`",
            )
        sums = checksums(tmp, src, load_checksums(src) if src is not None else None)
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            data = {"version": 2, "files": plan.manifest, "checksums": sums}
            json.dump(data, f, separators=(",", ":"))
        for p in tmp.iterdir():
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(tmp)
        options[-1].check()  # the last moment a Ctrl-C abandons the build
        os.rename(tmp, index_dir / new)
        fsync_dir(index_dir)
        switch_current(index_dir, new)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(e, index_dir) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write(ix, corpus, plan, summary, progress, options, fresh: bool) -> int:
    """Delete stale paths, add the articles of the files to read; return the expected doc count."""
    procs, max_bytes, bulk, follow_links, _ = options
    n = procs_for(procs, sum(plan.manifest[r]["size"] for r in plan.to_read))
    writer = w3.writer(ix, procs=n, limitmb=LIMIT_MB, bulk=bulk)
    try:
        for rel in plan.to_delete:  # by path, and by id in case a reader named the path otherwise
            writer.delete_by_term("path", rel)
            for i in plan.old_ids.get(rel, ()):
                writer.delete_by_term("id", i)
        reading, replacing = set(plan.to_read), set(plan.to_delete)
        owners = {
            i: rel for rel, e in plan.manifest.items() if rel not in reading for i in e["ids"]
        }
        for done, rel in enumerate(plan.files, 1):
            if rel in reading:
                old_ids = plan.old_ids.get(rel, []) if rel in replacing else None
                accepted = accept_file(
                    corpus,
                    rel,
                    plan.manifest[rel],
                    owners,
                    summary,
                    max_bytes=max_bytes,
                    old_ids=old_ids,
                    follow_links=follow_links,
                )
                writer.add_many(accepted, article_to_doc)
            if progress is not None:
                progress(done, len(plan.files), rel)
        writer.commit(merge=not fresh)
    except BaseException:
        writer.cancel()
        raise
    return len(owners)


def _checking(ctrl_c: CtrlC, progress: Progress | None) -> Progress:
    """Return a progress callback that first aborts the build if Ctrl-C was pressed."""

    def tick(done: int, total: int, rel: str) -> None:
        ctrl_c.check()
        if progress is not None:
            progress(done, total, rel)

    return tick


def procs_for(procs: int, nbytes: int) -> int:
    """Return the writer process count: `procs`, or for 0 two or more for big batches.

    Reuters with the bulk segment builder: 1 process ~20 CPU s; 2 workers ~18 CPU s between them
    while the parent reads and parses (~2 CPU s), so about half the wall time on 2 free cores.
    """
    if procs > 0:
        return procs
    cores = os.cpu_count() or 1
    return min(4, max(2, cores - 1)) if cores >= 2 and nbytes >= PARALLEL_MIN_BYTES else 1


def _usable_manifest(gen_dir: Path) -> dict | None:
    """Return the manifest of a generation; None if damaged, unreadable or of another schema."""
    if not verify(gen_dir, load_checksums(gen_dir), full=False).ok:
        return None  # damaged: build the next generation from scratch
    try:
        manifest = load_manifest(gen_dir)
        schema = w3.open_readonly(gen_dir).schema
    except w3.UNREADABLE:
        return None
    return manifest if sorted(schema.names()) == sorted(build_schema().names()) else None
