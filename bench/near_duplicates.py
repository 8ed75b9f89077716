"""Folding copies on Reuters and BBC: stories by the exact key and by fingerprints, checked.

For each collection: how many stories the exact near-duplicate key makes and how many the
MinHash fingerprints make (searchsvc.text.fingerprint); how the fingerprint decisions agree
with the rule computed exactly on the word-pair sets (containment >= 0.9 and the shorter
text's numbers within the longer's) over every pair sharing one of its 8 rarest word pairs;
and a sample of pairs at the threshold's edge, to judge it by eye.

    bench/.venv/bin/python bench/near_duplicates.py [--data DIR] [--edge N]
"""

from __future__ import annotations

import argparse
import random
import re
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import speed_common as sc

from searchsvc.ingest import discover, read_file
from searchsvc.text import fingerprint as fp

_WORD = re.compile(r"[0-9a-z_]+")  # as the fingerprint sees words (ASCII runs)
_NUMBER = re.compile(r"\d[\d.,]*")


def stories(keys: list, pairs: list[tuple[int, int]]) -> list[int]:
    """Return a story label per article: same exact key, or linked by a copy pair."""
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict = {}
    for i, k in enumerate(keys):
        if k in first:
            parent[find(i)] = find(first[k])
        else:
            first[k] = i
    for i, j in pairs:
        parent[find(j)] = find(i)
    return [find(i) for i in range(len(keys))]


def exact_pairs(texts: list[str]) -> dict[tuple[int, int], float]:
    """Return {(i, j): exact containment} for pairs that the exact rule calls copies."""
    sets, nums = [], []
    for t in texts:
        w = _WORD.findall(t.casefold())
        sets.append(
            {(w[k], w[k + 1]) for k in range(len(w) - 1)} if len(w) >= fp.MIN_WORDS else set()
        )
        nums.append(set(_NUMBER.findall(t.casefold())))
    inv = defaultdict(list)
    for i, s in enumerate(sets):
        for h in sorted(zlib.crc32(" ".join(x).encode()) for x in s)[:8]:
            inv[h].append(i)
    out = {}
    for ids in inv.values():
        for x in range(len(ids)):
            for y in range(x + 1, min(len(ids), x + 60)):
                i, j = ids[x], ids[y]
                a, b = (i, j) if len(sets[i]) <= len(sets[j]) else (j, i)
                c = len(sets[a] & sets[b]) / max(1, len(sets[a]))
                if c >= fp.CONTAINMENT and nums[a] <= nums[b]:
                    out[(min(i, j), max(i, j))] = c
    return out


def report(name: str, root: Path, edge: int) -> None:
    """Print the figures of one collection."""
    arts = [a for p in discover(root) for a in read_file(p, root).articles]
    texts = [a.body if len(a.body) >= 200 else f"{a.title} {a.body}" for a in arts]
    rows = np.frombuffer(b"".join(fp.fingerprint(a.title, a.body) for a in arts), np.uint8)
    rows = rows.reshape(len(arts), fp.FINGERPRINT_BYTES)
    pairs = fp.copies(rows)
    keys = [fp.near_duplicate_key(a.title, a.body) for a in arts]
    old, new = len(set(stories(keys, []))), len(set(stories(keys, pairs)))
    truth = exact_pairs(texts)
    got = set(pairs)
    both = len(got & set(truth))
    print(f"\n{name}: {len(arts):,} articles")
    print(f"  stories: exact key {old:,}; fingerprints {new:,} ({old - new:,} fewer)")
    print(f"  copy pairs: fingerprints {len(got):,}; exact rule {len(truth):,}; both {both:,}")
    print(f"  agreement: precision {sc.fmt(both / max(1, len(got)), 3)}, "
          f"recall {sc.fmt(both / max(1, len(truth)), 3)}")  # fmt: skip
    i = np.array([p[0] for p in got], dtype=np.int64)
    j = np.array([p[1] for p in got], dtype=np.int64)
    est = fp.containment(rows, i, j) if len(i) else np.zeros(0)
    near = [k for k in range(len(i)) if est[k] < 0.95]
    random.seed(1)
    print(f"  pairs at the edge (estimated containment 0.90-0.95), {min(edge, len(near))} shown:")
    for k in random.sample(near, min(edge, len(near))):
        a, b = arts[i[k]], arts[j[k]]
        print(f"    {est[k]:.2f} {a.id} | {b.id}: {a.title[:38]!r} / {b.title[:38]!r}")


def main() -> None:
    """Report Reuters and BBC."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=sc.data_dir())
    ap.add_argument("--edge", type=int, default=8, help="edge pairs to show per collection")
    args = ap.parse_args()
    for name in ("reuters21578", "bbc"):
        if (args.data / name).is_dir():
            report(name, args.data / name, args.edge)
        else:
            print(f"skipped {name}: no data at {args.data / name}")


if __name__ == "__main__":
    main()
