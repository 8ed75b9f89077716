"""A minimal Flask + tantivy search app with searchsvc's JSON shape: the HTTP speed reference.

Build its index:  bench/.venv/bin/python bench/tantivy_app.py --build DIR
Serve it:         TANTIVY_INDEX=DIR gunicorn -w 2 --chdir bench 'tantivy_app:create_app()'
GET /api/search?q=..&per_page=10 returns query, total, page, per_page, took_ms, hits (id, title,
url, published, author, source, tags, score, snippet), facets (source, tags, year), suggestion.
GET /api/canned returns a fixed JSON document of the same size: the framework's ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import tantivy

STORED = ("id", "title", "url", "published", "author", "source", "tags")
TOP_TAGS = 50


def build_schema():
    """Return the tantivy schema: stemmed title/body, raw stored metadata, fast facet fields."""
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", stored=True, tokenizer_name="raw")
    b.add_text_field("title", stored=True, tokenizer_name="en_stem")
    b.add_text_field("body", stored=True, tokenizer_name="en_stem")
    for name in ("url", "published", "author"):
        b.add_text_field(name, stored=True, tokenizer_name="raw")
    for name in ("source", "tags", "year"):
        b.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    return b.build()


def build_index(files: list[Path], index_dir: Path, copies: int = 1) -> int:
    """Index the Reuters stories of files (copies times) into a fresh tantivy index."""
    from speed_common import iter_stories

    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    index = tantivy.Index(build_schema(), path=str(index_dir))
    writer = index.writer(heap_size=200_000_000, num_threads=2)
    n = 0
    for copy, s in ((c, s) for c in range(copies) for s in iter_stories(files)):
        doc = tantivy.Document(
            id=s["id"] if copy == 0 else f"{s['id']}-{copy}",
            title=s["title"],
            body=s["body"],
            url="",
            author=s["author"],
            published=s["published"] or "",
            source="Reuters",
            year=(s["published"] or "")[:4],
        )
        for tag in s["tags"]:
            doc.add_text("tags", tag)
        writer.add_document(doc)
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    return n


class TantivySearch:
    """One tantivy index per worker process: parse, search, snippets and facet aggregations."""

    def __init__(self, index_dir: str) -> None:
        self.index = tantivy.Index.open(index_dir)
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def search(self, q: str, page: int = 1, per_page: int = 10) -> dict:
        """Return one page of results in searchsvc's JSON shape."""
        t0 = time.perf_counter()
        query, _errors = self.index.parse_query_lenient(
            q, ["title", "body"], field_boosts={"title": 2.5}
        )
        res = self.searcher.search(query, limit=per_page, offset=(page - 1) * per_page)
        gen = tantivy.SnippetGenerator.create(self.searcher, query, self.schema, "body")
        gen.set_max_num_chars(200)
        hits = []
        for score, addr in res.hits:
            doc = self.searcher.doc(addr)
            f = doc.to_dict()
            hits.append(
                {
                    "id": f["id"][0],
                    "title": f.get("title", [""])[0],
                    "url": f["url"][0] or "",
                    "published": f["published"][0] or None,
                    "author": f["author"][0],
                    "source": f["source"][0],
                    "tags": f.get("tags", []),
                    "score": round(score, 4),
                    "snippet": gen.snippet_from_doc(doc).to_html(),
                }
            )
        aggs = self.searcher.aggregate(
            query,
            {
                "source": {"terms": {"field": "source", "size": 20}},
                "tags": {"terms": {"field": "tags", "size": TOP_TAGS}},
                "year": {"terms": {"field": "year", "size": 100}},
            },
        )
        facets = {
            name: {b["key"]: b["doc_count"] for b in aggs[name]["buckets"] if b["key"]}
            for name in ("source", "tags", "year")
        }
        return {
            "query": q,
            "total": res.count,
            "page": page,
            "per_page": per_page,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2),
            "hits": hits,
            "facets": facets,
            "suggestion": None,
        }


def create_app(index_dir: str | None = None):
    """Return the Flask app over the tantivy index in index_dir (default: env TANTIVY_INDEX)."""
    from flask import Flask, Response, jsonify, request

    app = Flask(__name__)
    engine = TantivySearch(index_dir or os.environ["TANTIVY_INDEX"])
    canned = json.dumps(engine.search("oil prices"))

    @app.get("/api/search")
    def search():
        page = max(1, min(1000, request.args.get("page", 1, type=int)))
        per_page = max(1, min(100, request.args.get("per_page", 10, type=int)))
        return jsonify(engine.search(request.args.get("q", "")[:1000], page, per_page))

    @app.get("/api/canned")
    def canned_json():
        return Response(canned, mimetype="application/json")

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "documents": engine.searcher.num_docs})

    return app


def main(argv: list[str] | None = None) -> int:
    """Build the tantivy index of Reuters (--build DIR) or run one query against it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import speed_common as sc

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", type=Path, help="build the index of Reuters into this folder")
    ap.add_argument("--index", type=Path, help="query this index")
    ap.add_argument("-q", default="oil prices", help="query to run with --index")
    args = ap.parse_args(argv)
    if args.build:
        t0 = time.perf_counter()
        n = build_index(sc.sgm_files(sc.reuters_dir()), args.build)
        print(f"{n} docs indexed into {args.build} in {time.perf_counter() - t0:.1f} s")
    if args.index:
        print(json.dumps(TantivySearch(str(args.index)).search(args.q), indent=1)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
