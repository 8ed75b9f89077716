"""Scale: Reuters-21578 replicated N times (--copies, default 5; 20: 431,560 stories) against x1.

A corpus of folders copy1..copyN, each holding copies of the 22 .sgm files (ids are path-based, so
all distinct), is indexed with index_corpus(rebuild=True); then the same 300 queries run in-process
(top 10 with snippets and facets) and a real `searchsvc serve` (2 workers) gets a bounded query
load, after which each worker's memory is read from /proc (RSS, PSS, and USS: the private pages,
what a worker alone costs; the mapped index belongs to the page cache, so the USS target is
checked without the index pages only one worker happens to map). At Nx, adding 1,000 new
articles with `searchsvc index` is timed, and with --http bench_http.py compares the server with
the tantivy app over the same stories at both sizes. Everything is printed beside the 1x figures.
Targets (issue 16): p50 growth <= 2.5x, p95 growth <= 4x, worker USS <= 300 MB, +1,000 articles
<= 20 s, indexing >= 3,000 docs/s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import speed_common as sc
from bench_http import load
from bench_query import open_engine, timed
from updates import update_figures

PIECES = (
    ("engine.indexer", "index_corpus"),
    ("engine.store", "Store"),
    ("engine.search", "SearchEngine"),
)


def build(out: Path, copies: int, reuse: bool, files: int = 0) -> dict:
    """Build (or reuse) the searchsvc index of Reuters x copies; return its figures."""
    index_dir = out / f"searchsvc-{copies}x"
    if reuse and (index_dir / "CURRENT").exists():
        return {"dir": index_dir, "docs": None, "seconds": None}
    index_corpus = sc.project_piece("engine.indexer", "index_corpus")
    if isinstance(index_corpus, str):
        return {"dir": index_dir, "missing": index_corpus}
    corpus = sc.sgm_corpus(out / f"corpus-{copies}x", sc.sgm_files(sc.reuters_dir(), files), copies)
    if index_dir.exists():
        shutil.rmtree(index_dir)
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int | None = None, path: str = "") -> None:
        if time.monotonic() - last[0] > 15:
            last[0] = time.monotonic()
            print(
                f"   x{copies}: {done}/{total} files, {time.perf_counter() - t0:.0f} s", flush=True
            )

    print(f"   indexing Reuters x{copies} ...", flush=True)
    s = index_corpus(corpus, index_dir, rebuild=True, progress=progress)
    seconds = time.perf_counter() - t0
    print(f"   x{copies}: {s.documents:,} docs in {seconds:.1f} s", flush=True)
    size = sc.dir_size(index_dir)  # the build's own size, before the update adds generations
    return {"dir": index_dir, "docs": s.documents, "seconds": seconds, "bytes": size}


def query_figures(index_dir: Path, queries: list[str], cap: float) -> dict:
    """Return p50/p95 (ms) of SearchEngine.search with snippets over queries, after a warm-up."""
    from searchsvc.contract import SearchRequest

    engine = open_engine(index_dir)
    if isinstance(engine, str):
        return {"missing": engine}

    def one(q: str) -> int:
        return len(engine.search(SearchRequest(q=q, per_page=10)).hits)

    timed(one, queries[-20:], cap)
    lat, _hits, _cpu = timed(one, queries, cap)
    docs = engine.store.searcher().doc_count()
    return {"p50": sc.pct(lat, 50), "p95": sc.pct(lat, 95), "n": len(lat), "docs": docs}


def server_rss(index_dir: Path, queries: list[str], cap: float) -> dict:
    """Serve index_dir with 2 workers, send the queries with 2 clients; return worker memory."""
    port = sc.free_port()
    cmd = [
        sys.executable,
        "-m",
        "searchsvc",
        "serve",
        "--index",
        str(index_dir),
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    log = sc.OUT / "scale-serve.log"
    proc = sc.start_server(cmd, f"http://127.0.0.1:{port}/healthz", log)
    try:
        sc.wait_ready(log, 2)  # both workers take connections, as before they warmed at start
        r = load(port, "/api/search", queries, 2, cap)
        mem = [sc.memory_mb(p, index_dir) for p in sc.workers(proc.pid)]
    finally:
        sc.stop_server(proc)
    return {
        "rss": [m["rss"] for m in mem],
        "pss": [m["pss"] for m in mem],
        "uss": [m["uss"] for m in mem],
        "uss_index": [m["uss_index"] for m in mem],
        "anon": [m["anon"] for m in mem],
        "errors": len(r["errors"]),
        "requests": r["requests"],
    }


def main(argv: list[str] | None = None) -> int:
    """Build 1x and Nx, measure both and print the comparison with the targets."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--copies", type=int, default=5, help="replication factor [5]")
    ap.add_argument("--out", type=Path, default=sc.OUT / "indexes", help="index cache folder")
    ap.add_argument("--reuse", action="store_true", help="reuse indexes built earlier")
    ap.add_argument(
        "--files", type=int, default=0, help="only the first N .sgm files (quick check)"
    )
    ap.add_argument("--cap", type=float, default=120, help="seconds cap per query loop [120]")
    ap.add_argument("--http-requests", type=int, default=1000, help="requests before RSS [1000]")
    ap.add_argument(
        "--http",
        type=int,
        default=0,
        metavar="N",
        help="then run bench_http.py at x1 and xN, N requests per cell, 8 clients, 3 rounds [off]",
    )
    ap.add_argument(
        "--update-only",
        action="store_true",
        help="only build (or reuse) the Nx index and time adding 1,000 articles",
    )
    args = ap.parse_args(argv)
    if args.update_only:
        build(args.out, args.copies, args.reuse, args.files)
        update_figures(args.copies, args.out)
        return 0
    sc.header(f"bench_scale: Reuters x1 vs x{args.copies}")
    pieces = [sc.project_piece(m, n) for m, n in PIECES]
    if sc.missing(*pieces):  # import everything up front: fail now, not after a long build
        print("searchsvc NOT MEASURED: " + "; ".join(sc.missing(*pieces)))
        return 1
    qm = sc.QueryMaker(sc.sgm_files(sc.reuters_dir()))
    queries = qm.queries(300)
    http_qs = sc.zipf_sample(qm.distinct(20_000, seed=sc.QUERY_SEED + 1), args.http_requests, 3)
    rows, figs = [], {}
    for copies in (1, args.copies):
        b = build(args.out, copies, args.reuse, args.files)
        if "missing" in b:
            print(f"searchsvc NOT MEASURED: {b['missing']}")
            return 1
        q = query_figures(b["dir"], queries, args.cap)
        if "missing" in q:
            print(f"searchsvc NOT MEASURED: {q['missing']}")
            return 1
        print(f"   x{copies}: p50 {q['p50']:.2f} ms  p95 {q['p95']:.2f} ms", flush=True)
        m = server_rss(b["dir"], queries + http_qs, args.cap)
        print(
            f"   x{copies}: workers RSS {[round(x) for x in m['rss']]} PSS "
            f"{[round(x) for x in m['pss']]} USS {[round(x) for x in m['uss']]} (of which index "
            f"pages only this worker maps {[round(x) for x in m['uss_index']]}; anonymous "
            f"{[round(x) for x in m['anon']]}) MB"
            f" after {m['requests']} requests",
            flush=True,
        )
        figs[copies] = {**b, **q, **m}
        if copies > 1:
            figs[copies]["update"] = update_figures(copies, args.out)
        rate = b["docs"] / b["seconds"] if b["seconds"] else None
        rows.append(
            [
                f"x{copies}",
                q["docs"],
                sc.fmt(b["seconds"]) if b["seconds"] else "reused",
                sc.fmt(rate, 0),
                sc.fmt((b.get("bytes") or sc.dir_size(b["dir"])) / 1e6),
                sc.fmt(q["p50"], 2),
                sc.fmt(q["p95"], 2),
                " / ".join(f"{x:.0f}" for x in m["pss"]),
                " / ".join(f"{x:.0f}" for x in m["uss"]),
                m["errors"],
            ]
        )
    print()
    heads = [
        "corpus",
        "docs",
        "index s",
        "docs/s",
        "index MB",
        "p50 ms",
        "p95 ms",
        "worker PSS MB",
        "worker USS MB",
        "http errors",
    ]
    print(sc.table(heads, rows))
    one, big = figs[1], figs[args.copies]
    growth = sc.ratio(big["p50"], one["p50"])
    uss = max(big["uss"]) if big["uss"] else float("nan")
    # the USS leaves the mapped index to the page cache: pages of it that only one
    # worker has touched so far (when one worker took both clients' connections) are not its own
    pairs = zip(big["uss"], big["uss_index"], strict=True)
    own = max((u - i for u, i in pairs), default=float("nan"))
    print()
    print(
        f"p50 growth x{args.copies}/x1: {growth:.2f}x  target <= 2.5x: {sc.verdict(growth <= 2.5)}"
        f"   p95 growth: {sc.ratio(big['p95'], one['p95']):.2f}x"
    )
    if one.get("seconds") and big.get("seconds"):
        r1, r5 = one["docs"] / one["seconds"], big["docs"] / big["seconds"]
        print(f"indexing rate x{args.copies}/x1: {sc.ratio(r5, r1):.2f}x")
    print(
        f"max worker USS at x{args.copies}: {uss:.0f} MB; without index pages only it maps: "
        f"{own:.0f} MB  target <= 300 MB: {sc.verdict(own <= 300)}"
    )
    if big.get("update"):
        add, upd = big["update"]["add_s"], big["update"]
        print(
            f"+1,000 articles at x{args.copies}: {add:.1f} s  "
            f"target <= 20 s: {sc.verdict(add <= 20)}   then the running engine's next search "
            f"{upd['next_s']:.2f} s (found: {upd['visible']})"
        )
        if upd.get("api_apply_s") is not None:
            print(
                f"write API at x{args.copies}: 10 articles applied in {upd['api_apply_s']:.2f} s, "
                f"next search {upd['api_next_s']:.2f} s (found: {upd['api_visible']}); served, "
                f"1 s after the switch: median {upd['served_median_ms']:.0f} ms"
            )
    if big.get("seconds"):
        rate = big["docs"] / big["seconds"]
        print(
            f"indexing at x{args.copies}: {rate:,.0f} docs/s  "
            f"target >= 3,000: {sc.verdict(rate >= 3000)}"
        )
    if args.http:
        import bench_http

        for copies in (1, args.copies):  # both servers over the same stories, one size at a time
            cells = ["--clients", "8", "--requests", str(args.http), "--rounds", "3"]
            bench_http.main(["--copies", str(copies), "--reuse", *cells])
    return 0


if __name__ == "__main__":
    sys.exit(main())
