"""The query path's fast readers give what Whoosh's own per-document calls give.

A real two-segment index with a deletion: field lengths read as a column slice, tag postings
read block by block, cached BM25F scores, and the str.find run finder of snippets.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from segments import write_segments

from searchsvc.engine import columns, facets, termscores
from searchsvc.engine.generations import gen_name, switch_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.live import apply_pending
from searchsvc.engine.store import Store
from searchsvc.engine.w3 import segments, values
from searchsvc.ingest.wal import Log
from searchsvc.model import Article
from searchsvc.text import scoring, snippets

WORDS = ["oil", "price", "crude", "wheat", "grain", "export", "bank", "rate"]


def _article(i: int) -> Article:
    words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 2 + i % 7))
    return Article(
        f"d{i:03d}",
        f"{WORDS[i % len(WORDS)].title()} news {i}" if i % 5 else "",
        f"{words}. Item {i} of the series, {words}.",
        tags=tuple(WORDS[j] for j in range(i % 3)),
        source="Wire" if i % 2 else "Desk",
    )


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    gen = root / gen_name(1)
    gen.mkdir()
    write_segments(gen, [map(_article, range(40)), map(_article, range(40, 90))], ["d045"])
    switch_current(root, gen_name(1))
    store = Store(root)
    v = store.view()
    assert len(v.leaves) >= 2
    yield v
    store.close()


@pytest.fixture(scope="module")
def searcher(view):
    return view.searcher


def test_length_column_matches_doc_field_length(searcher):
    for leaf, _ in searcher.reader().leaf_readers():
        for field in ("title", "body", "author"):
            slow = [leaf.doc_field_length(d, field) for d in range(leaf.doc_count_all())]
            assert segments._length_column(leaf, field) is not None  # the bulk path is taken
            got = segments.field_lengths(leaf, field).tolist()
            assert ["none" if math.isnan(n) else n for n in got] == [
                "none" if n is None else n for n in slow
            ]


def test_term_docs_match_all_ids(view):
    reader = view.reader
    for field, text in [("tags", "oil"), ("tags", "price"), ("body", "item"), ("body", "oil")]:
        assert view.term_docs(field, text).tolist() == list(reader.postings(field, text).all_ids())


def test_cached_scores_are_the_computed_ones(view, searcher):
    first = termscores.bm25f(view, "oil")
    assert len(first[0]) and termscores.bm25f(view, "oil") is first  # second call: the cache
    again = termscores._bm25f_all(view, "oil", scoring.TEXT_FIELDS)
    assert again[0].tolist() == first[0].tolist() and again[1].tolist() == first[1].tolist()
    only = np.zeros(searcher.doc_count_all(), dtype=bool)
    only[first[0][::3]] = True
    ids, scores = termscores.bm25f(view, "oil", scoring.TEXT_FIELDS, only)
    assert ids.tolist() == first[0][::3].tolist() and scores.tolist() == first[1][::3].tolist()


def test_scores_match_whoosh_per_document_reads(view, searcher):
    """The array path gives the per-posting formula's scores, document by document."""
    reader = searcher.reader()
    ids, scores = termscores._bm25f_all(view, "price", scoring.TEXT_FIELDS)
    n, df = searcher.doc_count_all(), max(reader.doc_frequency(f, "price") for f in scoring.FIELDS)
    expected = {}
    for fname, (weight, b) in scoring.FIELDS.items():
        avg = searcher.avg_field_length(fname)
        boost = searcher.schema[fname].format.field_boost
        m = reader.postings(fname, "price")
        while m.is_active():
            length = reader.doc_field_length(m.id(), fname)
            x = m.weight() / boost * weight / (1 - b + b * length / avg)
            expected[m.id()] = expected.get(m.id(), 0.0) + x
            m.next()
    num = scoring.idf(df, n) * (scoring.K1 + 1)
    assert ids.tolist() == sorted(expected)
    for d, sc in zip(ids.tolist(), scores.tolist(), strict=True):
        x = expected[d]
        assert sc == pytest.approx(num * x / (scoring.K1 + x), rel=1e-12)


def test_tag_column(view, searcher):
    cols = facets.columns(view)
    for d in searcher.reader().all_doc_ids():
        tags = searcher.stored_fields(d).get("tags") or ""
        assert set(cols["tag_sets"][cols["tag_sig"][d]]) == {t for t in tags.split(",") if t}


@pytest.mark.parametrize("heads", [{"oi", "pr"}, {"s", "d_"}, {"'s", ".,", "1,"}, {"zz"}])
def test_head_runs_match_the_pattern(heads):
    text = "oil's price, 1,200.5 prices d_x rose; crude-oil spread's ... pr,oi 's ok"
    pattern = snippets._runs(frozenset(heads))
    assert snippets._head_runs(text, heads) == [m.span() for m in pattern.finditer(text)]
    assert all(
        re.fullmatch(snippets._ASCII_RUN_CHAR + "+", text[s:e])
        for s, e in snippets._head_runs(text, heads)
    )


