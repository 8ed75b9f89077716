"""Relevance benchmark: searchsvc and reference engines on four test collections (nDCG@10, ...).

Run from the repository root, in the benchmark venv (see bench/README.md):
    bench/.venv/bin/python bench/relevance.py [--collection all] [--engines ...] [--keep DIR]
    bench/.venv/bin/python bench/relevance.py --loo [--keep DIR]   # parameters chosen out of sample
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import bench.* from the repo root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import eval_collections as evalcols
from bench import loo
from searchsvc.evaluate import evaluate, read_run, run_topics, write_run

ENGINES = ("searchsvc", "searchsvc-cli", "whoosh-and", "whoosh-or", "bm25s", "tantivy")
LIMIT = 1000
# CISI's queries are abstracts: 16 exceed the 1000-character default. The benchmark scores the
# ranking of every query, so it lifts the length limits (the "errors" column shows rejections).
BENCH_SETTINGS = {"max_per_page": LIMIT, "max_query_chars": 100_000, "max_query_terms": 10_000}


class Skip(Exception):
    """An engine that cannot run here (package or module missing); the message says why."""


# --------------------------------------------------------------------------- reference engines


def whoosh_engine(docs: list[dict], work: Path, grouping: str):
    """Plain Whoosh as a typical app uses it: StemmingAnalyzer, MultifieldParser(title, body)."""
    from whoosh import index, qparser
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer()),
        body=TEXT(analyzer=StemmingAnalyzer()),
    )
    path = work / f"whoosh-{grouping}"
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), schema)
    with ix.writer(limitmb=256) as w:
        for d in docs:
            w.add_document(id=d["id"], title=d["title"], body=d["body"])
    group = qparser.OrGroup if grouping == "or" else qparser.AndGroup
    parser = qparser.MultifieldParser(["title", "body"], schema=ix.schema, group=group)
    searcher = ix.searcher()

    def search(text: str, limit: int) -> list[tuple[str, float]]:
        return [(h["id"], h.score) for h in searcher.search(parser.parse(text), limit=limit)]

    return search


def bm25s_engine(docs: list[dict], work: Path):
    """bm25s (Lucene BM25, k1=1.5, b=0.75) with English stop words and the Snowball stemmer."""
    try:
        import bm25s
        import Stemmer
    except ImportError as exc:
        raise Skip(f"bm25s not installed ({exc}); use the bench venv, see bench/README.md") from exc
    stemmer = Stemmer.Stemmer("english")
    ids = [d["id"] for d in docs]
    tokens = bm25s.tokenize(
        [f"{d['title']}\n{d['body']}" for d in docs],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)

    def search(text: str, limit: int) -> list[tuple[str, float]]:
        q = bm25s.tokenize(
            [text], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        found, scores = retriever.retrieve(q, k=min(limit, len(ids)), show_progress=False)
        # bm25s always returns k documents; those scoring 0 match no query term: not hits.
        return [(ids[i], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    return search


def tantivy_engine(docs: list[dict], work: Path):
    """tantivy with the en_stem tokenizer, default (OR) query parser over title and body."""
    try:
        import tantivy
    except ImportError as exc:
        raise Skip(
            f"tantivy not installed ({exc}); use the bench venv, see bench/README.md"
        ) from exc
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    schema = builder.build()
    path = work / "tantivy"
    path.mkdir(parents=True, exist_ok=True)
    ix = tantivy.Index(schema, path=str(path))
    writer = ix.writer(heap_size=128_000_000, num_threads=1)
    for d in docs:
        writer.add_document(tantivy.Document(id=d["id"], title=d["title"], body=d["body"]))
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    searcher = ix.searcher()

    def search(text: str, limit: int) -> list[tuple[str, float]]:
        # Lenient parsing: free text ("?", "(", ":" ...) must not make the query fail.
        query, _errors = ix.parse_query_lenient(text, ["title", "body"])
        hits = searcher.search(query, limit).hits
        return [(searcher.doc(addr)["id"][0], float(score)) for score, addr in hits]

    return search


def run_reference(search, topics: dict[str, str], timings: dict, limit: int = LIMIT) -> list:
    """Run every topic through a reference search function, timing each query."""
    rows = []
    for qid, text in topics.items():
        start = time.perf_counter()
        hits = search(text, limit)
        timings[qid] = time.perf_counter() - start
        rows.extend((qid, d, rank, s) for rank, (d, s) in enumerate(hits, 1))
    return rows


# --------------------------------------------------------------------------- searchsvc


def searchsvc_index(corpus: Path, index_dir: Path):
    """Index the corpus with searchsvc's own indexer and return a ready SearchEngine."""
    try:
        from searchsvc.config import Settings
        from searchsvc.engine.indexer import index_corpus
        from searchsvc.engine.search import SearchEngine
        from searchsvc.engine.store import Store
    except ImportError as exc:
        raise Skip(f"searchsvc's indexer or engine is not there yet ({exc})") from exc
    summary = index_corpus(corpus, index_dir, rebuild=True)
    if summary.skipped:
        print(f"  searchsvc skipped {summary.skipped[:3]}", file=sys.stderr)
    settings = Settings(index_dir=index_dir, corpus_dir=corpus, **BENCH_SETTINGS)
    return SearchEngine(Store(index_dir), settings)


