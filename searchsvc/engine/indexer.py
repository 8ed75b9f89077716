"""Build or update the Whoosh index from a corpus folder, crash-safely, one writer at a time.

ingest/plan.py decides what changed since the live generation; the new generation is built
aside (hard-linked copy of the live one plus the changes, or from scratch) and switched in
atomically (generations.py). Added articles go through the bulk segment writer (engine/w3/),
or Whoosh's own writer with `bulk=False` (SEARCHSVC_BULK_WRITER=0); both rank the same.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from searchsvc.engine import merging, w3
from searchsvc.engine.building import build_next
from searchsvc.engine.generations import (
    applied_position,
    load_checksums,
    load_data,
    read_current,
    remove_leftovers,
    write_error,
)
from searchsvc.engine.integrity import verify
from searchsvc.engine.live import apply_pending
from searchsvc.engine.schema import articles_to_docs, same_schema
from searchsvc.errors import SearchsvcError
from searchsvc.ingest.apistore import ApiView
from searchsvc.ingest.durable import CtrlC, WriteLock
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
    """Bring the index in `index_dir` up to date with `corpus_dir` and switch to it atomically.

    Articles written through the API (the write-ahead log) are kept, on a rebuild too; records
    still pending are applied by the same run.
    """
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
        previous = None if current is None else _usable_data(index_dir / current)
        rebuild = rebuild or previous is None
        old = {} if rebuild else previous["files"]
        summary = IndexSummary()
        plan = plan_changes(corpus, old, summary, follow_links=follow_links)
        api = ApiView.snapshot(index_dir, 0 if rebuild else applied_position(previous))
        if not plan.changed and not rebuild and not api.pending:
            summary.documents = api.expected(plan.manifest)
            if progress is not None:
                progress(len(plan.files), len(plan.files), "")
        else:
            known = (previous or {}).get("files", {}) if rebuild else {}
            options = (procs, max_bytes, bulk, follow_links)

            tick = _checking(ctrl_c, progress)  # a Ctrl-C a finalizer swallowed stops at a file

            def fill(ix):
                return _write(ix, corpus, plan, summary, tick, options, api, known, rebuild)

            src = None if rebuild else current
            _, summary.documents = build_next(index_dir, src, fill, before_switch=ctrl_c.check)
        apply_pending(index_dir)  # what the API wrote meanwhile
    summary.seconds = round(time.monotonic() - start, 3)
    written = sum(len(plan.manifest.get(p, {}).get("ids", ())) for p in plan.to_read)
    summary.docs_per_s = round(written / summary.seconds, 1) if summary.seconds else 0.0
    return summary


def _write(ix, corpus, plan, summary, progress, options, api: ApiView, known: dict, fresh: bool):
    """Write the corpus changes and the API's records; return (expected count, manifest data).

    `known`: on a rebuild, the previous manifest's files (a file whose bytes did not change
    keeps the log position it was read at, so API writes made after it still win).
    """
    procs, max_bytes, bulk, follow_links = options
    n = procs_for(procs, sum(plan.manifest[r]["size"] for r in plan.to_read))
    writer = w3.writer(ix, procs=n, limitmb=LIMIT_MB, bulk=bulk)
    try:
        for rel in plan.to_delete:  # by path, and by id in case a reader named the path otherwise
            writer.delete_by_term("path", rel)
            for i in plan.old_ids.get(rel, ()):
                if not api.wins(i, plan.old_since.get(rel, 0)):  # else the API's is live
                    writer.delete_by_term("id", i)
        reading, replacing = set(plan.to_read), set(plan.to_delete)
        owners = {
            i: rel for rel, e in plan.manifest.items() if rel not in reading for i in e["ids"]
        }
        added = 0
        for done, rel in enumerate(plan.files, 1):
            if rel in reading:
                entry = plan.manifest[rel]
                old_ids = plan.old_ids.get(rel, []) if rel in replacing else None
                accepted = accept_file(
                    corpus,
                    rel,
                    entry,
                    owners,
                    summary,
                    max_bytes=max_bytes,
                    old_ids=old_ids,
                    follow_links=follow_links,
                )
                # A file read again is newer than every API write so far; on a rebuild, an
                # unchanged file keeps its position: a later API write of its ids still wins.
                prev = known.get(rel)
                same = prev is not None and prev.get("sha") == entry["sha"]
                entry["since"] = prev.get("since", 0) if same else api.end
                keep = [a for a in accepted if not api.wins(a.id, entry["since"])]
                if not fresh:
                    for a in keep:
                        if a.id in api.fold:  # the API's article of that id gives way
                            writer.delete_by_term("id", a.id)
                writer.add_many(keep, articles_to_docs)
                added += len(keep)
            if progress is not None:
                progress(done, len(plan.files), rel)
        added += _api_records(writer, plan.manifest, api, fresh)
        policy = None if fresh else merging.merge_small(writer, added)[0]
        writer.commit(mergetype=policy, merge=False)
    except BaseException:
        writer.cancel()
        raise
    return api.expected(plan.manifest), {"files": plan.manifest, "wal": {"applied": api.end}}


def _api_records(writer, files: dict, api: ApiView, fresh: bool) -> int:
    """Apply the API's records (all on a fresh build, else the pending); return articles added."""
    since = {i: e.get("since", 0) for e in files.values() for i in e["ids"]}
    puts = []
    for rec in (api.fold if fresh else api.pending).values():
        if rec.id in since and rec.seq < since[rec.id]:
            continue  # that file was read after this write: the file's article stays
        if not fresh:
            writer.delete_by_term("id", rec.id)
        if rec.op == "put":
            puts.append(api.article(rec))
    writer.add_many(puts, articles_to_docs)
    return len(puts)


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


def _usable_data(gen_dir: Path) -> dict | None:
    """Return a generation's manifest data; None if damaged, unreadable or of another schema."""
    if not verify(gen_dir, load_checksums(gen_dir), full=False).ok:
        return None  # damaged: build the next generation from scratch
    try:
        data = load_data(gen_dir)
        schema = w3.open_readonly(gen_dir).schema
    except w3.UNREADABLE:
        return None
    if not isinstance(data.get("files"), dict):
        return None
    return data if same_schema(schema) else None