@pytest.fixture(scope="module")
def bulk_view(tmp_path_factory):
    """The same articles written by the bulk writer (with term arrays): two segments, and an
    article deleted through the write API's log (so still in its segment's postings)."""
    root = tmp_path_factory.mktemp("bulk")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()

    def write(name: str, numbers) -> None:
        lines = [json.dumps(_article(i).to_json()) for i in numbers]
        (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    write("a.jsonl", range(40))
    index_corpus(corpus, index_dir, procs=1)
    write("b.jsonl", range(40, 90))
    index_corpus(corpus, index_dir, procs=1)
    Log(index_dir).append([("delete", "d005", None)])  # through the write API's log
    apply_pending(index_dir)
    store = Store(index_dir)
    v = store.view()
    assert len(v.leaves) >= 2 and v.state.total > len(v.state.live_ids)
    assert all(a is not None for s in v.state.segments for a in s.arrays.values())
    yield v
    store.close()


def test_scores_among_given_documents_are_the_full_scores_restricted(bulk_view):
    """bm25f_among (RM3's expansion terms, scored among the matched documents only) gives
    exactly the scores of the whole term restricted to those documents."""
    view = bulk_view
    rng = np.random.default_rng(1)
    live = view.state.live_ids
    for term in ["oil", "price", "item", "news", "series", "absent"]:
        full = termscores._bm25f_all(view, term, scoring.TEXT_FIELDS)
        docs = np.sort(rng.choice(live, len(live) // 3, replace=False))
        only = np.zeros(view.state.total, dtype=bool)
        only[docs] = True
        ids, scores = termscores.bm25f_among(view, term, docs, only)
        keep = only[full[0]]
        assert ids.tolist() == full[0][keep].tolist(), term
        assert scores.tolist() == full[1][keep].tolist(), term
    terms = ["oil", "price", "item", "news", "series", "absent", "x" * 60]
    # a big pool masks every posting list; a small one searches the longer lists instead
    for size in (len(live) // 2, 3):
        docs = np.sort(rng.choice(live, size, replace=False))
        only = np.zeros(view.state.total, dtype=bool)
        only[docs] = True
        together = termscores.bm25f_among_many(view, terms, docs, only)
        for term, (ids, scores) in zip(terms, together, strict=True):
            full = termscores._bm25f_all(view, term, scoring.TEXT_FIELDS)
            keep = only[full[0]]
            assert ids.tolist() == full[0][keep].tolist(), term
            assert scores.tolist() == full[1][keep].tolist(), term


@pytest.mark.parametrize("which", ["view", "bulk_view"])
def test_doc_frequencies_looked_up_together_are_whoosh_s(which, request):
    view = request.getfixturevalue(which)
    reader = view.reader
    long_term = "x" * 60  # longer than the term arrays keep
    terms = ["oil", "price", "item", "news", "absent", long_term, "wheat"]
    for field in ("title", "body", "tags", "source"):
        expected = [reader.doc_frequency(field, t) for t in terms]
        assert view.doc_frequencies(field, terms) == expected, field
        assert [view.doc_frequency(field, t) for t in terms] == expected


@pytest.mark.parametrize(
    ("name", "translate"),
    [("dup", True), ("source", True), ("domain", True), ("id", True), ("published", False)],
)
def test_columns_read_in_bulk_code_what_the_per_document_values_give(view, name, translate):
    """engine/columns.py reads whole column arrays: the same values, coded in order of first
    appearance, as coding view.column()'s one value per document."""
    codes, values = columns.column_codes(view, name, translate)
    expected = view.column(name, translate)
    assert [values[c] for c in codes.tolist()] == expected
    assert values == list(dict.fromkeys(expected))


@pytest.mark.parametrize("which", ["view", "bulk_view"])
def test_tag_sets_from_pairs_are_the_per_document_tuples(which, request):
    """columns.tag_sets codes each document's tags (in name order) as one set, first seen
    first: the same as building a tuple per document (its path for many tags a document),
    whether read per term-array unit (bulk_view, a deletion in it) or from the lexicon."""
    view = request.getfixturevalue(which)
    tuples: list[tuple] = [()] * view.state.total
    for term in view.reader.lexicon("tags"):
        text = term.decode("utf-8")
        for d in view.term_docs("tags", text).tolist():
            tuples[d] = (*tuples[d], text)
    sets = list(dict.fromkeys(tuples))
    codes, got = columns.tag_sets(view)
    assert got == sets and max(len(s) for s in got) == 2 and () in got
    assert codes.tolist() == [sets.index(t) for t in tuples]
    codes_one_by_one, got_one_by_one = columns.tag_sets(view, widest=0)
    assert got_one_by_one == sets and codes_one_by_one.tolist() == codes.tolist()
    lexicon_codes, lexicon_sets = columns._lexicon_tag_sets(view, 32)
    assert lexicon_sets == sets and lexicon_codes.tolist() == codes.tolist()
    per_unit = all(s.arrays.get("tags") is not None for s in view.state.segments)
    assert per_unit == (which == "bulk_view")


@pytest.mark.parametrize("which", ["view", "bulk_view"])
def test_exact_codes_are_the_dup_column_s_codes(which, request):
    """columns.exact_codes (keys kept as numpy bytes per segment) codes the exact-copy keys as
    column_codes does, first appearance first."""
    view = request.getfixturevalue(which)
    codes = columns.exact_codes(view)
    assert codes.tolist() == columns.column_codes(view, "dup", False)[0].tolist()
    assert len(codes) == view.state.total


@pytest.mark.parametrize("which", ["view", "bulk_view"])
def test_id_column_reader_gives_whoosh_s_ids(which, request):
    """segments.column_reader sums a VarBytes column's offsets with numpy and slices values
    from the memory map: the same values as Whoosh's reader, for every document."""
    view = request.getfixturevalue(which)
    for leaf in view.leaves:
        ours, whoosh = values.column_reader(leaf, "id"), leaf.column_reader("id")
        assert type(ours).__name__ == "_MappedValues"  # sliced from the segment's map
        assert [ours[d] for d in range(leaf.doc_count_all())] == list(whoosh)
