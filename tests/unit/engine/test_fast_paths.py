"""The query path's fast readers give what Whoosh's own per-document calls give.

A real two-segment index with a deletion: field lengths read as a column slice, tag postings
read block by block, cached BM25F scores, and the str.find run finder of snippets.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from segments import write_segments

from searchsvc.engine import facets, ranking
from searchsvc.engine.generations import gen_name, switch_current
from searchsvc.engine.store import Store
from searchsvc.engine.w3 import segments
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
            assert segments._length_column(leaf, field) == slow


def test_term_docs_match_all_ids(view):
    reader = view.reader
    for field, text in [("tags", "oil"), ("tags", "price"), ("body", "item"), ("body", "oil")]:
        assert view.term_docs(field, text).tolist() == list(reader.postings(field, text).all_ids())


def test_cached_scores_are_the_computed_ones(view, searcher):
    first = ranking.bm25f(view, "oil")
    assert len(first[0]) and ranking.bm25f(view, "oil") is first  # second call: the cache
    again = ranking._bm25f_all(view, "oil", scoring.TEXT_FIELDS)
    assert again[0].tolist() == first[0].tolist() and again[1].tolist() == first[1].tolist()
    only = np.zeros(searcher.doc_count_all(), dtype=bool)
    only[first[0][::3]] = True
    ids, scores = ranking.bm25f(view, "oil", scoring.TEXT_FIELDS, only)
    assert ids.tolist() == first[0][::3].tolist() and scores.tolist() == first[1][::3].tolist()


def test_scores_match_whoosh_per_document_reads(view, searcher):
    """The array path gives the per-posting formula's scores, document by document."""
    reader = searcher.reader()
    ids, scores = ranking._bm25f_all(view, "price", scoring.TEXT_FIELDS)
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
