"""Integrity of index generations: a checksum of every file, recorded when it is built.

As Lucene keeps a checksum in each file's footer and offers CheckIndex, every generation's
manifest records the size and BLAKE2b digest of each of its files. Opening a generation runs
the cheap checks (every file present with its size, the digests of the small files, the term
arrays' structure); `searchsvc check` verifies every digest. A generation that fails is never
served: the store keeps the previous one, or answers 503 saying why.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.engine.generations import MANIFEST
from searchsvc.engine.w3.termarrays import check_field_arrays

SMALL_FILE_BYTES = 1 << 20  # files up to this size are hashed at every open
_CHUNK = 1 << 20


def digest(path: Path) -> str:
    """Return the BLAKE2b digest (hex, 16 bytes) of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def checksums(gen_dir: Path, previous: Path | None = None, old: dict | None = None) -> dict:
    """Return {file name: {"size", "blake2b"}} for every file of a generation being built.

    A file hard-linked from the previous generation (same inode and size) keeps the digest the
    previous manifest recorded, so an update hashes only the files it wrote.
    """
    out = {}
    for p in sorted(gen_dir.iterdir()):
        if not p.is_file() or p.name == MANIFEST or p.name.endswith("WRITELOCK"):
            continue
        st = p.stat()
        known = (old or {}).get(p.name)
        if known and previous is not None and known["size"] == st.st_size:
            try:
                prev = os.stat(previous / p.name)
            except OSError:
                prev = None
            if prev is not None and (prev.st_ino, prev.st_size) == (st.st_ino, st.st_size):
                out[p.name] = known  # the same file, hard-linked: already hashed
                continue
        out[p.name] = {"size": st.st_size, "blake2b": digest(p)}
    return out


@dataclass
class Report:
    """What a check of one generation found: damaged files and other problems."""

    generation: str
    checked: int = 0  # files whose digest was verified
    damaged: list[str] = field(default_factory=list)  # "file: what is wrong"
    recorded: bool = True  # False: built by a searchsvc that recorded no checksums
    right: dict = field(default_factory=dict)  # (device, inode, size, mtime) -> digest found right

    @property
    def ok(self) -> bool:
        """Return True when nothing is wrong."""
        return not self.damaged


def verify(gen_dir: Path, recorded: dict | None, full: bool, known: dict | None = None) -> Report:
    """Check a generation against its recorded checksums (all digests when full).

    `known`: the `right` of the report on a generation checked before by this process; a file
    the next generation hard-links unchanged (same device, inode, size, mtime) is not hashed
    again.
    """
    report = Report(gen_dir.name)
    if recorded is None:
        report.recorded = False
        return report
    known = known or {}
    for name, entry in sorted(recorded.items()):
        path = gen_dir / name
        try:
            st = path.stat()
            size = st.st_size
        except OSError:
            report.damaged.append(f"{name}: missing")
            continue
        if size != entry["size"]:
            report.damaged.append(f"{name}: {size} bytes, {entry['size']} recorded")
            continue
        if full or size <= SMALL_FILE_BYTES:
            report.checked += 1
            key = (st.st_dev, st.st_ino, size, st.st_mtime_ns)
            try:
                found = known.get(key) or digest(path)
            except OSError as e:
                report.damaged.append(f"{name}: unreadable ({e.strerror or e})")
                continue
            if found != entry["blake2b"]:
                report.damaged.append(f"{name}: contents differ from the recorded checksum")
            else:
                report.right[key] = found
    return report


def check_arrays(state) -> list[str]:
    """Return problems with the term arrays of an opened generation (structure, doc ids)."""
    problems = []
    for segment in state.segments:
        for name, arrays in segment.arrays.items():
            if arrays is not None:
                why = check_field_arrays(arrays, segment.count)
                if why:
                    problems.append(f"{segment.id}.{name} term arrays: {why}")
    return problems


def check_index(index_dir: Path) -> Report:
    """Verify every file of the live generation and open it as the server would."""
    from searchsvc.engine import w3
    from searchsvc.engine.generations import load_checksums, read_current
    from searchsvc.engine.state import ReaderState
    from searchsvc.errors import IndexMissing

    gen = read_current(Path(index_dir))
    if gen is None:
        raise IndexMissing(f"no index in {index_dir}", hint="run `searchsvc index` first")
    gen_dir = Path(index_dir) / gen
    report = verify(gen_dir, load_checksums(gen_dir), full=True)
    try:
        with w3.open_readonly(gen_dir).searcher() as searcher:
            report.damaged += check_arrays(ReaderState(gen, searcher))
    except w3.UNREADABLE as e:
        report.damaged.append(f"the index cannot be opened ({type(e).__name__}: {e})")
    return report
