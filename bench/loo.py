"""Leave-one-collection-out choice of the ranking parameters (text/scoring.py).

Each collection is indexed once (per analyzer setting: the index is what the analyzer made);
every parameter setting of the grid then re-ranks its topics in process, with the per-term
score caches cleared whenever a setting changes BM25F. For each held-out collection, the
setting with the best mean nDCG@10 on the other three is chosen and scored on the held-out one:
that is the estimate for an unseen collection. Run through `bench/relevance.py --loo`.
"""

from __future__ import annotations

import functools
import itertools
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench import eval_collections as evalcols
from searchsvc.config import Settings
from searchsvc.engine.matching import match, ranked
from searchsvc.engine.plan import plan_query
from searchsvc.engine.state import LRU, SCORE_CACHE_BYTES, array_bytes
from searchsvc.evaluate import Scores, evaluate
from searchsvc.text import scoring
from searchsvc.text.analysis import index_terms
from searchsvc.text.query import parse

# The knobs and the values tried. TITLE_WEIGHT and BODY_B are scoring.FIELDS entries.
GRID: dict[str, tuple] = {
    "K1": (0.9, 1.2, 1.5),
    "BODY_B": (0.4, 0.75),
    "SHORT_QUERY": (2, 4),  # tiers for 2-word keyword queries at least (a product rule)
}
BM25_KNOBS = ("K1", "BODY_B", "TITLE_WEIGHT", "TITLE_B")


def settings_grid(grid: dict[str, tuple] = GRID) -> list[dict]:
    """Return every combination of the grid's values, BM25F knobs varying slowest."""
    names = sorted(grid, key=lambda k: (k not in BM25_KNOBS, k))
    combos = itertools.product(*map(grid.get, names))
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def current() -> dict:
    """Return the values scoring.py has now for every knob of the grid."""
    out = {k: getattr(scoring, k) for k in GRID if hasattr(scoring, k)}
    out["TITLE_WEIGHT"], out["TITLE_B"] = scoring.FIELDS["title"]
    out["BODY_B"] = scoring.FIELDS["body"][1]
    return {k: out[k] for k in GRID}


@contextmanager
def applied(values: dict) -> Iterator[None]:
    """Set scoring.py's knobs to values for the duration of the block.

    Feedback documents' terms are memoised meanwhile (the same documents recur across settings).
    """
    old_fields, old_terms = dict(scoring.FIELDS), scoring.index_terms
    scoring.index_terms = _memo_terms
    old = {k: getattr(scoring, k) for k in values if hasattr(scoring, k)}
    try:
        for k, v in values.items():
            if k == "TITLE_WEIGHT":
                scoring.FIELDS["title"] = (v, scoring.FIELDS["title"][1])
            elif k == "TITLE_B":
                scoring.FIELDS["title"] = (scoring.FIELDS["title"][0], v)
            elif k == "BODY_B":
                scoring.FIELDS["body"] = (scoring.FIELDS["body"][0], v)
            else:
                setattr(scoring, k, v)
        yield
    finally:
        scoring.index_terms = old_terms
        scoring.FIELDS.update(old_fields)
        for k, v in old.items():
            setattr(scoring, k, v)


_memo_terms = functools.lru_cache(maxsize=50_000)(index_terms)


class Reranker:
    """One indexed collection whose topics can be re-ranked under any parameter setting."""

    def __init__(self, col: evalcols.Collection, engine, settings: Settings) -> None:
        self.col = col
        self.view = engine.store.view()
        self.view.state.stored = LRU(10**7)  # every document's stored fields stay cached
        self.docids = [self.view.stored(d).get("id") for d in range(self.view.state.total)]
        self.plans = {q: plan_query(parse(t, settings), self.view) for q, t in col.topics.items()}
        self._bm25: tuple | None = None

    def _reset(self, values: dict) -> None:
        key = (scoring.K1, tuple(scoring.FIELDS.items()))
        if key != self._bm25:
            state = self.view.state
            state.scores = LRU(SCORE_CACHE_BYTES, array_bytes)
            for f in scoring.FIELDS:
                state._memo.pop(("norms", f), None)
            self._bm25 = key

    def run(self, values: dict) -> tuple[Scores, dict, float]:
        """Return (scores, run, mean seconds per query) of every topic under values."""
        with applied(values):
            self._reset(values)
            run: dict[str, dict[str, float]] = {}
            start = time.perf_counter()
            for qid, plan in self.plans.items():
                found = match(self.view, plan, False)
                run[qid] = {self.docids[d]: float(f"{s:.6f}") for s, d in ranked(found, 1000)}
            took = (time.perf_counter() - start) / max(1, len(self.plans))
        return evaluate(evalcols.drop_excluded(run, self.col.exclude), self.col.qrels), run, took


def sweep(rerankers: dict[str, Reranker], grid: list[dict], log=print) -> np.ndarray:
    """Return nDCG@10 of every setting (rows) on every collection (columns, rerankers' order)."""
    out = np.zeros((len(grid), len(rerankers)))
    for i, values in enumerate(grid):
        for j, rr in enumerate(rerankers.values()):
            out[i, j] = rr.run(values)[0].ndcg10
        log(f"  {i + 1}/{len(grid)} {_fmt(values)}: " + " ".join(f"{x:.3f}" for x in out[i]))
    return out


