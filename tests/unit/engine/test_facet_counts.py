"""Folded counts and copies: a story counts once under every value its matched copies have."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.engine.columns import story_columns
from searchsvc.engine.facets import distinct, tag_counts
from searchsvc.engine.folding import Folded

docs_strategy = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=40)


TAG_SETS = [(), ("a",), ("a", "b"), ("b", "c"), ("c",)]  # the tag set of each value 0..4
TAGS = ["a", "b", "c"]


def columns(rows: list[tuple[int, int]]) -> dict:
    """Return the columns the counts read, for rows of (story, value) per document: the value
    is the document's source code and its tag set (TAG_SETS)."""
    dup = np.array([s for s, _ in rows], dtype=np.int64)
    codes = np.array([v for _, v in rows], dtype=np.int64)
    cols = {"dup": dup, "dup_count": int(dup.max()) + 1, "source": codes, "tag_sig": codes}
    cols["source_values"] = [f"s{v}" for v in range(5)]
    cols["tag_sets"], cols["tag_values"] = TAG_SETS, TAGS
    pairs = [(sig, TAGS.index(t)) for sig, combo in enumerate(TAG_SETS) for t in combo]
    cols["pair_sig"] = np.array([p for p, _ in pairs], dtype=np.int64)
    cols["pair_tag"] = np.array([t for _, t in pairs], dtype=np.int64)
    cols["doc_ord"] = np.zeros(len(rows), dtype=np.int64)
    cols["day"] = np.zeros(len(rows), dtype=np.int64)
    story_columns(cols)
    return cols


@settings(max_examples=200, deadline=None)
@given(rows=docs_strategy, picks=st.lists(st.booleans(), min_size=40, max_size=40))
def test_folded_distinct_counts_match_the_definition(rows, picks):
    cols = columns(rows)
    docs = np.array([d for d in range(len(rows)) if picks[d]], dtype=np.int64)
    expected = np.zeros(5, dtype=np.int64)
    for value in range(5):
        expected[value] = len({rows[d][0] for d in docs.tolist() if rows[d][1] == value})
    assert distinct(cols, "source", docs, 5, fold=True).tolist() == expected.tolist()


def test_copies_with_different_values_count_under_each():
    # story 0: copies with values 1 and 2 (mixed); story 1: two copies with value 1
    cols = columns([(0, 1), (0, 2), (1, 1), (1, 1), (0, 1)])
    got = distinct(cols, "source", np.array([0, 1, 2, 3, 4]), 3, fold=True)
    assert got.tolist() == [0, 2, 1]
    assert distinct(cols, "source", np.array([1, 3]), 3, fold=True).tolist() == [0, 1, 1]


@settings(max_examples=200, deadline=None)
@given(rows=docs_strategy, picks=st.lists(st.booleans(), min_size=40, max_size=40))
def test_a_hits_copies_are_the_matches_of_its_story(rows, picks):
    cols = columns(rows)
    ids = np.array([d for d in range(len(rows)) if picks[d]], dtype=np.int64)
    folded = Folded(0, [], np.zeros(0), cols["dup"], cols)
    ascending = -np.arange(len(rows), dtype=np.int64)  # newest position descending = docnum order
    for d in range(len(rows)):
        expected = [x for x in ids.tolist() if rows[x][0] == rows[d][0] and x != d]
        assert folded.newest_copies([d], ids, ascending, len(rows)) == [expected]
        assert folded.newest_copies([d], ids, ascending, 2) == [expected[:2]]


@settings(max_examples=200, deadline=None)
@given(
    rows=docs_strategy,
    picks=st.lists(st.booleans(), min_size=40, max_size=40),
    newest=st.permutations(range(40)),
    limit=st.integers(1, 4),
)
def test_a_pages_copies_are_each_hits_copies_newest_position_first(rows, picks, newest, limit):
    cols = columns(rows)
    ids = np.array([d for d in range(len(rows)) if picks[d]], dtype=np.int64)
    folded = Folded(0, [], np.zeros(0), cols["dup"], cols)
    positions = np.array(newest[: len(rows)], dtype=np.int64)  # unique, as newest_positions
    hits = list(range(0, len(rows), 3))
    got = folded.newest_copies(hits, ids, positions, limit)
    for d, copies in zip(hits, got, strict=True):
        mine = np.array([x for x in ids.tolist() if rows[x][0] == rows[d][0] and x != d], np.int64)
        expected = mine[np.argsort(positions[mine])[::-1]][:limit]
        assert copies == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(rows=docs_strategy, picks=st.lists(st.booleans(), min_size=40, max_size=40))
def test_folded_tag_counts_count_each_story_once_per_tag(rows, picks):
    """A story whose copies carry different tag sets counts once under each tag any of them
    carries (two copies tagged (a, b) and (a) count once under a), unfolded once a copy."""
    cols = columns(rows)
    docs = np.array([d for d in range(len(rows)) if picks[d]], dtype=np.int64)
    held = [[d for d in docs.tolist() if t in TAG_SETS[rows[d][1]]] for t in TAGS]
    folded = [len({rows[d][0] for d in ds}) for ds in held]
    assert tag_counts(cols, docs, fold=True).tolist() == folded
    assert tag_counts(cols, docs).tolist() == [len(ds) for ds in held]


def test_copies_with_overlapping_tag_sets_count_a_shared_tag_once():
    cols = columns([(0, 2), (0, 1), (1, 3)])  # story 0: (a, b) and (a); story 1: (b, c)
    assert tag_counts(cols, np.array([0, 1, 2]), fold=True).tolist() == [1, 2, 1]


def test_stories_whose_copies_carry_the_same_tags_share_one_story_set():
    # stories 0 and 1: copies tagged (a) and (b, c), in either order; story 2: one copy (a, b)
    cols = columns([(0, 1), (0, 3), (1, 3), (1, 1), (2, 2)])
    assert cols["story_set"].tolist() == [0, 0, 1]
    assert cols["story_set_starts"].tolist() == [0, 3, 5]
    assert cols["story_set_tag"].tolist() == [0, 1, 2, 0, 1]
    assert tag_counts(cols, np.arange(5), fold=True).tolist() == [3, 3, 2]  # all matched whole
    assert tag_counts(cols, np.array([0, 2, 4]), fold=True).tolist() == [2, 2, 1]  # 0, 1 in part
