"""Build or update the index from a corpus folder, crash-safely, one writer at a time.

Incremental by default: each generation's manifest maps every corpus file to its size, mtime,
raw-bytes hash and article ids. A run adds new files, replaces changed ones (delete, then add),
removes deleted ones and leaves unchanged ones alone without parsing them (same size and mtime, or
same hash). The counts in IndexSummary are files. Article ids are unique in the index: when two
files yield the same id, the copy already indexed (on a rebuild: the first file in path order) wins
and the later one is reported in `skipped`; if the winner later goes away or changes, the loser is
read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from searchsvc.engine.generations import (
    MANIFEST,
    TMP_SUFFIX,
    CtrlC,
    WriteLock,
    fsync_dir,
    gen_name,
    gen_number,
    link_copy,
    load_manifest,
    prune,
    read_current,
    remove_leftovers,
    switch_current,
    write_error,
)
from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.w3.segwriter import BulkWriter
from searchsvc.engine.w3.workers import ParallelBulkWriter
from searchsvc.errors import IndexWriteError, SearchsvcError
from searchsvc.ingest import discover, read_file

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
Progress = Callable[[int, int, str], None]
PARALLEL_MIN_BYTES = 4 << 20  # smaller batches are not worth starting writer processes for
# Memory budget of a build's bulk segment builders, split between writer processes: a builder
# writes a segment whenever its tokens reach its share (~150 bytes per token at flush), so memory
# stays bounded for any corpus size; 768 MB builds Reuters (~4.1M tokens) as one segment per worker
# (~360 MB RSS each).
LIMIT_MB = 768


@dataclass
class IndexSummary:
    """What one indexing run did; counts are files, `documents` is the total in the index."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    documents: int = 0
    seconds: float = 0.0
    docs_per_s: float = 0.0

    def to_dict(self) -> dict:
        """Return the JSON shape printed by `searchsvc index --json`."""
        return asdict(self)

    def __str__(self) -> str:
        """Return the one-line summary printed by `searchsvc index`."""
        return (
            f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped; "
            f"{self.documents} documents in the index ({self.seconds:.1f} s, "
            f"{self.docs_per_s:.0f} docs/s)"
        )


def index_corpus(
    corpus_dir: str | os.PathLike,
    index_dir: str | os.PathLike,
    *,
    rebuild: bool = False,
    procs: int = 0,
    progress: Progress | None = None,
    lock_timeout: float = 0.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    optimize: bool = False,
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
        plan = _plan(corpus, old, summary)
        if not plan.changed and current is not None and not rebuild:
            summary.documents = sum(len(e["ids"]) for e in old.values())
            if progress is not None:
                progress(len(plan.files), len(plan.files), "")
        else:
            number = 1 + max([gen_number(p.name) or 0 for p in index_dir.iterdir()], default=0)
            new = gen_name(number)
            src = None if rebuild or current is None else index_dir / current
            tick = _checking(ctrl_c, progress)  # a Ctrl-C a finalizer swallowed stops at a file
            _build(
                corpus, index_dir, src, new, plan, summary, procs, tick, max_bytes, optimize, ctrl_c
            )
            prune(index_dir, new)
    summary.seconds = round(time.monotonic() - start, 3)
    written = sum(len(plan.manifest.get(p, {}).get("ids", ())) for p in plan.to_read)
    summary.docs_per_s = round(written / summary.seconds, 1) if summary.seconds else 0.0
    return summary


@dataclass
class _Plan:
    """Which files to read and which paths to delete from the copied generation."""

    files: list[str]
    manifest: dict
    to_read: list[str]
    to_delete: list[str]
    changed: bool
    old_ids: dict[str, list[str]]


def _plan(corpus: Path, old: dict, summary: IndexSummary) -> _Plan:
    """Compare the corpus with the old manifest: stat every file, hash only when the mtime moved."""
    files, manifest, to_read, changed = [], {}, [], False
    for path in discover(corpus):
        rel = path.relative_to(corpus).as_posix()
        files.append(rel)
        try:
            st = path.stat()
            prev = old.get(rel)
            if prev and (prev["size"], prev["mtime_ns"]) == (st.st_size, st.st_mtime_ns):
                manifest[rel] = prev
                continue
            sha = _sha(path)
        except OSError as e:
            summary.skipped.append({"path": rel, "reason": f"cannot read: {e.strerror}"})
            if rel in old:
                manifest[rel] = old[rel]
            continue
        changed = True
        if prev and sha == prev["sha"]:
            manifest[rel] = {**prev, "mtime_ns": st.st_mtime_ns}
        else:
            manifest[rel] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha": sha, "ids": []}
            to_read.append(rel)
    gone = sorted(set(old) - set(files))
    summary.deleted = len(gone)
    # Files that lost an id to a duplicate elsewhere are re-read when that id is freed.
    freed = {i for rel in gone + to_read if rel in old for i in old[rel]["ids"]}
    while freed:
        again = [
            r
            for r, e in manifest.items()
            if r not in to_read and freed.intersection(e.get("shadowed", ()))
        ]
        to_read += again
        freed = {i for r in again for i in manifest[r]["ids"]}
    to_read.sort()
    summary.added = sum(1 for r in to_read if r not in old)
    summary.updated = len(to_read) - summary.added
    summary.unchanged = len(files) - len(to_read) - len(summary.skipped)
    to_delete = sorted(set(gone) | {r for r in to_read if r in old})
    old_ids = {r: old[r]["ids"] for r in to_delete}
    changed = changed or bool(gone) or bool(to_read)
    return _Plan(files, manifest, to_read, to_delete, changed, old_ids)


def _checking(ctrl_c: CtrlC, progress: Progress | None) -> Progress:
    """Return a progress callback that first aborts the build if Ctrl-C was pressed."""

    def tick(done: int, total: int, rel: str) -> None:
        ctrl_c.check()
        if progress is not None:
            progress(done, total, rel)

    return tick


def _build(
    corpus, index_dir, src, new, plan, summary, procs, progress, max_bytes, optimize, ctrl_c
):
    """Write generation `new` aside (a copy of `src` plus changes, or from scratch), then switch."""
    tmp = index_dir / (new + TMP_SUFFIX)
    try:
        if src is None:
            tmp.mkdir()
            ix = whoosh_index.create_in(str(tmp), build_schema())
        else:
            link_copy(src, tmp)
            ix = whoosh_index.open_dir(str(tmp))
        expected = _write(ix, corpus, plan, summary, procs, progress, max_bytes, src is None)
        if optimize:  # one segment: ~4% faster searches for +40-60% indexing CPU; off by default
            ix.optimize()
        summary.documents = ix.doc_count()
        if summary.documents != expected:
            raise IndexWriteError(
                f"the new index holds {summary.documents} documents, expected {expected}",
                hint="the previous index is still live; run `searchsvc index --rebuild`",
            )
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "files": plan.manifest}, f, separators=(",", ":"))
        for p in tmp.iterdir():
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(tmp)
        ctrl_c.check()  # the last moment a Ctrl-C abandons the build
        os.rename(tmp, index_dir / new)
        fsync_dir(index_dir)
        switch_current(index_dir, new)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(e, index_dir) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write(ix, corpus, plan, summary, procs, progress, max_bytes, fresh) -> int:
    """Delete stale paths, add the articles of the files to read; return the expected doc count."""
    n = procs_for(procs, sum(plan.manifest[r]["size"] for r in plan.to_read))
    if n > 1:
        writer = ParallelBulkWriter(ix, procs=n, limitmb=LIMIT_MB)  # LIMIT_MB / n per worker
    else:
        writer = BulkWriter(ix, limitmb=LIMIT_MB)
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
                is_new = rel not in replacing
                _add_file(
                    writer, corpus, rel, plan.manifest[rel], owners, summary, max_bytes, is_new
                )
            if progress is not None:
                progress(done, len(plan.files), rel)
        writer.commit(merge=not fresh)
    except BaseException:
        writer.cancel()
        raise
    return len(owners)


