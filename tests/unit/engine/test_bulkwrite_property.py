"""Property: for any articles, the bulk writer writes what Whoosh's own writer writes.

Generated articles (words from a small vocabulary and random Unicode, optional dates, sources,
tags) go through the real schema and `article_to_doc`, once into BulkWriter and once into stock
Whoosh, and every lexicon, posting, block statistic, length, stored field and column must be the
same, segment by segment. The strategies cover what the bundled corpus rarely has: posting lists
longer than a block (128 postings), more than 1,000 positions of a word in one document (pickle
writes a list in batches of 1,000), several bulk segments (a tiny token budget), and merges whose
postings spill to disk in many sorted runs (a tiny memory budget). Needs no shared data.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sameindex import assert_same_index, bulk_index, segment_sizes, stock_index

from searchsvc.engine.schema import article_to_doc
from searchsvc.engine.w3.postwrite import BLOCK_LIMIT
from searchsvc.engine.w3.segwriter import BulkWriter
from searchsvc.model import Article

pytestmark = pytest.mark.slow  # hypothesis runs of one to two seconds each

# Small, fixed and deterministic: a few seconds in all, no example database, no flaky CI.
PROPERTY = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
VOCABULARY = [
    "cocoa", "oil", "prices", "rose", "the", "and", "of", "a", "it's", "Brazil's", "U.S.",
    "1,000.5", "12.5", "pct", "OPEC", "naïve", "Straße", "İstanbul", "ﬁnance", "co-operate",
    "ÉCOLE", "½", "O'Neill's", "1987/88", "--", "x's", "don’t", "Müller",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "\n", ", ", ". ", "\n\n", " - ", "\t"]
RUN_POSTING_BYTES = 150  # the least BulkPool.add counts for one posting


def _word():
    unicode_word = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
    return st.one_of(st.sampled_from(VOCABULARY), st.sampled_from(VOCABULARY), unicode_word)


def texts(max_words: int):
    """Words and separators joined into a text (possibly empty)."""
    pairs = st.lists(st.tuples(_word(), st.sampled_from(SEPARATORS)), max_size=max_words)
    return pairs.map(lambda ps: "".join(w + s for w, s in ps))


NAMES = st.one_of(st.sampled_from(["", "Reuters", "BBC", "Le Monde", "Ünïcode Wire"]), texts(3))


def articles(body_words: int = 40):
    """Fields of an Article (all but the ids, paths and hashes, which go by position)."""
    return st.builds(
        dict,
        title=texts(8),
        body=texts(body_words),
        published=st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 12, 31))),
        author=NAMES,
        source=NAMES,
        tags=st.lists(st.one_of(st.sampled_from(["energy", "Markets", "agriculture"]), texts(2))),
    )


def to_docs(rows: list[dict]) -> list[dict]:
    """Return the writer documents of generated article fields (ids and paths by position)."""
    docs = []
    for i, row in enumerate(rows):
        article = Article(
            id=f"d{i}",
            path=f"p{i % 7}.jsonl",
            url=f"https://example.com/{i}",
            content_hash=f"h{i}",
            **{**row, "tags": tuple(row["tags"])},
        )
        docs.append(article_to_doc(article))
    return docs


def assert_bulk_equals_stock(docs, segment_tokens, deleted, runs, expect) -> None:
    """Write docs both ways, compare, check `expect(reader, segment sizes)` of the bulk index;
    then delete some (one is kept) and merge all segments into one, the bulk side's postings
    spilling to disk in about `runs` sorted runs, and compare again."""
    with tempfile.TemporaryDirectory() as tmp:
        bulk = bulk_index(Path(tmp, "bulk"), docs, segment_tokens)
        sizes = segment_sizes(bulk)
        stock = stock_index(Path(tmp, "stock"), docs, sizes)  # cut at the same documents
        assert_same_index(stock, bulk)
        with bulk.reader() as reader:
            expect(reader, sizes)
        gone = sorted({i % len(docs) for i in deleted})[: len(docs) - 1]
        merge(stock, stock.writer(), gone)
        with stock.reader() as merged:  # a merge pools every posting of the documents kept
            budget = postings_count(merged) * RUN_POSTING_BYTES / runs
        merge(bulk, BulkWriter(bulk, limitmb=budget / (1 << 20)), gone)  # spills ~`runs` runs
        assert_same_index(stock, bulk)


def merge(ix, writer, deleted: list[int]) -> None:
    """Delete documents by number, then merge every segment into one."""
    for i in deleted:
        writer.delete_by_term("id", f"d{i}")
    writer.commit(optimize=True)
    assert len(ix._segments()) == 1


def postings_count(reader) -> int:
    """Return the number of postings of every indexed field (the items a merge pools)."""
    schema = reader.schema
    fields = [f for f in schema.names() if schema[f].indexed]
    return sum(reader.doc_frequency(f, t) for f in fields for t in reader.lexicon(f))


# Sorted runs a merge spills to disk; past 128 Whoosh first merges runs into longer runs.
RUNS = st.sampled_from([3, 10, 40, 140])
# Tokens per bulk segment (0: no limit); 1-3 cut after every document of 3 tokens or more.
BUDGETS = st.sampled_from([0, 1, 2, 3, 10, 40, 150, 600])


@PROPERTY
@given(
    rows=st.lists(articles(), min_size=2, max_size=10),
    segment_tokens=BUDGETS,
    deleted=st.lists(st.integers(0, 1000), max_size=5),
    runs=RUNS,
)
def test_any_articles_are_written_as_stock_whoosh_writes_them(rows, segment_tokens, deleted, runs):
    """Any articles, in one segment or cut into several by a token budget."""
    rows = [{**row, "title": f"oil wells {row['title']}"} for row in rows]  # 4+ tokens each

    def several_segments(reader, sizes):
        if 0 < segment_tokens <= 3:  # every document fills the budget: a segment each
            assert sizes == [1] * len(rows)

    assert_bulk_equals_stock(to_docs(rows), segment_tokens, deleted, runs, several_segments)


@settings(PROPERTY, max_examples=3)  # 130-170 documents each
@given(
    rows=st.lists(articles(body_words=6), min_size=1, max_size=8),
    total=st.integers(BLOCK_LIMIT + 1, 170),
    deleted=st.lists(st.integers(0, 1000), max_size=20),
    runs=RUNS,
)
def test_posting_lists_of_several_blocks(rows, total, deleted, runs):
    """More than 128 documents with one word in the title: its postings fill several blocks."""
    rows = [{**rows[i % len(rows)], "title": f"cocoa {i}"} for i in range(total)]

    def several_blocks(reader, sizes):
        assert reader.doc_frequency("title", b"cocoa") == total > BLOCK_LIMIT

    assert_bulk_equals_stock(to_docs(rows), 0, deleted, runs, several_blocks)


@PROPERTY
@given(
    rows=st.lists(articles(), min_size=1, max_size=4),
    repeats=st.integers(1001, 2100),
    filler=texts(6),
    segment_tokens=BUDGETS,
    runs=RUNS,
)
def test_a_word_with_more_than_a_thousand_positions_in_one_document(
    rows, repeats, filler, segment_tokens, runs
):
    """A body with a word over 1,000 times: a posting with that many positions."""
    body = " cocoa ".join([filler] * (repeats + 1))
    rows = [*rows, {**rows[0], "body": body}]

    def long_posting(reader, sizes):
        assert reader.term_info("body", b"cocoa").max_weight() >= repeats > 1000

    assert_bulk_equals_stock(to_docs(rows), segment_tokens, [0], runs, long_posting)
