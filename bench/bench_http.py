"""HTTP throughput and latency: the real `searchsvc serve` against a Flask + tantivy app.

Both run under gunicorn with 2 workers on 127.0.0.1, side by side in the same run (measured one
at a time, cell by cell, so a slow minute of this shared machine hits both alike), over
Reuters-21578 (or `--copies N` of it). A bounded client (threads, keep-alive http.client, fixed
request count and a time cap per cell) sends GET /api/search?q=..&per_page=10 with 1 and 8
concurrent clients and two query mixes: "distinct" (no query repeats within a run) and "zipf"
(a log: Zipf s=1 over a pool of 20,000 distinct queries). Targets at 8 clients (issue 16): at
x1 >= 0.75x tantivy's req/s on distinct and >= 1.0x on zipf; at larger copies >= 0.5x on
distinct; zero errors. A "cached" cell sends searchsvc one query over and over (page-cache
hits: the web layer's own cost) beside tantivy's canned JSON, and the report prints what a
search may cost at each target beside what it costs now. Worker memory is printed as RSS / PSS /
USS. Run it with bench/.venv/bin/python (tantivy lives there).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import speed_common as sc

KEYS = {"query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion"}


def load(port: int, path: str, queries: list[str], clients: int, cap_s: float) -> dict:
    """Send len(queries) GETs with `clients` threads (stop at cap_s); return the figures."""
    counter = itertools.count()
    lock = threading.Lock()
    lat: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + cap_s

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < deadline:
            i = next(counter)
            if i >= len(queries):
                break
            url = path + ("?" + urlencode({"q": queries[i], "per_page": 10}) if queries[i] else "")
            t = time.perf_counter()
            try:
                conn.request("GET", url)
                resp = conn.getresponse()
                body = resp.read()
                ms = (time.perf_counter() - t) * 1000
                if resp.status != 200:
                    raise ValueError(f"HTTP {resp.status}: {body[:120]!r}")
                if i % 25 == 0 and path.endswith("search"):
                    missing_keys = KEYS - set(json.loads(body))
                    if missing_keys:
                        raise ValueError(f"JSON lacks {sorted(missing_keys)}")
                mine.append(ms)
                if resp.will_close:
                    conn.close()
            except (OSError, ValueError, http.client.HTTPException) as err:
                with lock:
                    errors.append(f"{queries[i]!r}: {type(err).__name__}: {err}")
                conn.close()
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(cap_s + 60)
    wall = time.perf_counter() - t0
    return {
        "requests": len(lat) + len(errors),
        "ok": len(lat),
        "errors": errors,
        "wall": wall,
        "rps": len(lat) / wall if wall else 0.0,
        "p50": sc.pct(lat, 50),
        "p99": sc.pct(lat, 99),
        "capped": len(lat) + len(errors) < len(queries),
    }


def load_wrk(port: int, path: str, queries: list[str], clients: int, cap_s: float) -> dict:
    """Like load(), with the C client wrk for a fixed time (cap_s): lighter on the 2 cores.

    wrk cannot stop at a request count, so it cycles through queries; "capped" marks a cell
    that sent more requests than there are queries is marked "repeats".
    """
    import os
    import subprocess

    paths = sc.OUT / "wrk-paths.txt"
    paths.write_text(
        "".join(
            path + ("?" + urlencode({"q": q, "per_page": 10}) if q else "") + "\n" for q in queries
        )
    )
    threads = min(clients, 2)
    env = dict(os.environ, WRK_PATHS=str(paths), WRK_THREADS=str(threads))
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(clients),
        "-d",
        f"{int(cap_s)}s",
        "--timeout",
        "30s",
        "-s",
        str(sc.BENCH / "wrk_paths.lua"),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap_s + 60).stdout
    f = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    errors = [
        f"{k} errors: {f[k]}" for k in ("connect", "read", "write", "status", "timeout") if f[k]
    ]
    wall = f["us"] / 1e6
    ok = f["requests"] - f["status"]
    return {
        "requests": f["requests"],
        "ok": ok,
        "errors": errors,
        "wall": wall,
        "rps": ok / wall if wall else 0.0,
        "p50": f["p50"],
        "p99": f["p99"],
        "capped": False,
        "repeats": f["requests"] > len(queries),
    }


def servers(args, port_ours: int, port_tv: int) -> dict:
    """Return {name: (command, env, index problem)} for searchsvc and the tantivy app."""
    import os

    out = args.out.resolve()
    ours, why = sc.project_index(out, args.copies, args.reuse)
    if not why and sc.missing(sc.project_piece("web.server", "run")):
        why = sc.missing(sc.project_piece("web.server", "run"))[0]
    cmd_ours = [
        sys.executable,
        "-m",
        "searchsvc",
        "serve",
        "--index",
        str(ours),
        "--port",
        str(port_ours),
        "--workers",
        "2",
    ]
    tv_dir, tv_why = out / f"tantivy-{args.copies}x", None
    try:
        import tantivy_app

        if not (tv_dir / "meta.json").exists():
            print(f"   building tantivy index in {tv_dir} ...", flush=True)
            tantivy_app.build_index(sc.sgm_files(sc.reuters_dir()), tv_dir, args.copies)
    except ImportError as err:
        tv_why = f"tantivy is not installed in {sys.executable} ({err}); use bench/.venv"
    cmd_tv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "2",
        "-k",
        "sync",
        "-b",
        f"127.0.0.1:{port_tv}",
        "--chdir",
        str(sc.BENCH),
        "--access-logfile",
        "-",
        "tantivy_app:create_app()",
    ]
    env_tv = dict(os.environ, TANTIVY_INDEX=str(tv_dir))
    return {"searchsvc": (cmd_ours, None, why), "tantivy": (cmd_tv, env_tv, tv_why)}


def main(argv: list[str] | None = None) -> int:
    """Run every cell for both servers and print req/s, p50, p99, errors and the ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000, help="requests per cell [2000]")
    ap.add_argument("--cap", type=float, default=90, help="seconds cap per cell [90]")
    ap.add_argument("--clients", default="1,8", help="concurrency levels [1,8]")
    ap.add_argument("--out", type=Path, default=sc.OUT / "indexes", help="index cache folder")
    ap.add_argument("--reuse", action="store_true", help="reuse a searchsvc index built earlier")
    ap.add_argument("--copies", type=int, default=1, help="Reuters replicated N times [1]")
    ap.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="load client: Python threads (checks every JSON shape) or wrk [python]",
    )
    ap.add_argument(
        "--py-spy",
        type=float,
        default=0,
        metavar="S",
        help="record a searchsvc worker with py-spy for S seconds under zipf load",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every cell this many times, the two servers alternating, each round on\n"
        "fresh queries; figures merge the rounds, and each round's ratios are printed [1]",
    )
    args = ap.parse_args(argv)
    sc.header(
        f"bench_http: searchsvc serve vs Flask+tantivy, 2 workers each, Reuters x{args.copies}"
    )
    levels = [int(c) for c in args.clients.split(",")]
    qm = sc.QueryMaker(sc.sgm_files(sc.reuters_dir()))
    n, rounds = args.requests, max(1, args.rounds)
    fresh = qm.distinct(200 + n * len(levels) * rounds, seed=sc.QUERY_SEED + 2)
    warm, distinct = fresh[:200], fresh[200:]
    pool = qm.distinct(20_000, seed=sc.QUERY_SEED + 1)
    print(
        f"   distinct mix: {len(distinct):,} unique queries; zipf mix: pool of {len(pool):,}, "
        f"{n:,} draws per cell; {n:,} requests per cell, cap {args.cap:.0f}s; "
        f"{rounds} round(s), the servers alternating cell by cell",
        flush=True,
    )
    client = load_wrk if args.client == "wrk" else load
    print(f"   client: {args.client}", flush=True)
    ports = {"searchsvc": sc.free_port(), "tantivy": sc.free_port()}
    problems: dict = {}
    procs: dict = {}
    try:
        for name, (cmd, env, why) in servers(args, ports["searchsvc"], ports["tantivy"]).items():
            if why:
                problems[name] = why
                continue
            log = sc.OUT / f"http-{name}.log"
            try:
                procs[name] = sc.start_server(
                    cmd, f"http://127.0.0.1:{ports[name]}/healthz", log, env
                )
                if name == "searchsvc":
                    sc.wait_ready(log, 2)  # both workers have the index open
            except RuntimeError as err:
                problems[name] = str(err)
        for name in procs:
            load(ports[name], "/api/search", warm, 2, args.cap)
        by_round = []
        for k_round in range(rounds):
            got: dict = {}
            for mix in ("distinct", "zipf"):
                for k, c in enumerate(levels):
                    cell = k_round * len(levels) + k
                    qs = (
                        distinct[cell * n : (cell + 1) * n]
                        if mix == "distinct"
                        else sc.zipf_sample(pool, n, seed=sc.QUERY_SEED + 10 + k + 100 * k_round)
                    )
                    for name in procs:  # one server, then the other, on the same queries
                        r = got[(name, mix, c)] = client(
                            ports[name], "/api/search", qs, c, args.cap
                        )
                        print(
                            f"   {name:9s} {mix:8s} c={c}: {r['rps']:.0f} req/s  p50 "
                            f"{r['p50']:.1f} ms  p99 {r['p99']:.1f} ms  errors "
                            f"{len(r['errors'])}",
                            flush=True,
                        )
            by_round.append(got)
        results = merge_rounds(by_round)
        if "tantivy" in procs:
            for c in levels:
                results[("canned", "canned", c)] = client(
                    ports["tantivy"], "/api/canned", [""] * n, c, args.cap
                )
        if "searchsvc" in procs:  # one query over and over: page-cache hits, the web layer's cost
            for c in levels:
                results[("searchsvc", "cached", c)] = client(
                    ports["searchsvc"], "/api/search", [warm[0]] * n, c, args.cap
                )
        for name, proc in procs.items():
            results[(name, "rss")] = [sc.memory_mb(p) for p in sc.workers(proc.pid)]
        if "searchsvc" in procs and args.py_spy:
            spy(procs["searchsvc"].pid, ports["searchsvc"], pool, args.py_spy)
    finally:
        for proc in procs.values():
            sc.stop_server(proc)
    report(results, problems, levels, args.copies)
    if rounds > 1:
        round_ratios(by_round, levels)
    return 1 if problems else 0


