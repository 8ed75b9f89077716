"""Query latency of both backends in one run: Whoosh index on disk against a local Typesense server.

The 300 reproducible one- to three-word queries of bench_query.py (Reuters title words with
document frequency in [5, 5000]) on Reuters x1, through each backend's engine as the web app
calls it (`open_engine(settings).search`): a full page (top 10, snippets, facets, near-duplicate
folding) and a bare one (no snippets, no facets). The two backends alternate query by query, so
a busy machine slows both alike. Typesense round trips per query are counted too, with the
multi_search requests they took (a round may send two at once) and the time Typesense itself
reports (`search_time_ms`, summed over a query's searches; the rest is HTTP, the client and
searchsvc's own work).

    bench/.venv/bin/python bench/bench_backends.py [--queries 300] [--reuse]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import speed_common as sc

KEY = "bench-key"


def typesense_settings(node_url: str, out: Path):
    """Return Settings of the Typesense backend on the local server."""
    from searchsvc.config import Settings

    return Settings(
        backend="typesense", typesense_url=node_url, typesense_api_key=KEY, index_dir=out / "ts-1x"
    )


def main(argv: list[str] | None = None) -> int:
    """Index Reuters x1 on both backends, run the queries alternately, print p50/p95 and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=sc.QUERY_SEED)
    ap.add_argument("--out", type=Path, default=sc.OUT / "indexes")
    ap.add_argument("--reuse", action="store_true", help="reuse the Whoosh index built earlier")
    args = ap.parse_args(argv)
    from searchsvc.backends import index_with, open_engine
    from searchsvc.config import Settings
    from searchsvc.contract import SearchRequest
    from searchsvc.typesense.server import Node

    sc.header("bench_backends: Whoosh and Typesense backends, Reuters x1, same run")
    queries = sc.QueryMaker(sc.sgm_files(sc.reuters_dir())).queries(args.queries, args.seed)
    print(f"   {len(queries)} queries (seed {args.seed}), e.g. {queries[:5]}")
    corpus = sc.sgm_corpus(args.out / "corpus-1x", sc.sgm_files(sc.reuters_dir()), 1)
    whoosh = Settings(index_dir=args.out / "whoosh-backend-1x")
    if not (args.reuse and (whoosh.index_dir / "CURRENT").exists()):
        t0 = time.perf_counter()
        summary = index_with(whoosh, corpus, rebuild=True)
        print(f"   Whoosh: {summary.documents:,} docs in {time.perf_counter() - t0:.1f} s")
    data = args.out / "typesense-bench" / "data"
    shutil.rmtree(data, ignore_errors=True)  # rebuilt below; an old one takes long to reload
    node = Node(data, KEY).start()
    try:
        node.wait_healthy()
        ts = typesense_settings(node.url, args.out)
        t0 = time.perf_counter()
        summary = index_with(ts, corpus, rebuild=True)
        print(f"   Typesense: {summary.documents:,} docs in {time.perf_counter() - t0:.1f} s")
        engines = {
            "whoosh": open_engine(whoosh),
            "typesense": open_engine(ts),
        }
        modes = {"full": {}, "bare": {"snippets": False, "facets": False}}
        lat = {(b, m): [] for b in engines for m in modes}
        trips: Counter = Counter()
        requests: Counter = Counter()
        server = {m: [] for m in modes}
        tops: dict = {}
        for q in queries[-20:]:  # warm-up, not counted
            for e in engines.values():
                e.search(SearchRequest(q=q))
        for mode, extra in modes.items():
            for q in queries:
                for name, e in engines.items():
                    t = time.perf_counter()
                    page = e.search(SearchRequest(q=q, per_page=10, **extra))
                    lat[(name, mode)].append((time.perf_counter() - t) * 1000)
                    tops[(name, mode, q)] = ([h.id for h in page.hits], page.total)
                    if name == "typesense":
                        trips[(mode, e.trips)] += 1
                        requests[(mode, e.requests)] += 1
                        server[mode].append(e.server_ms)
    finally:
        node.stop()
    heads = ["backend", "mode", "queries", "p50 ms", "p95 ms", "mean ms"]
    rows = []
    for (name, mode), ms in lat.items():
        rows.append([name, mode, len(ms), sc.fmt(sc.pct(ms, 50), 2), sc.fmt(sc.pct(ms, 95), 2),
                     sc.fmt(sum(ms) / len(ms), 2)])  # fmt: skip
    print()
    print(sc.table(heads, rows))
    for mode in modes:
        w, t = lat[("whoosh", mode)], lat[("typesense", mode)]
        print(
            f"{mode}: Typesense/Whoosh p50 {sc.ratio(sc.pct(t, 50), sc.pct(w, 50)):.2f}x, "
            f"p95 {sc.ratio(sc.pct(t, 95), sc.pct(w, 95)):.2f}x"
        )
    print("Typesense round trips per query (mode, trips): count", dict(sorted(trips.items())))
    print("multi_search requests per query (mode, requests): count", dict(sorted(requests.items())))
    for mode, ms in server.items():
        whole = sc.pct(lat[("typesense", mode)], 50)
        print(
            f"{mode}: Typesense's own search time per query p50 {sc.pct(ms, 50):.1f} ms, "
            f"p95 {sc.pct(ms, 95):.1f} ms (the whole query's p50: {whole:.1f} ms)"
        )
    same = (
        [tops[("whoosh", "bare", q)] for q in queries],
        [tops[("typesense", "bare", q)] for q in queries],
    )
    first = sum(w[0][:1] == t[0][:1] for w, t in zip(*same, strict=True))
    overlap = [len(set(w[0][:5]) & set(t[0][:5])) for w, t in zip(*same, strict=True)]
    totals = sum(w[1] == t[1] for w, t in zip(*same, strict=True))
    mean = sum(overlap) / len(overlap)
    print(
        f"same first hit {first}/{len(queries)}; top-5 overlap mean {mean:.2f}, "
        f">= 4 in {sum(o >= 4 for o in overlap)}/{len(queries)}; same total {totals}/{len(queries)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
