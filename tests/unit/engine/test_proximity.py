"""Proximity: among documents matching the same words, those where they stand together lead."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine import proximity
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.plan import plan_query
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.text import scoring
from searchsvc.text.analysis import index_terms
from searchsvc.text.query import parse

# The BBC "world cup" case in miniature: each story says "world" and "cup" once, the rugby one
# as "World Cup", the tennis ones apart ("Davis Cup team ... world rankings"); the rugby story
# is the longest, so without proximity it would come last.
ARTICLES = [
    {
        "id": "lions",
        "title": "Lions blow to stars",
        "body": "World Cup winners are unlikely to tour New Zealand next summer, the coach of the "
        "British and Irish Lions said on Monday.",
    },
    {
        "id": "tennis",
        "title": "What now for British tennis?",
        "body": "Henman quit the Davis Cup team this week, leaving Britain short. The world "
        "rankings show no one close.",
    },
    {
        "id": "hopman",
        "title": "Slovakia seal Hopman success",
        "body": "Slovakia won the Hopman Cup in Perth on Saturday night. Hrbaty beat the world "
        "number seven in the final.",
    },
] + [
    {"id": f"f{i}", "title": f"Market report {i}", "body": f"Shares rose on day {i} of trading."}
    for i in range(12)
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("proximity")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    lines = "".join(json.dumps(a) + "\n" for a in ARTICLES)
    (corpus / "news.jsonl").write_text(lines, encoding="utf-8")
    index_corpus(corpus, index_dir, rebuild=True, procs=1)
    s = Store(index_dir)
    yield s
    s.close()


def order(store, q: str, per_page: int = 10) -> list[str]:
    req = SearchRequest(q=q, per_page=per_page, facets=False, snippets=False)
    found = SearchEngine(store, Settings()).search(req)
    return [h.id for h in found.hits]


def test_adjacent_words_outrank_scattered_ones(store, monkeypatch):
    assert order(store, "world cup") == ["lions", "hopman", "tennis"]
    assert order(store, "cup world") == ["lions", "hopman", "tennis"]  # either order is close
    monkeypatch.setattr(scoring, "PROXIMITY_WEIGHT", 0.0)
    assert order(store, "world cup") == ["hopman", "tennis", "lions"]  # without the boost


def test_the_boost_is_bounded_and_needs_two_words(store):
    view = store.view()
    groups = plan_query(parse("world cup"), view).groups
    docs = view.state.live_ids[:3]  # lions, tennis, hopman
    boosts = proximity.boosts(view, groups, docs).tolist()
    idf = sum(scoring.idf(max(view.doc_frequency(f, t) for f in ("title", "body")), 15)
              for t in ("world", "cup"))  # fmt: skip
    # lions: one adjacent pair, x = 1, so PROXIMITY_WEIGHT * idf * (K1 + 1) * 1 / (K1 + 1);
    # the tennis and Hopman stories never have the words within 5 words of each other
    assert boosts == [pytest.approx(scoring.PROXIMITY_WEIGHT * idf), 0.0, 0.0]
    assert proximity.boosts(view, plan_query(parse("cup"), view).groups, docs).tolist() == [0] * 3


def test_pair_frequency():
    assert scoring.pair_frequency([1, 10], [2, 14]) == 1.0 + 1 / 4
    assert scoring.pair_frequency([3], [1, 4]) == 1.0  # the nearest occurrence on either side
    assert scoring.pair_frequency([1], [7]) == 0.0  # 6 words apart: beyond the window
    assert scoring.pair_frequency([], [1]) == 0.0


def test_query_pairs_are_neighbouring_single_words(store):
    view = store.view()
    pairs = scoring.query_pairs(plan_query(parse('world "davis cup" cup tie'), view).groups)
    assert pairs == [("cup", "tie")]


@pytest.mark.data
def test_bbc_sport_world_cup(data_dir, tmp_path, monkeypatch):
    """BBC sport, `world cup`: the rugby World Cup story climbs from 14th to 9th, the tennis
    stories that only say "world number" and "Davis/Hopman Cup" fall out of the first ten."""
    sport = data_dir / "bbc" / "sport"
    if not sport.is_dir():
        pytest.skip(f"no BBC sport folder at {sport}")
    index_corpus(sport, tmp_path / "index", rebuild=True, procs=1)
    store = Store(tmp_path / "index")
    try:

        def ranks() -> tuple[int, ...]:
            got = order(store, "world cup", per_page=30)
            return tuple(got.index(d) + 1 for d in ("385", "449", "455"))  # Lions, tennis, Hopman

        assert ranks() == (9, 12, 19)
        monkeypatch.setattr(scoring, "PROXIMITY_WEIGHT", 0.0)
        assert ranks() == (14, 8, 10)
    finally:
        store.close()


def test_the_boost_from_analysed_text_equals_the_boost_from_the_index(store):
    """scoring.document_proximity is backend-neutral: positions from a field's analysed terms
    (as the Typesense backend keeps title_stems and body_stems) give the index's boosts."""
    view = store.view()
    groups = plan_query(parse("british world cup"), view).groups
    docs = view.state.live_ids[:3]
    pairs = scoring.query_pairs(groups)
    idf = {
        t: scoring.idf(max(view.doc_frequency(f, t) for f in ("title", "body")), 15)
        for pair in pairs
        for t in pair
    }
    from_text = []
    for a in ARTICLES[:3]:
        fields = {f: scoring.stem_positions(" ".join(index_terms(a[f]))) for f in ("title", "body")}
        from_text.append(scoring.document_proximity(pairs, fields, idf))
    assert proximity.boosts(view, groups, docs).tolist() == pytest.approx(from_text)
    assert from_text[0] > 0 and from_text[1:] == [0.0, 0.0]