def merge_rounds(by_round: list[dict]) -> dict:
    """Return one figure per cell over all rounds: requests and time summed, the median p50
    and the worst p99 of the rounds, every error."""
    merged: dict = {}
    for key in by_round[0]:
        cells = [got[key] for got in by_round]
        ok, wall = sum(r["ok"] for r in cells), sum(r["wall"] for r in cells)
        merged[key] = {
            **cells[0],
            "requests": sum(r["requests"] for r in cells),
            "ok": ok,
            "wall": wall,
            "rps": ok / wall if wall else 0.0,
            "p50": sorted(r["p50"] for r in cells)[len(cells) // 2],
            "p99": max(r["p99"] for r in cells),
            "errors": [e for r in cells for e in r["errors"]],
            "capped": any(r["capped"] for r in cells),
        }
    return merged


def round_ratios(by_round: list[dict], levels: list[int]) -> None:
    """Print searchsvc/tantivy req/s of every round and their median, per mix (at most clients)."""
    c = max(levels)
    for mix in ("zipf", "distinct"):
        ratios = [
            sc.ratio(got[("searchsvc", mix, c)]["rps"], got[("tantivy", mix, c)]["rps"])
            for got in by_round
            if ("searchsvc", mix, c) in got and ("tantivy", mix, c) in got
        ]
        if ratios:
            each = ", ".join(f"{r:.2f}x" for r in ratios)
            median = sorted(ratios)[len(ratios) // 2]
            print(f"ratio by round {mix:8s} c={c}: {each}  median {median:.2f}x")


# The targets, at the highest concurrency: searchsvc's req/s over tantivy's.
TARGETS = {1: {"distinct": 0.75, "zipf": 1.0}, "large": {"distinct": 0.5}}


def budget(results: dict, targets: dict, c: int) -> None:
    """Print what a search may cost to meet each target, beside what it costs now.

    A request's share of the two workers is 1000 / req/s ms. A cached page (one query repeated:
    parameters, the page cache, JSON, headers, the query log, gunicorn and gevent) is the
    web layer's part; the rest of a searched request is the search itself.
    """
    cached = results.get(("searchsvc", "cached", c))
    if not cached or not cached["rps"]:
        return
    web = 1000 / cached["rps"]
    print(f"searchsvc cached page c={c}: {cached['rps']:.0f} req/s, {web:.2f} ms a request")
    for mix, need in targets.items():
        a, b = results.get(("searchsvc", mix, c)), results.get(("tantivy", mix, c))
        if not (a and b and a["rps"] and b["rps"]):
            continue
        allowed, now = 1000 / (need * b["rps"]), 1000 / a["rps"]
        print(
            f"   {mix:8s} {need}x of tantivy: {allowed:.2f} ms a request, now {now:.2f}; "
            f"beyond a cached page {allowed - web:.2f} ms, now {now - web:.2f} "
            f"({(now - web) / max(allowed - web, 1e-9):.1f}x the budget)"
        )


def report(results: dict, problems: dict, levels: list[int], copies: int = 1) -> None:
    """Print the table, the ratios and the target verdicts."""
    heads = ["server", "mix", "clients", "requests", "req/s", "p50 ms", "p99 ms", "errors"]
    rows = []
    for (name, mix, *rest), r in results.items():
        if mix == "rss":
            continue
        rows.append(
            [
                name,
                mix,
                rest[0],
                r["requests"],
                sc.fmt(r["rps"], 0),
                sc.fmt(r["p50"], 1),
                sc.fmt(r["p99"], 1),
                f"{len(r['errors'])}{' (time cap)' if r['capped'] else ''}"
                f"{' (repeats)' if r.get('repeats') else ''}",
            ]
        )
    for name in problems:
        rows.append([name, "NOT MEASURED", "-", "-", "-", "-", "-", "-"])
    print()
    print(sc.table(heads, rows))
    for name in ("searchsvc", "tantivy"):
        if (name, "rss") in results:
            print(
                f"{name} workers after load (RSS / PSS / USS MB): "
                + ", ".join(
                    f"{m['rss']:.0f} / {m['pss']:.0f} / {m['uss']:.0f}"
                    for m in results[(name, "rss")]
                )
            )
    for name, why in problems.items():
        print(f"{name} NOT MEASURED: {why}")
    print()
    targets = TARGETS[1] if copies == 1 else TARGETS["large"]
    for mix in ("zipf", "distinct"):
        need = targets.get(mix)
        for c in levels:
            a, b = results.get(("searchsvc", mix, c)), results.get(("tantivy", mix, c))
            if not (a and b):
                continue
            r = sc.ratio(a["rps"], b["rps"])
            target = ""
            if need and c == max(levels):
                target = f"  target >= {need}x: {sc.verdict(r >= need)}"
            print(f"ratio req/s searchsvc/tantivy {mix:8s} c={c}: {r:.2f}x{target}")
    budget(results, targets, max(levels))
    ours = [r for (name, mix, *_), r in results.items() if name == "searchsvc" and mix != "rss"]
    if ours:
        top = [
            r
            for (name, mix, *rest), r in results.items()
            if name == "searchsvc" and mix != "rss" and rest[0] == max(levels)
        ]
        p99 = max(r["p99"] for r in top) if top else float("nan")
        errs = sum(len(r["errors"]) for r in ours)
        print(
            f"searchsvc worst p99 at {max(levels)} clients: {p99:.1f} ms  target < 100 ms: "
            f"{sc.verdict(p99 < 100)}   errors: {errs}  target 0: {sc.verdict(errs == 0)}"
        )
        for r in ours:
            for e in r["errors"][:3]:
                print(f"   error: {e}")


def spy(master: int, port: int, pool: list[str], seconds: float) -> None:
    """Record one searchsvc worker with py-spy while 8 clients send zipf load; print hotspots."""
    import shutil
    import subprocess

    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    worker = sc.children(master)[0]
    raw = sc.OUT / "py-spy-searchsvc.txt"
    rec = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(worker),
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load(port, "/api/search", sc.zipf_sample(pool, 100_000, seed=7), 8, seconds + 1)
    rec.wait(60)
    sc.print_collapsed(raw)


if __name__ == "__main__":
    sys.exit(main())
