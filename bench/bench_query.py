"""In-process query latency on Reuters: searchsvc's SearchEngine against textbook Whoosh.

300 reproducible one- to three-word queries (seeded) from Reuters title words with document
frequency in [5, 5000]; top 10 with snippets. Baseline: Whoosh with a StemmingAnalyzer schema,
QueryParser over body, a new searcher per query and hit.highlights("body"), same run.
Targets: searchsvc p50 <= 3 ms and p95 <= 15 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import speed_common as sc
from naive import NaiveSearcher, naive_index


def build_indexes(out: Path, reuse: bool) -> tuple[Path, Path, str | None]:
    """Return (searchsvc index, naive index, why searchsvc is missing), building what is needed."""
    naive = out / "naive-1x"
    if not list(naive.glob("*.toc")):
        print(f"   building naive index in {naive} ...", flush=True)
        naive_index(sc.sgm_files(sc.reuters_dir()), naive)
    ours, why = sc.project_index(out, 1, reuse)
    return ours, naive, why


def open_engine(index_dir: Path):
    """Return a SearchEngine over index_dir, or a string saying which piece is missing."""
    store_cls = sc.project_piece("engine.store", "Store")
    engine_cls = sc.project_piece("engine.search", "SearchEngine")
    if sc.missing(store_cls, engine_cls):
        return "; ".join(sc.missing(store_cls, engine_cls))
    from searchsvc.config import Settings

    return engine_cls(store_cls(index_dir), Settings.from_env(index_dir=index_dir))


def timed(fn, queries: list[str], cap_s: float) -> tuple[list[float], list[int], list[float]]:
    """Run fn(q) for each query; return wall ms, hit counts and CPU ms (stops at cap_s).

    CPU time is this thread's (time.thread_time): what the query cost, without the waits that
    other jobs on a shared machine add to the wall time.
    """
    lat, hits, cpu = [], [], []
    deadline = time.monotonic() + cap_s
    for q in queries:
        t, c = time.perf_counter(), time.thread_time()
        n = fn(q)
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        hits.append(n)
        if time.monotonic() > deadline:
            print(f"   time cap {cap_s:.0f}s reached after {len(lat)} queries", flush=True)
            break
    return lat, hits, cpu


def measure_searchsvc(index_dir: Path, queries: list[str], cap_s: float) -> dict:
    """Return cold and warm figures for SearchEngine.search (and without snippets/facets)."""
    from searchsvc.contract import SearchRequest

    t0 = time.perf_counter()
    engine = open_engine(index_dir)
    if isinstance(engine, str):
        return {"missing": engine}
    engine.search(SearchRequest(q=queries[0], per_page=10))
    cold = (time.perf_counter() - t0) * 1000
    out = {"cold": cold}

    def full(q: str) -> int:
        page = engine.search(SearchRequest(q=q, per_page=10))
        assert all(isinstance(h.snippet, str) for h in page.hits)
        return len(page.hits)

    def bare(q: str) -> int:
        req = SearchRequest(q=q, per_page=10, snippets=False, facets=False)
        return len(engine.search(req).hits)

    timed(full, queries[-20:], cap_s)  # warm-up, not counted
    out["full"] = timed(full, queries, cap_s)
    out["bare"] = timed(bare, queries, cap_s)
    out["engine"] = engine
    return out


def measure_naive(index_dir: Path, queries: list[str], cap_s: float) -> dict:
    """Return cold and warm figures for the textbook Whoosh searcher."""
    t0 = time.perf_counter()
    naive = NaiveSearcher(index_dir)
    naive.search(queries[0])
    cold = (time.perf_counter() - t0) * 1000
    timed(lambda q: len(naive.search(q)), queries[-20:], cap_s)
    return {"cold": cold, "full": timed(lambda q: len(naive.search(q)), queries, cap_s)}


def row(name: str, lat: list[float], hits: list[int], cpu: list[float], cold: float | None) -> list:
    """Return one table row: queries, p50, p95, CPU p50/p95, mean, max, cold, zero-hit queries."""
    return [
        name,
        len(lat),
        sc.fmt(sc.pct(lat, 50), 2),
        sc.fmt(sc.pct(lat, 95), 2),
        sc.fmt(sc.pct(cpu, 50), 2),
        sc.fmt(sc.pct(cpu, 95), 2),
        sc.fmt(sum(lat) / len(lat), 2),
        sc.fmt(max(lat), 1),
        sc.fmt(cold, 1) if cold is not None else "",
        sum(1 for h in hits if h == 0),
    ]


def main(argv: list[str] | None = None) -> int:
    """Measure both engines on the same 300 queries and print the latency table with ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--queries", type=int, default=300, help="number of queries [300]")
    ap.add_argument("--seed", type=int, default=sc.QUERY_SEED, help="query RNG seed")
    ap.add_argument("--out", type=Path, default=sc.OUT / "indexes", help="index cache folder")
    ap.add_argument("--reuse", action="store_true", help="reuse a searchsvc index built earlier")
    ap.add_argument("--cap", type=float, default=120, help="seconds cap per timed loop [120]")
    ap.add_argument("--show", type=int, default=5, help="print the first N queries")
    ap.add_argument("--profile", action="store_true", help="profile SearchEngine.search")
    args = ap.parse_args(argv)
    sc.header("bench_query: in-process latency, top 10 with snippets")
    qm = sc.QueryMaker(sc.sgm_files(sc.reuters_dir()))
    queries = qm.queries(args.queries, args.seed)
    print(
        f"   {len(queries)} queries (seed {args.seed}, vocabulary {len(qm.vocabulary)} words), "
        f"e.g. {queries[: args.show]}"
    )
    ours_dir, naive_dir, why = build_indexes(args.out, args.reuse)
    ours = {"missing": why} if why else measure_searchsvc(ours_dir, queries, args.cap)
    naive = measure_naive(naive_dir, queries, args.cap)

    heads = ["engine", "queries", "p50 ms", "p95 ms", "CPU p50", "CPU p95", "mean ms", "max ms"]
    heads += ["cold ms", "0-hit"]
    rows = [row("naive Whoosh (searcher/query + highlights)", *naive["full"], naive["cold"])]
    if "missing" in ours:
        rows.append(["searchsvc SearchEngine", "NOT MEASURED", *["-"] * 8])
    else:
        rows.append(row("searchsvc SearchEngine (snippets+facets)", *ours["full"], ours["cold"]))
        rows.append(row("searchsvc (snippets=False, facets=False)", *ours["bare"], None))
    print()
    print(sc.table(heads, rows))
    print()
    if "missing" in ours:
        print(f"searchsvc NOT MEASURED: {ours['missing']}")
        return 1
    lat, nlat = ours["full"][0], naive["full"][0]
    p50, p95 = sc.pct(lat, 50), sc.pct(lat, 95)
    print(
        f"ratio searchsvc/naive latency: p50 {sc.ratio(p50, sc.pct(nlat, 50)):.2f}x  "
        f"p95 {sc.ratio(p95, sc.pct(nlat, 95)):.2f}x  cold "
        f"{sc.ratio(ours['cold'], naive['cold']):.2f}x  (below 1 = searchsvc faster)"
    )
    cpu50, ncpu50 = sc.pct(ours["full"][2], 50), sc.pct(naive["full"][2], 50)
    print(
        f"CPU p50 {cpu50:.2f} ms against naive {ncpu50:.2f} ms: "
        f"{sc.ratio(cpu50, ncpu50):.2f}x (load-proof)"
    )
    print(
        f"target p50 <= 3 ms: {sc.verdict(p50 <= 3)} (wall), {sc.verdict(cpu50 <= 3)} (CPU)   "
        f"target p95 <= 15 ms: {sc.verdict(p95 <= 15)}"
    )
    slow = sorted(zip(lat, queries, strict=False), reverse=True)[:5]
    print("slowest searchsvc queries: " + ", ".join(f"{q!r} {ms:.1f} ms" for ms, q in slow))
    if args.profile:
        from searchsvc.contract import SearchRequest

        engine = ours["engine"]
        sc.profile(lambda: [engine.search(SearchRequest(q=q, per_page=10)) for q in queries])
    return 0


if __name__ == "__main__":
    sys.exit(main())
