"""PRIVATE: a log-structured (tiered) merge policy for Whoosh segments, in place of MERGE_SMALL.

Whoosh's MERGE_SMALL merges the smallest segments while their total stays under a Fibonacci
bound that grows with their count: on an index of ~30 bulk segments it picks most of them, and
an update of 1,000 articles rewrote ~400,000 documents through Whoosh's per-posting merge (and
the merged segment lost its term arrays). Here:

- a segment with `max_docs` live documents or more is big and never rewritten;
- smaller ones sit on levels by live documents (level k: factor**k .. factor**(k+1) - 1);
- a commit's new documents join their level; when that level then holds `factor` segments they
  are merged into one (which may fill the next level: a merge cascades, up to `max_docs`);
- a segment whose documents are all deleted is dropped.

A merge re-adds the live documents of the chosen segments to the writer (their stored fields
give back the article, see engine/merging.py), so merged segments are written by the same
bulk builder as new ones, term arrays included. Each document is rewritten at most about
log_factor(max_docs) times, so an update costs what it adds, not what the index holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.reading import SegmentReader

FACTOR = 10
MAX_MERGE_DOCS = 10_000


def level(docs: int, factor: int = FACTOR) -> int:
    """Return the level of a segment with `docs` live documents."""
    k, n = 0, max(1, docs)
    while n >= factor:
        n //= factor
        k += 1
    return k


def choose(
    sizes: list[int], new: int, factor: int = FACTOR, max_docs: int = MAX_MERGE_DOCS
) -> list[int]:
    """Return the positions of the segments (live sizes) to merge with `new` added documents."""
    small = {i: n for i, n in enumerate(sizes) if 0 < n < max_docs}
    chosen: list[int] = []
    total = new
    while total < max_docs:
        lvl = level(total, factor)
        same = [i for i, n in small.items() if level(n, factor) == lvl and i not in chosen]
        if len(same) + (1 if total else 0) < factor:
            break
        before = len(chosen)
        for i in sorted(same, key=small.get):
            if total + small[i] > max_docs and len(chosen) > before:
                break
            chosen.append(i)
            total += small[i]
        if len(chosen) == before:
            break
    return chosen


def segments(writer) -> list:
    """Return the writer's existing segments (deletions made by the writer are applied)."""
    return list(writer.segments)


def live_docs(segment) -> int:
    """Return the live documents of a segment."""
    return segment.doc_count()


def stored_live(writer, segment) -> Iterator[dict]:
    """Yield the stored fields of every live document of a segment."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        for docnum in range(segment.doc_count_all()):
            if not segment.is_deleted(docnum):
                yield reader.stored_fields(docnum)
    finally:
        reader.close()


def keep_policy(drop: set):
    """Return a Whoosh mergetype that keeps every segment except `drop` and empty ones."""

    def policy(writer, current):
        return [s for s in current if s.segment_id() not in drop and s.doc_count() > 0]

    return policy
