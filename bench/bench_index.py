"""Index raw Reuters-21578 SGML end to end: searchsvc's index_corpus against the naive pipeline.

The naive pipeline (measured in the same run) is BeautifulSoup(html.parser) over each file plus one
default Whoosh writer with a StemmingAnalyzer schema. Targets: >= 2,000 docs/s and >= 5x naive.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import speed_common as sc
from naive import naive_index


def run_project(corpus: Path, index_dir: Path, procs: int) -> dict:
    """Rebuild the searchsvc index of corpus; return documents, seconds and skips."""
    index_corpus = sc.project_piece("engine.indexer", "index_corpus")
    if isinstance(index_corpus, str):
        return {"missing": index_corpus}
    if index_dir.exists():
        shutil.rmtree(index_dir)
    t0, c0 = time.perf_counter(), cpu_seconds()
    summary = index_corpus(corpus, index_dir, rebuild=True, procs=procs)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return {
        "documents": summary.documents,
        "seconds": seconds,
        "cpu": cpu,
        "skipped": summary.skipped,
    }


def cpu_seconds() -> float:
    """Return the CPU seconds used so far by this process and its finished children."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def check_searchable(index_dir: Path) -> str:
    """Return a one-line proof that the built index answers a query (or why not)."""
    store_cls = sc.project_piece("engine.store", "Store")
    engine_cls = sc.project_piece("engine.search", "SearchEngine")
    if sc.missing(store_cls, engine_cls):
        return "; ".join(sc.missing(store_cls, engine_cls))
    from searchsvc.config import Settings
    from searchsvc.contract import SearchRequest

    engine = engine_cls(store_cls(index_dir), Settings.from_env(index_dir=index_dir))
    page = engine.search(SearchRequest(q="cocoa", per_page=3))
    return f"query 'cocoa' -> {page.total} hits, first: {page.hits[0].title if page.hits else '-'}"


def main(argv: list[str] | None = None) -> int:
    """Run both pipelines once on the same files and print docs/s, seconds, size and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--files", type=int, default=0, help="use only the first N .sgm files (0 = all 22)"
    )
    ap.add_argument("--procs", type=int, default=0, help="index_corpus procs (0 = its default)")
    ap.add_argument(
        "--out",
        type=Path,
        default=sc.OUT / "indexes",
        help="work folder; with all files, its searchsvc-1x is what the other benchmarks --reuse",
    )
    ap.add_argument("--profile", action="store_true", help="also profile index_corpus with py-spy")
    args = ap.parse_args(argv)
    sc.header("bench_index: Reuters SGML -> searchable index")
    files = sc.sgm_files(sc.reuters_dir(), args.files)
    tag = "1x" if not args.files else f"{args.files}files"
    corpus = sc.sgm_corpus(args.out / f"corpus-{tag}", files)
    ours_dir, naive_dir = args.out / f"searchsvc-{tag}", args.out / f"naive-{tag}"
    print(f"   corpus: {len(files)} .sgm files, {sum(f.stat().st_size for f in files):,} bytes")

    ours = run_project(corpus, ours_dir, args.procs)
    print("   searchsvc done" if "missing" not in ours else f"   {ours['missing']}", flush=True)
    c0 = cpu_seconds()
    naive = naive_index(files, naive_dir)
    naive["cpu"] = cpu_seconds() - c0
    print("   naive done", flush=True)

    rows = []
    naive_rate = naive["documents"] / naive["seconds"]
    naive_mb = sc.dir_size(naive_dir) / 1e6
    rows.append(
        [
            "naive (BS4 html.parser + Whoosh ix.writer())",
            naive["documents"],
            sc.fmt(naive["seconds"]),
            sc.fmt(naive["cpu"]),
            sc.fmt(naive_rate, 0),
            sc.fmt(naive_mb),
        ]
    )
    rate = float("nan")
    if "missing" in ours:
        rows.append(["searchsvc index_corpus", "NOT MEASURED", "-", "-", "-", "-"])
    else:
        rate = ours["documents"] / ours["seconds"]
        mb = sc.dir_size(ours_dir) / 1e6
        rows.append(
            [
                f"searchsvc index_corpus(rebuild, procs={args.procs or 'default'})",
                ours["documents"],
                sc.fmt(ours["seconds"]),
                sc.fmt(ours["cpu"]),
                sc.fmt(rate, 0),
                sc.fmt(mb),
            ]
        )
    print()
    print(sc.table(["pipeline", "docs", "seconds", "CPU s", "docs/s", "index MB"], rows))
    print()
    if "missing" in ours:
        print(f"searchsvc NOT MEASURED: {ours['missing']}")
        return 1
    r = sc.ratio(rate, naive_rate)
    print(f"ratio docs/s searchsvc/naive: {r:.2f}x")
    cpu_r = sc.ratio(ours["documents"] / ours["cpu"], naive["documents"] / naive["cpu"])
    print(f"ratio docs per CPU second searchsvc/naive: {cpu_r:.2f}x (all processes; load-proof)")
    print(
        f"target >= 2,000 docs/s: {sc.verdict(rate >= 2000)}   target >= 5x naive: "
        f"{sc.verdict(r >= 5)}"
    )
    if ours["skipped"]:
        print(f"searchsvc skipped {len(ours['skipped'])}: {ours['skipped'][:3]}")
    print(f"searchable: {check_searchable(ours_dir)}")
    if args.profile:
        code = (
            "import sys; from searchsvc.engine.indexer import index_corpus; "
            "index_corpus(sys.argv[1], sys.argv[2], rebuild=True, procs=int(sys.argv[3]))"
        )
        cmd = [sys.executable, "-c", code, str(corpus), str(args.out / "profile-index")]
        sc.spy_command([*cmd, str(args.procs)], sc.OUT / "py-spy-index.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