def searchsvc_cli(topics: Path, index_dir: Path, out: Path) -> float:
    """Run `searchsvc search --topics --run --index` in a subprocess; return its wall seconds."""
    exe = Path(sys.executable).with_name("searchsvc")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "searchsvc"]
    cmd += ["search", "--topics", str(topics), "--run", str(out), "--index", str(index_dir)]
    env = dict(os.environ, **{f"SEARCHSVC_{k.upper()}": str(v) for k, v in BENCH_SETTINGS.items()})
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False, env=env)
    if proc.returncode != 0 or not out.exists():
        raise Skip(f"`{' '.join(cmd[-7:])}` failed ({proc.returncode}): {proc.stderr[-300:]}")
    return time.perf_counter() - start


# --------------------------------------------------------------------------- --backend

BACKEND: dict = {"name": "whoosh", "node": None}  # set by --backend in main()
TS_KEY = "bench-key"


def backend_engine(corpus: Path, work: Path):
    """Return searchsvc's engine on the --backend chosen, indexed from the corpus folder."""
    if BACKEND["name"] == "whoosh":
        return searchsvc_index(corpus, work / "index")
    return typesense_engine(corpus, work)


def typesense_engine(corpus: Path, work: Path):
    """Index the corpus on the benchmark's Typesense server; return the backend's engine.

    The same way as the Whoosh backend is reached everywhere: `index_with(settings)` and
    `open_engine(settings)`, so the run goes through TypesenseEngine.search.
    """
    from searchsvc.backends import index_with, open_engine
    from searchsvc.config import Settings

    settings = Settings(
        backend="typesense",
        typesense_url=BACKEND["node"].url,
        typesense_api_key=TS_KEY,
        index_dir=work / "ts-index",
        corpus_dir=corpus,
        **BENCH_SETTINGS,
    )
    summary = index_with(settings, corpus, rebuild=True)
    if summary.skipped:
        print(f"  typesense skipped {summary.skipped[:3]}", file=sys.stderr)
    return open_engine(settings)


def start_typesense(folder: Path):
    """Start a local Typesense server for --backend typesense; return it (call .stop())."""
    from searchsvc.typesense.server import Node

    node = Node(folder / "data", TS_KEY).start()
    node.wait_healthy()
    return node


# --------------------------------------------------------------------------- the benchmark


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank) of values, 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


REFERENCES = {
    "whoosh-and": lambda docs, work: whoosh_engine(docs, work, "and"),
    "whoosh-or": lambda docs, work: whoosh_engine(docs, work, "or"),
    "bm25s": bm25s_engine,
    "tantivy": tantivy_engine,
}


def bench_collection(col: evalcols.Collection, engines: list[str], work: Path) -> list[dict]:
    """Convert, index, run and score every engine on one collection; return table rows."""
    paths = col.write(work)
    results, engine, runs = [], None, {}
    for name in engines:
        timings: dict[str, float] = {}
        errors: dict[str, str] = {}
        index_s, p95_ms = float("nan"), float("nan")
        out = work / f"run.{name}"
        start = time.perf_counter()
        try:
            if name.startswith("searchsvc") and engine is None:
                engine = backend_engine(paths["corpus"].parent, work)
                index_s = time.perf_counter() - start
            if name == "searchsvc":
                rows = run_topics(engine, col.topics, LIMIT, timings=timings, errors=errors)
            elif name == "searchsvc-cli":
                if BACKEND["name"] != "whoosh":
                    raise Skip("the CLI run compares with the Whoosh index only")
                wall = searchsvc_cli(paths["topics"], work / "index", out)
                timings = {"all": wall / max(1, len(col.topics))}
            else:
                search = REFERENCES[name](col.docs, work)
                index_s = time.perf_counter() - start
                rows = run_reference(search, col.topics, timings)
            if name != "searchsvc-cli":
                write_run(out, rows, tag=name)
                p95_ms = p95([t * 1000 for t in timings.values()])
        except Skip as exc:
            print(f"  {col.name}: {name} skipped: {exc}", file=sys.stderr)
            continue
        runs[name] = raw = read_run(out)
        if name == "searchsvc-cli" and "searchsvc" in runs and raw != runs["searchsvc"]:
            print(f"  {col.name}: the CLI run differs from the in-process run", file=sys.stderr)
        scores = evaluate(evalcols.drop_excluded(raw, col.exclude), col.qrels)
        with (work / f"perquery.{name}.tsv").open("w") as f:
            f.write("qid\tndcg@10\tmap\tp@10\n")
            for qid, v in scores.per_query.items():
                f.write(f"{qid}\t{v['ndcg@10']:.4f}\t{v['map']:.4f}\t{v['p@10']:.4f}\n")
        results.append(
            {
                "engine": name,
                **scores.to_dict(),
                "empty": sum(1 for q in col.topics if not raw.get(q)),
                "errors": len(errors),
                "mean_ms": 1000 * sum(timings.values()) / max(1, len(timings)),
                "p95_ms": p95_ms,
                "index_s": index_s,
            }
        )
        for qid, message in list(errors.items())[:3]:
            print(f"  {name} rejected query {qid}: {message}", file=sys.stderr)
    return results