def _add_file(writer, corpus, rel, entry, owners, summary, max_bytes, is_new) -> None:
    """Read one file and add its articles to the writer (which maps them to documents)."""
    writer.add_many(
        accept_file(corpus, rel, entry, owners, summary, max_bytes, is_new), article_to_doc
    )


def accept_file(corpus, rel, entry, owners, summary, max_bytes, is_new) -> list:
    """Read one file; return its articles whose ids are free, recording ids, skips and losers.

    Shared by every backend's indexer: the first file to claim an id keeps it, later ones are
    reported as skipped (and remembered in the manifest entry, to be read again if it frees).
    """
    result = read_file(corpus / rel, corpus, max_bytes=max_bytes)
    summary.skipped.extend({"path": s.path, "reason": s.reason} for s in result.skipped)
    accepted, shadowed = [], []
    for article in result.articles:
        if article.id in owners:
            shadowed.append(article.id)
            other = owners[article.id]
            where = "earlier in this file" if other == rel else f"already indexed from {other}"
            summary.skipped.append(
                {"path": rel, "reason": f"duplicate article id {article.id} ({where})"}
            )
            continue
        owners[article.id] = rel
        accepted.append(article)
    if is_new and not accepted and result.skipped:
        summary.added -= 1  # a new file that gave nothing is reported as skipped only
    entry["ids"] = [a.id for a in accepted]
    entry.pop("shadowed", None)
    if shadowed:
        entry["shadowed"] = shadowed
    return accepted


def procs_for(procs: int, nbytes: int) -> int:
    """Return the writer process count: `procs`, or for 0 two or more for big batches.

    Reuters with the bulk segment builder: 1 process ~20 CPU s; 2 workers ~18 CPU s between them
    while the parent reads and parses (~2 CPU s), so about half the wall time on 2 free cores.
    """
    if procs > 0:
        return procs
    cores = os.cpu_count() or 1
    return min(4, max(2, cores - 1)) if cores >= 2 and nbytes >= PARALLEL_MIN_BYTES else 1


def _sha(path: Path) -> str:
    """Hash the raw bytes of a file in chunks (memory stays flat for big files)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _usable_manifest(gen_dir: Path) -> dict | None:
    """Return the manifest of a generation, or None when it is unreadable or the schema changed."""
    try:
        manifest = load_manifest(gen_dir)
        schema = whoosh_index.open_dir(str(gen_dir)).schema
    except (OSError, ValueError, KeyError, whoosh_index.EmptyIndexError):
        return None
    return manifest if sorted(schema.names()) == sorted(build_schema().names()) else None
