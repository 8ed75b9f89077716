"""The query path's fast readers give what Whoosh's own per-document calls give.

A real two-segment index with a deletion: field lengths read as a column slice, tag postings
read block by block, cached BM25F scores, and the str.find run finder of snippets.
"""

from __future__ import annotations

import re

import pytest
import whoosh.index

from searchsvc import facets, postings, ranking, snippets
from searchsvc.articles import Article
from searchsvc.schema import article_to_doc, build_schema
from searchsvc.store import Store, gen_name, switch_current

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
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    gen = root / gen_name(1)
    gen.mkdir()
    ix = whoosh.index.create_in(str(gen), build_schema())
    for part in (range(0, 40), range(40, 90)):  # two segments
        with ix.writer() as w:
            w.merge = False
            for i in part:
                w.add_document(**article_to_doc(_article(i)))
    with ix.writer() as w:
        w.merge = False
        w.delete_by_term("id", "d045")
    switch_current(root, gen_name(1))
    store = Store(root)
    s = store.searcher()
    assert len(list(s.reader().leaf_readers())) >= 2
    yield s
    store.close()


def test_length_column_matches_doc_field_length(searcher):
    for leaf, _ in searcher.reader().leaf_readers():
        for field in ("title", "body", "author"):
            slow = [leaf.doc_field_length(d, field) for d in range(leaf.doc_count_all())]
            assert postings._length_column(leaf, field) == slow


def test_posting_ids_match_all_ids(searcher):
    reader = searcher.reader()
    for field, text in [("tags", "oil"), ("tags", "price"), ("body", "item"), ("body", "oil")]:
        assert postings.posting_ids(reader, field, text) == list(
            reader.postings(field, text).all_ids()
        )


def test_cached_scores_are_the_computed_ones(searcher):
    first = ranking.bm25f(searcher, "oil")
    assert first and ranking.bm25f(searcher, "oil") is first  # second call: the cache
    assert ranking._bm25f_all(searcher, "oil", ranking.FIELDS) == first
    only = set(list(first)[::3])
    assert ranking.bm25f(searcher, "oil", only) == {d: first[d] for d in only}


def test_tag_column(searcher):
    cols = facets.columns(searcher.reader())
    for d in searcher.reader().all_doc_ids():
        tags = searcher.stored_fields(d).get("tags") or ""
        assert set(cols["tags"][d]) == {t for t in tags.split(",") if t}


@pytest.mark.parametrize("heads", [{"oi", "pr"}, {"s", "d_"}, {"'s", ".,", "1,"}, {"zz"}])
def test_head_runs_match_the_pattern(heads):
    text = "oil's price, 1,200.5 prices d_x rose; crude-oil spread's ... pr,oi 's ok"
    pattern = snippets._runs(frozenset(heads))
    assert snippets._head_runs(text, heads) == [m.span() for m in pattern.finditer(text)]
    assert all(
        re.fullmatch(snippets._ASCII_RUN_CHAR + "+", text[s:e])
        for s, e in snippets._head_runs(text, heads)
    )
