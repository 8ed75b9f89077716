"""Merged term arrays (engine/w3/merged.py) answer exactly as the per-segment arrays do.

A real index of several bulk segments, with an update that deletes and adds documents, is
copied; the copy gets merged arrays over its leading segments. Every kind of query (terms,
proximity pairs, RM3 feedback, phrases, prefixes, a word too long for the arrays, filters,
completions) must give the same page on both, scores included.
"""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from searchsvc.contract import SearchRequest
from searchsvc.engine import columns, facets, w3
from searchsvc.engine.generations import read_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.engine.w3 import merged, segments

WORDS = [
    *("oil", "price", "crude", "wheat", "grain", "export", "bank", "rate", "cup", "world"),
    *("final", "league", "minister", "election", "vote", "council", "river", "flood"),
    *("storm", "market", "share", "profit", "loss", "trade", "union"),
]
LONG = "pneumonoultramicroscopicsilicovolcanoconiosisextraordinarily"  # > 40 bytes


def _articles(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
        if i % 17 == 0:
            body += f" {LONG} world cup"
        out.append(
            {
                "id": f"s{seed}-{i}",
                "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))),
                "body": body,
                "published": f"20{10 + i % 12}-0{1 + i % 9}-1{i % 9}",
                "source": rng.choice(["Wire", "Desk", "Post"]),
                "tags": [rng.choice(WORDS[:6])],
            }
        )
    return out


def _write(path, articles) -> None:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")


QUERIES = [
    "oil",
    "world cup",
    "crude oil price",
    "election vote council minister",
    '"world cup"',
    "mark*",
    "flood -storm",
    "trade union profit",
    LONG,
    f"{LONG} world",
    "source:Wire bank rate",
    "grain export wheat rate bank share",
]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Return (index without merged arrays, index with them), both from one real build."""
    root = tmp_path_factory.mktemp("merged")
    corpus = root / "corpus"
    corpus.mkdir()
    for k in range(4):
        _write(corpus / f"part{k}.jsonl", _articles(k, 120))
    plain = root / "plain"
    index_corpus(corpus, plain, rebuild=True, procs=2)
    (corpus / "part1.jsonl").unlink()  # an update: deletions in the big segments, a new one
    _write(corpus / "part9.jsonl", _articles(9, 60))
    index_corpus(corpus, plain, procs=1)
    with_merged = root / "merged"
    shutil.copytree(plain, with_merged)
    gen = with_merged / read_current(with_merged)
    for p in gen.glob(f"{merged.NAME}.*"):  # a build this small merges nothing by itself
        p.unlink()
    assert w3.merge_term_arrays(gen, min_docs=1)
    stores = Store(plain), Store(with_merged)
    yield stores
    for s in stores:
        s.close()


def test_the_merged_arrays_replace_the_leading_segments(pair):
    plain, with_merged = (s.view().state for s in pair)
    assert plain.segments[0].id != merged.NAME and len(plain.segments) >= 3
    unit = with_merged.segments[0]
    assert unit.id == merged.NAME and len(unit.leaves) == len(plain.segments)
    assert unit.arrays["tags"] is not None  # merged too
    assert not unit.all_live  # the update deleted documents of the covered segments
    assert with_merged.leaf_offsets == [s.offset for s in plain.segments]


def test_merged_postings_are_the_segments_postings_in_order(pair):
    plain, with_merged = (s.view() for s in pair)
    for field in ("title", "body", "tags"):
        for term in [*WORDS, "item", LONG]:
            assert with_merged.term_docs(field, term).tolist() == (
                plain.term_docs(field, term).tolist()
            )
            assert with_merged.doc_frequencies(field, [term]) == (
                plain.doc_frequencies(field, [term])
            )
    arrays = with_merged.state.segments[0].arrays["body"]
    assert w3.termarrays.check_field_arrays(arrays, with_merged.state.segments[0].count) is None


@pytest.mark.parametrize("q", QUERIES)
def test_every_query_gives_the_same_page(pair, q):
    engines = [SearchEngine(s) for s in pair]
    for sort in ("relevance", "newest"):
        req = SearchRequest(q=q, per_page=20, sort=sort)
        a, b = (e.search(req) for e in engines)
        assert a.total == b.total and a.total > 0
        assert [h.id for h in a.hits] == [h.id for h in b.hits]
        assert np.allclose([h.score for h in a.hits], [h.score for h in b.hits])
        assert [h.snippet for h in a.hits] == [h.snippet for h in b.hits]
        assert a.facets == b.facets and a.timeline == b.timeline


def test_completions_and_corrections_are_the_same(pair):
    engines = [SearchEngine(s) for s in pair]
    for prefix in ("world c", "crude o", "el", "minster"):
        assert engines[0].suggest(prefix) == engines[1].suggest(prefix)
    req = SearchRequest(q="electon minster", per_page=10)
    assert engines[0].search(req).suggestion == engines[1].search(req).suggestion


def test_arrays_naming_other_segments_are_ignored(pair, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(pair[1].index_dir, copy)
    gen = copy / read_current(copy)
    data = json.loads((gen / merged.MANIFEST).read_text())
    data["segments"][0][1] += 1  # as if a covered segment had changed
    (gen / merged.MANIFEST).write_text(json.dumps(data))
    store = Store(copy)
    try:
        assert store.view().state.segments[0].id != merged.NAME
    finally:
        store.close()


def test_the_leading_run_up_to_the_last_big_segment_is_merged():
    big = 10_000
    got = merged.leading([("a", big, True), ("b", 10, True), ("c", big, True), ("d", 5, True)])
    assert got == [("a", big), ("b", 10), ("c", big)]
    assert merged.leading([("a", big, True), ("b", 10, True), ("c", 10, True)]) == []
    assert merged.leading([("a", big, True), ("b", big, False), ("c", big, True)]) == []
    assert merged.leading([("a", big, True), ("b", big, True)], min_docs=big + 1) == []


def test_tag_arrays_hold_whoosh_postings_and_give_the_same_columns(pair):
    """Bulk-written segments carry term arrays for tags too (facets read every tag's documents
    on each new generation): the same postings as Whoosh's, so the same facet columns as
    reading the tags through Whoosh."""
    view = pair[0].view()
    checked = 0
    for i, segment in enumerate(view.state.segments):
        arrays = segment.arrays["tags"]
        assert arrays is not None and arrays.positions is None
        for leaf, _ in view.unit_leaves(i):
            for tbytes in leaf.lexicon("tags"):
                ids, _ = arrays.postings(tbytes)  # deleted documents too, as Whoosh's blocks
                live = ids[segment.live[ids]].tolist()
                assert live == segments.raw_postings(leaf, "tags", tbytes.decode())[0].tolist()
                checked += 1
    assert checked >= 6
    store = Store(pair[0].index_dir)  # a second reader whose tags are read through Whoosh
    try:
        plain = store.view()
        for segment in plain.state.segments:
            segment.arrays["tags"] = None  # as in segments written before tags had arrays
        with_arrays, without = facets._build_columns(view), facets._build_columns(plain)
        for key, value in with_arrays.items():
            other = without[key]
            assert np.array_equal(value, other) if isinstance(value, np.ndarray) else value == other
    finally:
        store.close()


@pytest.mark.data
@pytest.mark.slow
def test_a_reuters_build_writes_them_and_an_update_keeps_them(data_dir, tmp_path):
    """All of Reuters with two writer processes: two big segments, merged by the indexer
    itself; adding a file leaves them as they are (hard links) and adds a segment beside."""
    files = sorted((data_dir / "reuters21578").glob("reut2-*.sgm"))
    if len(files) < 22:
        pytest.skip(f"Reuters-21578 is missing under {data_dir}")
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for f in files:
        shutil.copyfile(f, corpus / f.name)
    index_corpus(corpus, index_dir, rebuild=True, procs=2)
    gen = index_dir / read_current(index_dir)
    cover = merged.covered(gen)
    assert cover is not None and len(cover) >= 2 and sum(n for _, n in cover) >= 20_000
    _write(corpus / "update.jsonl", _articles(7, 30))
    index_corpus(corpus, index_dir)
    after = index_dir / read_current(index_dir)
    assert after != gen and merged.covered(after) == cover
    old, new = (p / f"{merged.NAME}.body.docs.npy" for p in (gen, after))
    assert old.stat().st_ino == new.stat().st_ino  # the same file, not rewritten
    store = Store(index_dir)
    try:
        view = store.view()
        assert view.state.segments[0].id == merged.NAME and len(view.state.segments) >= 2
        page = SearchEngine(store).search(SearchRequest(q="cocoa buffer stock", per_page=5))
        assert page.total > 100 and "COCOA" in page.hits[0].title.upper()
        assert SearchEngine(store).article("s7-0").title  # the update, beside them
    finally:
        store.close()


@pytest.mark.parametrize(("name", "translate"), [("published", False), ("source", True)])
def test_dated_columns_read_in_bulk_code_the_per_document_values(pair, name, translate):
    """engine/columns.py on bulk-built segments with dates, a deleted file and an update."""
    view = pair[0].view()
    codes, values = columns.column_codes(view, name, translate)
    expected = view.column(name, translate)
    assert [values[c] for c in codes.tolist()] == expected
    assert len(set(expected)) >= 3 and values == list(dict.fromkeys(expected))
