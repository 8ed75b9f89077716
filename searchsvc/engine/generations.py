"""The on-disk index: generation directories, the CURRENT pointer, the writer lock, safe writing.

Layout of an index directory::

    index/
      CURRENT          name of the live generation ("gen-000007\\n"), replaced atomically
      .write.lock      writer lock (POSIX record lock) holding the writer's pid
      gen-000007/      a complete Whoosh index plus manifest.json
      gen-000006/      the previous generation, kept for a grace period for open searchers
      gen-000008.tmp/  a build in progress (or a killed build's leftover, removed by the next run)

A generation is never modified once CURRENT points to it: a writer builds the next generation aside,
fsyncs it, renames it into place and only then switches CURRENT, so a crash at any moment leaves the
previous generation live and complete.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import time
from pathlib import Path

from searchsvc.errors import IndexWriteError
from searchsvc.ingest.durable import atomic_write

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
GEN_PREFIX = "gen-"
TMP_SUFFIX = ".tmp"

# A generation that stopped being live is deleted after this long (the previous one is always kept).
GENERATION_GRACE_S = 60.0


def gen_name(number: int) -> str:
    """Return the directory name of generation `number`."""
    return f"{GEN_PREFIX}{number:06d}"


def gen_number(name: str) -> int | None:
    """Return the number of a generation directory name, or None for anything else."""
    if not name.startswith(GEN_PREFIX):
        return None
    digits = name[len(GEN_PREFIX) :].removesuffix(TMP_SUFFIX)
    return int(digits) if digits.isdigit() else None


def read_current(index_dir: Path) -> str | None:
    """Return the live generation name, or None when there is no (complete) index."""
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if gen_number(name) is None or name.endswith(TMP_SUFFIX):
        return None
    return name if (Path(index_dir) / name).is_dir() else None


def switch_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at generation `name` atomically (temp file, fsync, os.replace, fsync dir)."""
    atomic_write(Path(index_dir) / CURRENT, name + "\n")


def load_manifest(gen_dir: Path) -> dict:
    """Return the manifest of a generation: corpus-relative path -> {size, mtime_ns, sha, ids}."""
    with open(Path(gen_dir) / MANIFEST, encoding="utf-8") as f:
        return json.load(f)["files"]


def load_data(gen_dir: Path) -> dict:
    """Return the whole manifest of a generation (files, checksums, what the log applied)."""
    with open(Path(gen_dir) / MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def applied_position(data: dict) -> int:
    """Return how far a generation (its manifest data) has applied the write-ahead log."""
    return int(data.get("wal", {}).get("applied", 0))


def next_name(index_dir: Path) -> str:
    """Return the name of the next generation (one above every generation folder present)."""
    numbers = [gen_number(p.name) or 0 for p in Path(index_dir).iterdir()]
    return gen_name(1 + max(numbers, default=0))


def load_checksums(gen_dir: Path) -> dict | None:
    """Return the file checksums a generation's manifest records (None if it records none)."""
    try:
        with open(Path(gen_dir) / MANIFEST, encoding="utf-8") as f:
            return json.load(f).get("checksums")
    except (OSError, ValueError, AttributeError):
        return None


def link_copy(src: Path, dst: Path) -> None:
    """Copy a generation by hard links (Whoosh never rewrites a segment file in place)."""
    dst.mkdir()
    for p in src.iterdir():
        if p.name == MANIFEST or p.name.endswith("WRITELOCK") or not p.is_file():
            continue
        try:
            os.link(p, dst / p.name)
        except OSError:
            shutil.copy2(p, dst / p.name)


def remove_leftovers(index_dir: Path) -> None:
    """Delete builds a killed run left behind: *.tmp dirs and generations newer than CURRENT."""
    current = read_current(index_dir)
    live = gen_number(current) if current else 0
    for p in index_dir.iterdir():
        n = gen_number(p.name)
        if n is not None and (p.name.endswith(TMP_SUFFIX) or n > live):
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".CURRENT."):
            p.unlink(missing_ok=True)


def prune(index_dir: Path, live: str) -> None:
    """Delete generations older than the previous one once their grace period is over."""
    gens = sorted(
        (gen_number(p.name), p)
        for p in index_dir.iterdir()
        if gen_number(p.name) is not None and not p.name.endswith(TMP_SUFFIX)
    )
    now = time.time()
    for (_, p), (_, successor) in itertools.pairwise(gens):
        if successor.name == live or p.name == live:
            continue
        try:
            retired_for = now - (successor / MANIFEST).stat().st_mtime
        except OSError:
            retired_for = GENERATION_GRACE_S
        if retired_for >= GENERATION_GRACE_S:
            shutil.rmtree(p, ignore_errors=True)


def write_error(e: OSError, index_dir: Path) -> IndexWriteError:
    """Turn an OS error while writing into a clear IndexWriteError."""
    hints = {
        errno.ENOSPC: "free some disk space and run `searchsvc index` again",
        errno.EDQUOT: "free some disk space and run `searchsvc index` again",
        errno.EACCES: f"check that you may write to {index_dir}",
        errno.EPERM: f"check that you may write to {index_dir}",
        errno.EROFS: f"{index_dir} is on a read-only file system",
    }
    return IndexWriteError(
        f"cannot write the index in {index_dir}: {e.strerror or e}",
        hint=hints.get(e.errno, "the previous index is still live; fix the cause and run again"),
    )