def test_position_arrays_and_whoosh_matchers_give_the_same_boosts(store, tmp_path):
    """An index written by Whoosh's own writer has no position arrays: the matchers give the
    same positions, so the same boosts."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    lines = "".join(json.dumps(a) + "\n" for a in ARTICLES)
    (corpus / "news.jsonl").write_text(lines, encoding="utf-8")
    index_corpus(corpus, index_dir, rebuild=True, procs=1, bulk=False)
    plain = Store(index_dir)
    try:
        got = []
        for s in (store, plain):
            view = s.view()
            no_arrays = all(a is None for seg in view.state.segments for a in seg.arrays.values())
            assert no_arrays == (s is plain)
            groups = plan_query(parse("british world cup lions coach"), view).groups
            got.append(proximity.boosts(view, groups, view.state.live_ids).tolist())
        assert got[0] == got[1] and max(got[0]) > 0  # exactly: same sums, same order
    finally:
        plain.close()


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(0, 80), max_size=12), st.sets(st.integers(0, 80), max_size=12))
def test_pair_frequency_is_the_sum_of_inverse_nearest_distances(left, right):
    """Two words never share a position: each left occurrence counts 1/d for the nearest right
    one d <= PROXIMITY_WINDOW words away."""
    right -= left
    expected = 0.0
    for p in sorted(left):
        d = min((abs(r - p) for r in right), default=scoring.PROXIMITY_WINDOW + 1)
        if d <= scoring.PROXIMITY_WINDOW:
            expected += 1.0 / d
    got = scoring.pair_frequency(sorted(left), sorted(right))
    assert got == pytest.approx(expected)


positions = st.lists(st.sets(st.integers(0, 60), max_size=10), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(positions, positions)
def test_pair_frequencies_of_many_documents_are_pair_frequency_of_each(lefts, rights):
    """The vectorised pass gives each document exactly the per-document sum."""
    n = min(len(lefts), len(rights))
    lefts = [sorted(p) for p in lefts[:n]]
    rights = [sorted(set(r) - set(p)) for r, p in zip(rights[:n], lefts, strict=True)]

    def keys(per_doc):
        return np.array([(k << 32) | p for k, ps in enumerate(per_doc) for p in ps], np.int64)

    got = scoring.pair_frequencies(keys(lefts), keys(rights), n)
    expected = [scoring.pair_frequency(a, b) for a, b in zip(lefts, rights, strict=True)]
    assert got.tolist() == expected
    boosts = scoring.proximity_boosts([(got, 1.5), (got * 2, 0.5)], n).tolist()
    assert boosts == [scoring.proximity_boost([(x, 1.5), (2 * x, 0.5)]) for x in got.tolist()]
