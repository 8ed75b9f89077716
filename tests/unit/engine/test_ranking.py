"""Ranking on real (tiny) indexes: BM25F scores, query-frequency weights, RM3 feedback."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import whoosh.index
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine import ranking, sparse, termscores
from searchsvc.engine.generations import gen_name, switch_current
from searchsvc.engine.plan import plan_query
from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.model import Article
from searchsvc.text import scoring
from searchsvc.text.analysis import english_analyzer, index_terms
from searchsvc.text.query import parse

TOPICS = ["engine", "turbine", "fuel", "wing", "rotor", "nozzle"]
# 30 articles: every one mentions "flight test report"; each has a topic word, and the "wing"
# ones share a vocabulary ("lift", "drag", "airfoil") that feedback can pick up.
ARTICLES = [
    Article(
        f"a{i:02d}",
        f"{TOPICS[i % 6].title()} note {i}",
        f"Flight test report on the {TOPICS[i % 6]}. "
        + ("The airfoil lift and drag were measured in the tunnel. " if i % 6 == 3 else "")
        + ("Lift and drag of the airfoil section. " if i in (9, 27) else "")
        + f"Item {i} of the series.",
    )
    for i in range(30)
]


def make_store(root: Path, articles) -> Store:
    """Write the articles as generation 1 of an index dir and open it with the real Store."""
    gen = root / gen_name(1)
    gen.mkdir(parents=True)
    ix = whoosh.index.create_in(str(gen), build_schema())
    with ix.writer() as w:
        for a in articles:
            w.add_document(**article_to_doc(a))
    switch_current(root, gen_name(1))
    return Store(root)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = make_store(tmp_path_factory.mktemp("rank"), ARTICLES)
    yield s
    s.close()


@pytest.fixture(scope="module")
def engine(store):
    return SearchEngine(store, Settings())


def scored(engine, q: str) -> dict[str, float]:
    page = engine.search(SearchRequest(q=q, per_page=100, facets=False, snippets=False))
    return {h.id: h.score for h in page.hits}


def feedback_of(store, text: str) -> list:
    view = store.view()
    return ranking.rank(view, plan_query(parse(text), view).groups).feedback


def test_bm25f_score_matches_the_formula(store):
    searcher = store.searcher()
    reader = searcher.reader()
    ids, scores = termscores.bm25f(store.view(), "turbin")
    got = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    doc = searcher.document_number(id="a01")  # "Turbine note 1": turbine once in title and body
    n, df = searcher.doc_count_all(), 5
    (wt, bt), (wb, bb) = scoring.FIELDS["title"], scoring.FIELDS["body"]
    tf = wt / (
        1 - bt + bt * reader.doc_field_length(doc, "title") / searcher.avg_field_length("title")
    ) + wb / (
        1 - bb + bb * reader.doc_field_length(doc, "body") / searcher.avg_field_length("body")
    )
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    assert got[doc] == pytest.approx(idf * (scoring.K1 + 1) * tf / (scoring.K1 + tf))
    assert len(got) == df


def test_two_word_queries_keep_both_words_first_and_skip_feedback(engine, store):
    hits = scored(engine, "wing lift")
    both = {"a03", "a09", "a15", "a21", "a27"}
    assert set(list(hits)[: len(both)]) == both  # every doc with both words ranks first
    assert feedback_of(store, "wing flight") == []  # 30 matches, but FEEDBACK_FROM is 3 words
    terms = dict(feedback_of(store, "wing flight report"))  # three words: feedback
    assert {"lift", "drag", "airfoil"} <= set(terms)


def test_feedback_reranks_but_never_adds_or_drops_documents(engine, store, monkeypatch):
    text = "flight test report series wing"  # 5 groups, all 30 documents match
    with_fb = scored(engine, text)
    terms = dict(feedback_of(store, text))
    assert terms and sum(terms.values()) == pytest.approx(1.0)
    assert {"lift", "drag", "airfoil"} <= set(terms)  # the wing documents' shared vocabulary
    monkeypatch.setattr(scoring, "FEEDBACK_TERMS", 0)  # no expansion terms: the first pass
    without = scored(SearchEngine(store, Settings()), text)  # a fresh engine: no cached pages
    assert set(with_fb) == set(without) and len(with_fb) == 30
    assert all(s > 0 for s in with_fb.values())  # the original terms still score every match
    wing = {d for d in without if int(d[1:]) % 6 == 3}
    assert set(list(with_fb)[: len(wing)]) == wing  # feedback keeps the query's best on top


def test_feedback_needs_enough_matches(store):
    assert (
        feedback_of(store, "wing airfoil lift drag tunnel") == []
    )  # 5 matches: no pool of feedback documents to learn from


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("aeiouLMNsZ'’,.0129 éÅ-\n"), max_size=60))
def test_index_terms_equal_the_analyzer(text):
    assert index_terms(text) == [t.text for t in english_analyzer()(text)]


def test_index_terms_examples():
    text = "The Bank's 1,000 Cafés ran; rates’ rise"
    assert index_terms(text) == [t.text for t in english_analyzer()(text)]
    assert "bank" in index_terms(text) and "1000" in index_terms(text)


def test_title_clause_scores_only_the_title(engine):
    hits = scored(engine, "title:wing")
    assert set(hits) == {f"a{i:02d}" for i in range(3, 30, 6)}
    assert set(scored(engine, "title:airfoil")) == set()  # airfoil is only ever in bodies


@pytest.mark.parametrize(
    "q", ["flight wing", "lift drag airfoil", "engine fuel rotor nozzle", "tunnel item series"]
)
@pytest.mark.parametrize("merge_from", [0, sparse.SCIPY_FROM])  # scipy's merge, or by size
def test_sparse_sums_are_the_dense_sums_exactly(store, q, merge_from, monkeypatch):
    """A few groups are summed over their merged id lists, in group order: the same floats
    as adding each group into arrays over every document. How many groups a document
    matches is only counted where the tiers use it (two groups)."""
    monkeypatch.setattr(sparse, "SCIPY_FROM", merge_from)
    view = store.view()
    groups = plan_query(parse(q), view).groups
    matched, acc, hits = ranking._sparse_sums(view, groups, {})
    dense = [0.0] * view.state.total
    count = [0] * view.state.total
    for g in groups:
        ids, got = ranking.group_scores(view, g)
        for d, x in zip(ids.tolist(), got.tolist(), strict=True):
            dense[d] += x * g.weight if g.weight != 1 else x
            count[d] += 1
    assert matched.tolist() == [d for d in range(view.state.total) if count[d]]
    assert acc.tolist() == [dense[d] for d in matched.tolist()]
    if len(groups) <= scoring.SHORT_QUERY:
        assert hits.tolist() == [count[d] for d in matched.tolist()]
    else:
        assert hits is None


def _top_by_sorting(keys, k):
    """The definition of ranking.top: positions by key descending, ties by position."""
    return sorted(range(len(keys)), key=lambda i: (-keys[i], i))[:k]


@pytest.mark.parametrize("k", [1, 10, 100, 1000, 7000])
@pytest.mark.parametrize(
    "shape",
    ["spread", "twenty copies each", "few distinct", "peaks between samples", "peaks on samples"],
)
@pytest.mark.parametrize("n", [9_000, 60_000])
def test_top_of_long_arrays_equals_sorting(shape, k, n):
    """top() on arrays long enough for its sampled cut gives the sorted order, ties included,
    also when the sample misleads it (peaks only on, or only between, the sampled positions)."""
    import numpy as np

    rng = np.random.default_rng(k)
    step = n // ranking.TOP_SAMPLE
    if shape == "spread":
        keys = rng.gamma(2.0, 1.0, n)
    elif shape == "twenty copies each":
        keys = np.repeat(rng.gamma(2.0, 1.0, n // 20), 20)
    elif shape == "few distinct":
        keys = rng.integers(0, 4, n).astype(np.float64)
    else:
        keys = np.zeros(n)
        on = np.arange(0, n, step)
        at = on if shape == "peaks on samples" else on[:-1] + step // 2
        keys[at] = 1.0 + rng.random(len(at))
    assert n >= ranking.TOP_SAMPLE_FROM
    assert ranking.top(keys, k).tolist() == _top_by_sorting(keys.tolist(), k)


def test_max_doc_frequencies_take_the_larger_field_and_are_cached(store):
    """A term's document frequency for idf is the larger of title's and body's, the same when
    it comes from the generation's cache."""
    view = store.view()
    terms = ["wing", "airfoil", "flight", "note", "nosuchword"]
    want = {"wing": 5, "airfoil": 5, "flight": 30, "note": 30, "nosuchword": 0}
    assert termscores.max_doc_frequencies(view, terms) == want
    assert {t: view.state.dfs.get(t) for t in terms} == want
    assert termscores.max_doc_frequencies(view, terms[::-1]) == want
