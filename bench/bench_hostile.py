"""Expensive query shapes on Reuters plus BBC: each one's time beside a plain query's.

The outside review's shapes (199 excluded prefixes, many exclusions, prefixes or common-word
phrases joined by OR, 200 common words, many title: prefixes, very long unknown words), each
within the default limits (1,000 characters, 200 terms), run in process on a fresh engine (no
page cache). Baseline: the plain query 'wheat harvest' in the same run. Target: every shape
within 1 s, or refused with a 400 naming its limit.

    bench/.venv/bin/python bench/bench_hostile.py [--out DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import time
from pathlib import Path

import speed_common as sc

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import SearchsvcError

LIMITS = Settings()
PAIRS = ["".join(p) for p in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=2)]
COMMON = "said would year also company market price share bank rate government oil trade new"


def within(terms: list[str], joiner: str = " ") -> str:
    """Join as many terms as the default limits allow (1,000 characters, 200 terms)."""
    out: list[str] = []
    for term in terms[: LIMITS.max_query_terms]:
        if len(joiner.join([*out, term])) > LIMITS.max_query_chars:
            break
        out.append(term)
    return joiner.join(out)


SHAPES = {
    "199 excluded prefixes": within(["oil", *(f"-{p}*" for p in PAIRS)]),
    "199 exclusions": within(["oil", *(f"-{w}{i}" for i in range(20) for w in COMMON.split())]),
    "prefixes joined by OR": within([f"{p}*" for p in PAIRS], " OR "),
    "common-word phrases joined by OR": within(
        [f'"{a} {b}"' for a, b in itertools.pairwise(COMMON.split())], " OR "
    ),
    "200 common words": within(COMMON.split() * 15),
    "title prefixes": within([f"title:{p}*" for p in PAIRS]),
    "a 999-letter word": "x" * 999,
    "three 330-letter words": " ".join(c * 330 for c in "qzj"),
}
BASELINE = "wheat harvest"


def build(out: Path, reuse: bool) -> Path:
    """Return an index of Reuters plus BBC (23,803 documents), built unless reused."""
    index = out / "index"
    if reuse and (index / "CURRENT").exists():
        return index
    corpus = out / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    for name in ("reuters21578", "bbc"):
        shutil.copytree(sc.data_dir() / name, corpus / name)
    print(index_corpus(corpus, index, rebuild=True), flush=True)
    return index


def timed(index: Path, q: str, runs: int = 3) -> tuple[float, str]:
    """Return (median ms over fresh engines, outcome) for one query."""
    times, outcome = [], ""
    for _ in range(runs):
        engine = SearchEngine(Store(index), Settings(search_deadline=30.0))
        engine.search(SearchRequest(q="warm up the generation's caches"))
        t0 = time.perf_counter()
        try:
            outcome = f"{engine.search(SearchRequest(q=q)).total:,} hits"
        except SearchsvcError as err:
            outcome = f"{err.status}: {err.message}"
        times.append((time.perf_counter() - t0) * 1000)
        engine.store.close()
    return statistics.median(times), outcome


def main() -> None:
    """Build or reuse the index, then time every shape beside the baseline."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench/out/hostile"))
    ap.add_argument("--reuse", action="store_true", help="reuse an index built earlier")
    args = ap.parse_args()
    index = build(args.out, args.reuse)
    base_ms, _ = timed(index, BASELINE)
    rows = [["baseline: " + BASELINE, len(BASELINE), sc.fmt(base_ms), "1.0x", ""]]
    worst = 0.0
    for name, q in SHAPES.items():
        ms, outcome = timed(index, q)
        worst = max(worst, ms)
        rows.append([name, len(q), sc.fmt(ms), f"{ms / base_ms:.0f}x", outcome])
    print(sc.table(["query", "chars", "median ms", "vs baseline", "outcome"], rows))
    print(f"worst shape {worst:.0f} ms; target <= 1,000 ms: {sc.verdict(worst <= 1000)}")


if __name__ == "__main__":
    main()
