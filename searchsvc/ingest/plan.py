"""Plan an indexing run: what changed in the corpus since the last one, and who owns each id.

Both backends' indexers share this. A manifest maps every corpus file to its size, mtime,
raw-bytes hash and article ids. A run adds new files, replaces changed ones (delete, then add),
removes deleted ones and leaves unchanged ones alone without parsing them (same size and mtime,
or same hash). Article ids are unique: when two files yield the same id, the copy already
indexed (on a rebuild: the first file in path order) wins and the later one is reported in
`skipped`; if the winner later goes away or changes, the loser is read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from searchsvc.ingest import discover, read_file
from searchsvc.ingest.files import OUTSIDE_LINK, is_outside
from searchsvc.text.analysis import MAX_FIELD_TOKENS, searchable

Progress = Callable[[int, int, str], None]


@dataclass
class IndexSummary:
    """What one indexing run did; counts are files, `documents` is the total in the index."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    truncated: list[dict] = field(default_factory=list)  # articles indexed in part only
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
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped"
            + (f", {len(self.truncated)} indexed in part" if self.truncated else "")
            + "; "
            f"{self.documents} documents in the index ({self.seconds:.1f} s, "
            f"{self.docs_per_s:.0f} docs/s)"
        )


@dataclass
class Plan:
    """Which files to read and which paths to delete from the copied generation."""

    files: list[str]
    manifest: dict
    to_read: list[str]
    to_delete: list[str]
    changed: bool
    old_ids: dict[str, list[str]]
    old_since: dict[str, int] = field(default_factory=dict)  # log position each was read at


def plan_changes(
    corpus: Path, old: dict, summary: IndexSummary, *, follow_links: bool = False
) -> Plan:
    """Compare the corpus with the old manifest: stat every file, hash only when the mtime moved.

    Files read last time without giving an article are reported as skipped again, with the
    reasons recorded then, without reading them again.
    """
    files, manifest, to_read, changed = [], {}, [], False
    for path in discover(corpus, follow_external_links=follow_links):
        rel = path.relative_to(corpus).as_posix()
        if not follow_links and path.is_symlink() and is_outside(path, corpus):
            summary.skipped.append({"path": rel, "reason": OUTSIDE_LINK})
            continue  # never hashed: its target is not ours to read
        files.append(rel)
        try:
            st = path.stat()
            prev = old.get(rel)
            if prev and (prev["size"], prev["mtime_ns"]) == (st.st_size, st.st_mtime_ns):
                manifest[rel] = prev
                continue
            sha = file_sha(path)
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
    summary.deleted = sum(1 for rel in gone if old[rel]["ids"])
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
    reading = set(to_read)
    for rel in files:
        entry = manifest.get(rel)
        if entry is not None and rel not in reading:
            summary.unchanged += bool(entry["ids"])
            summary.skipped += entry.get("skipped", [])
    to_delete = sorted(set(gone) | {r for r in to_read if r in old})
    old_ids = {r: old[r]["ids"] for r in to_delete}
    old_since = {r: old[r].get("since", 0) for r in to_delete}
    changed = changed or bool(gone) or bool(to_read)
    return Plan(files, manifest, to_read, to_delete, changed, old_ids, old_since)


def accept_file(
    corpus: Path,
    rel: str,
    entry: dict,
    owners: dict,
    summary: IndexSummary,
    *,
    max_bytes: int,
    old_ids: list | None = None,
    follow_links: bool = False,
) -> list:
    """Read one file; return its articles whose ids are free, recording ids, skips and losers.

    Shared by every backend's indexer: the first file to claim an id keeps it, later ones are
    reported as skipped (and remembered in the manifest entry, to be read again if it frees).
    The file counts as added or updated when it gives an article, else as deleted if it gave
    some before (its old articles are removed); a new file that gives none is only skipped.
    """
    result = read_file(
        corpus / rel, corpus, max_bytes=max_bytes, follow_external_links=follow_links
    )
    skipped = [{"path": s.path, "reason": s.reason} for s in result.skipped]
    accepted, shadowed = [], []
    for article in result.articles:
        if article.id in owners:
            shadowed.append(article.id)
            other = owners[article.id]
            where = "earlier in this file" if other == rel else f"already indexed from {other}"
            skipped.append({"path": rel, "reason": f"duplicate article id {article.id} ({where})"})
            continue
        owners[article.id] = rel
        accepted.append(article)
        if searchable(article.body)[1]:
            why = f"only the first {MAX_FIELD_TOKENS:,} words are searchable (all is stored)"
            summary.truncated.append({"path": rel, "id": article.id, "reason": why})
    if accepted:
        if old_ids is None:
            summary.added += 1
        else:
            summary.updated += 1
    elif old_ids:
        summary.deleted += 1
    summary.skipped += skipped
    entry["ids"] = [a.id for a in accepted]
    entry.pop("shadowed", None)
    entry.pop("skipped", None)
    if shadowed:
        entry["shadowed"] = shadowed
    if skipped:
        entry["skipped"] = skipped
    return accepted


def file_sha(path: Path) -> str:
    """Hash the raw bytes of a file in chunks (memory stays flat for big files)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