def print_table(col: evalcols.Collection, results: list[dict], note: str) -> None:
    """Print one collection's results as an aligned table."""
    judged = sum(1 for g in col.qrels.values() if any(v >= 1 for v in g.values()))
    print(f"\n{col.name}: {len(col.docs)} docs, {len(col.topics)} topics, {judged} judged{note}")
    head = f"{'engine':14s} {'nDCG@10':>7s} {'MAP':>6s} {'P@10':>6s} {'queries':>7s}"
    print(head + f" {'empty':>5s} {'errors':>6s} {'mean ms':>8s} {'p95 ms':>7s} {'index s':>7s}")
    for r in results:
        print(
            f"{r['engine']:14s} {r['ndcg@10']:7.3f} {r['map']:6.3f} {r['p@10']:6.3f}"
            f" {r['queries']:7d} {r['empty']:5d} {r['errors']:6d} {r['mean_ms']:8.2f}"
            f" {_num(r['p95_ms'], 7)} {_num(r['index_s'], 7)}"
        )


def _num(value: float, width: int) -> str:
    return f"{'-':>{width}s}" if math.isnan(value) else f"{value:{width}.2f}"


def default_data() -> Path:
    """Return the shared data folder: $SEARCHSVC_DATA or <repo>/../shared/data."""
    env = os.environ.get("SEARCHSVC_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    """Parse options, then benchmark each chosen collection and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collection", choices=[*evalcols.NAMES, "all"], default="all")
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES), metavar="E")
    ap.add_argument("--data", type=Path, default=default_data(), help="shared data folder")
    ap.add_argument("--keep", type=Path, help="keep converted files, indexes and runs here")
    ap.add_argument("--loo", action="store_true", help="leave-one-collection-out parameter table")
    ap.add_argument(
        "--minus-one",
        choices=evalcols.MINUS_ONE,
        default="exclude",
        help="Cranfield's -1 judgment (the query's source paper); default: exclude",
    )
    ap.add_argument(
        "--backend",
        choices=("whoosh", "typesense"),
        default="whoosh",
        help="searchsvc's backend for the searchsvc engine (typesense: a local server is started)",
    )
    args = ap.parse_args(argv)
    names = evalcols.NAMES if args.collection == "all" else (args.collection,)
    todo = [n for n in names if (args.data / "eval" / n).is_dir()]
    for n in sorted(set(names) - set(todo)):
        print(f"skipped {n}: no data at {args.data / 'eval' / n} (set SEARCHSVC_DATA or --data)")
    if not todo:
        return 0
    base = args.keep or Path(tempfile.mkdtemp(prefix="searchsvc-relevance-"))
    margins: dict[str, float] = {}
    BACKEND["name"] = args.backend
    if args.backend == "typesense" and not args.loo:  # --loo re-ranks the Whoosh index
        BACKEND["node"] = start_typesense(base / "typesense")
    try:
        if args.loo:
            return loo.run(todo, args, base, bench_collection, searchsvc_index)
        for name in todo:
            col = evalcols.load(name, args.data, args.minus_one)
            work = base / name
            if work.exists():
                shutil.rmtree(work)
            results = bench_collection(col, args.engines, work)
            note = f", -1 = {args.minus_one}" if name == "cranfield" else ""
            note += f", searchsvc on {args.backend}"
            print_table(col, results, note)
            margins.update(loo.print_margin(name, results, args.data))
        if margins:
            print(f"\nmean margin over the best reference: {loo.mean(margins):+.3f}")
    finally:
        if BACKEND["node"] is not None:
            BACKEND["node"].stop()
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    if args.keep:
        print(f"\nconverted files, indexes and run files kept in {args.keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
