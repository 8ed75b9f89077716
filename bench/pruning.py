"""Dynamic pruning (MaxScore) against exhaustive sums for the ranked top k, in one run.

Issue 16 asks for the top k without scoring every match. This measures whether an exact
MaxScore selection pays here, over the same multi-word queries (2-7 groups) of an index that
bench_scale.py built (`--copies`, default 20), each group's score list already cached:

- exhaustive: the engine's own sums (`ranking._sparse_sums`: every match, scipy's merge);
- pruned: a lower bound theta of the k-th best key from each group's k best documents, then
  only postings that can reach theta (their score plus every other group's maximum) are
  candidates; those are scored exactly by binary search in every list, in group order.

k is what the ranking needs: 1,001 first-pass documents for RM3 queries (three groups and more),
500 for two groups (a folded page at x20 reads about 400). Both must give the same top k, float
for float (checked on every query); the figures are mean ms a query and the ratio.

  bench/.venv/bin/python bench/pruning.py [--copies 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import speed_common as sc
from bench_query import open_engine


def exact(lists, cand):
    """Return (summed scores, groups matched) of the candidates, added in group order."""
    acc, hits = np.zeros(len(cand)), np.zeros(len(cand), np.int32)
    for ids, s in lists:
        at = np.minimum(np.searchsorted(ids, cand), len(ids) - 1)
        hit = ids[at] == cand
        acc[hit] += s[at[hit]]
        hits += hit
    return acc, hits


def floor(theta: float, n: int, short: int) -> float:
    """Return the least score sum whose tiered key (every group matched) reaches theta
    (the inverse of scoring.tiered: n + x / (x + 10) up to SHORT_QUERY groups, else x)."""
    if n > short:
        return theta
    r = theta - n
    return -np.inf if r <= 0 else np.inf if r >= 1 else 10 * r / (1 - r)


def pruned(lists, n: int, k: int, scoring):
    """Return (candidates ascending, sums, hits) holding the exact top k, or None."""
    seeds = [
        ids[np.argpartition(s, len(s) - k)[len(s) - k :]] if len(s) > k else ids for ids, s in lists
    ]
    seeds = np.unique(np.concatenate(seeds))
    if len(seeds) < k:
        return None
    acc, hits = exact(lists, seeds)
    keys = scoring.tiered(acc, hits, n)
    need = floor(np.partition(keys, len(keys) - k)[len(keys) - k], n, scoring.SHORT_QUERY)
    if need == -np.inf:
        return None
    maxima = [float(s.max()) for _, s in lists]
    found = []
    for g, (ids, s) in enumerate(lists):
        bound = need - (sum(maxima) - maxima[g])
        found.append(ids[s >= bound - 1e-9 * max(1.0, abs(need))])
    cand = np.unique(np.concatenate(found))
    return (cand, *exact(lists, cand))


def main() -> int:
    """Time both ways over the 300 benchmark queries' multi-word ones and print the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--copies", type=int, default=20, help="index of bench_scale.py [20]")
    args = ap.parse_args()
    index = sc.OUT / "indexes" / f"searchsvc-{args.copies}x"
    if not (index / "CURRENT").exists():
        print(f"no index at {index}: run bench/bench_scale.py --copies {args.copies} first")
        return 1
    from searchsvc.engine import ranking
    from searchsvc.engine.plan import plan_query
    from searchsvc.text import scoring
    from searchsvc.text.query import parse

    sc.header(f"pruning: MaxScore top k against exhaustive sums, Reuters x{args.copies}")
    engine = open_engine(index)
    view = engine.store.view()
    queries = sc.QueryMaker(sc.sgm_files(sc.reuters_dir())).queries(300)
    full_ms, pruned_ms, kept, none, same = [], [], [], 0, 0
    for q in queries:
        groups = plan_query(parse(q, engine.settings), view).groups
        n = len(groups)
        if not 2 <= n < scoring.LONG_QUERY:
            continue
        k = scoring.FEEDBACK_RERANK + 1 if n >= scoring.FEEDBACK_FROM else 500
        lists = [
            (i, ranking._weighted(g, s)) for g in groups for i, s in [ranking.group_scores(view, g)]
        ]
        for _ in range(2):  # the second pass is timed: every list cached, both ways alike
            t0 = time.perf_counter()
            ids, acc, hits = ranking._sparse_sums(view, groups, {})
            t1 = time.perf_counter()
            got = pruned(lists, n, k, scoring)
            t2 = time.perf_counter()
        full_ms.append((t1 - t0) * 1000)
        pruned_ms.append((t2 - t1) * 1000)
        if got is None:  # fewer than k seeds, or a tier bound that prunes nothing
            none += 1
            continue
        hits = hits if hits is not None else np.ones(len(ids), np.int32)
        full, mine = scoring.tiered(acc, hits, n), scoring.tiered(got[1], got[2], n)
        a, b = ranking.top(full, k), ranking.top(mine, k)
        same += bool(np.array_equal(ids[a], got[0][b]) and np.array_equal(full[a], mine[b]))
        kept.append(len(got[0]) / len(ids))
    m_full, m_pruned = statistics.mean(full_ms), statistics.mean(pruned_ms)
    print(f"   {len(full_ms)} queries of 2-7 groups; pruned: {len(kept)} ({none} fell back)")
    print(f"   exhaustive sums (scipy merge): {m_full:.3f} ms a query")
    ratio = sc.ratio(m_pruned, m_full)
    print(f"   MaxScore candidates, scored:   {m_pruned:.3f} ms a query  ratio {ratio:.2f}x")
    if kept:
        print(f"   candidates per match: median {statistics.median(kept):.1%}")
    print(f"   same top k, float for float: {same} of {len(kept)}")
    return 0 if same == len(kept) else 1


if __name__ == "__main__":
    raise SystemExit(main())