def _fmt(values: dict) -> str:
    return " ".join(f"{k}={v:g}" for k, v in values.items())


def loo_table(
    names: list[str], grid: list[dict], ndcg: np.ndarray, best_ref: dict[str, float]
) -> list[dict]:
    """Return, per held-out collection, the setting chosen on the others and its held-out score."""
    rows = []
    for j, name in enumerate(names):
        others = [k for k in range(len(names)) if k != j]
        i = int(np.argmax(ndcg[:, others].mean(axis=1)))  # first best on ties: grid order
        rows.append(
            {
                "held_out": name,
                "params": grid[i],
                "train_ndcg": float(ndcg[i, others].mean()),
                "ndcg": float(ndcg[i, j]),
                "margin": float(ndcg[i, j] - best_ref[name]),
            }
        )
    return rows


def print_loo(rows: list[dict], best_ref: dict[str, float]) -> None:
    """Print the leave-one-collection-out table and the mean held-out margin."""
    print("\nleave-one-collection-out: parameters chosen on the other three collections")
    print(f"{'held out':10s} {'nDCG@10':>7s} {'best ref':>8s} {'margin':>7s} {'train':>6s}  chosen")
    for r in rows:
        print(
            f"{r['held_out']:10s} {r['ndcg']:7.3f} {best_ref[r['held_out']]:8.3f}"
            f" {r['margin']:+7.3f} {r['train_ndcg']:6.3f}  {_fmt(r['params'])}"
        )
    n = max(1, len(rows))
    margin, ndcg = sum(r["margin"] for r in rows) / n, sum(r["ndcg"] for r in rows) / n
    print(f"{'mean':10s} {ndcg:7.3f} {'':8s} {margin:+7.3f}")


def write_matrix(path: Path, names: list[str], grid: list[dict], ndcg: np.ndarray) -> None:
    """Write every setting's nDCG@10 per collection as TSV (the full sweep, for the record)."""
    keys = list(grid[0]) if grid else []
    with path.open("w") as f:
        f.write("\t".join([*keys, *names]) + "\n")
        for values, row in zip(grid, ndcg, strict=True):
            f.write("\t".join([*(f"{values[k]:g}" for k in keys), *(f"{x:.4f}" for x in row)]))
            f.write("\n")


def write_per_query(path: Path, scores: Scores) -> None:
    """Write one run's per-query nDCG@10, MAP and P@10 as TSV."""
    with path.open("w") as f:
        f.write("qid\tndcg@10\tmap\tp@10\n")
        for qid, v in scores.per_query.items():
            f.write(f"{qid}\t{v['ndcg@10']:.4f}\t{v['map']:.4f}\t{v['p@10']:.4f}\n")


def mean(values: dict[str, float]) -> float:
    """Return the mean of a dict's values (0 for none)."""
    return sum(values.values()) / max(1, len(values))


def print_margin(name: str, results: list[dict], data: Path) -> dict[str, float]:
    """Print searchsvc's nDCG@10 margin over the best reference; return {name: margin}."""
    got = {r["engine"]: r["ndcg@10"] for r in results}
    if "searchsvc" not in got:
        return {}
    label, best = evalcols.best_reference(name, got, data)
    margin = got["searchsvc"] - best
    print(f"margin over the best reference ({label}, {best:.3f}): {margin:+.3f}")
    return {name: margin}


def run(names: list[str], args, base: Path, bench_collection, searchsvc_index) -> int:
    """Index each collection once, sweep GRID in process, print the held-out table.

    `bench_collection` and `searchsvc_index` are relevance.py's (the references' runs, the
    indexer); the sweep's matrix and each held-out run's per-query figures stay in `base`.
    """
    rerankers, best_ref = {}, {}
    for name in names:
        col = evalcols.load(name, args.data, args.minus_one)
        work = base / name
        if work.exists():
            shutil.rmtree(work)
        refs = bench_collection(col, list(evalcols.LIVE_REFERENCES), work)
        best_ref[name] = evalcols.best_reference(
            name, {r["engine"]: r["ndcg@10"] for r in refs}, args.data
        )[1]
        engine = searchsvc_index(work / "corpus", work / "index")
        rerankers[name] = Reranker(col, engine, engine.settings)
    grid = settings_grid()
    print(f"{len(grid)} settings x {len(names)} collections", flush=True)
    ndcg = sweep(rerankers, grid, log=lambda m: print(m, file=sys.stderr, flush=True))
    write_matrix(base / "loo-matrix.tsv", names, grid, ndcg)
    rows = loo_table(names, grid, ndcg, best_ref)
    print_loo(rows, best_ref)
    for r in rows:  # the per-query figures of each held-out run
        scores = rerankers[r["held_out"]].run(r["params"])[0]
        write_per_query(base / r["held_out"] / "perquery.searchsvc-loo.tsv", scores)
    return 0
