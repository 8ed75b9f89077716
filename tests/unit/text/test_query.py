"""The forgiving query language: syntax, stray input read as text, limits."""

from __future__ import annotations

from datetime import date

import pytest
import whoosh.index
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.generations import gen_name, switch_current
from searchsvc.engine.plan import plan_query
from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import BadRequest
from searchsvc.model import Article
from searchsvc.text.query import Clause, parse

LIMITS = Settings(max_query_chars=300, max_query_terms=20)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("qix")
    gen = root / gen_name(1)
    gen.mkdir()
    ix = whoosh.index.create_in(str(gen), build_schema())
    with ix.writer() as w:
        for i, word in enumerate(["economy", "economist", "budget", "re", "vienna"]):
            a = Article(
                f"d{i}",
                f"Title {word}",
                f"Body about the {word} in 10:30 news.",
                date(2020, 1 + i, 1),
                "Ann Lee",
                "Reuters",
                tags=("econ",),
            )
            w.add_document(**article_to_doc(a))
    switch_current(root, gen_name(1))
    store = Store(root)
    yield SearchEngine(store, LIMITS)
    store.close()


def words(pq):
    return [[(c.kind, c.text, c.field) for c in g] for g in pq.groups]


def test_words_phrases_exclusions_or_fields():
    pq = parse('"crude oil" -opec -"oil cartel" gas OR coal title:volcano author:"Jane Doe" econ*')
    assert words(pq) == [
        [("phrase", "crude oil", None)],
        [("word", "gas", None), ("word", "coal", None)],
        [("word", "volcano", "title")],
        [("phrase", "Jane Doe", "author")],
        [("prefix", "econ", None)],
    ]
    assert pq.excluded == [Clause("word", "opec"), Clause("phrase", "oil cartel")]


def test_dates_in_the_query():
    assert (parse("after:2020-01-01").date_from, parse("after:2020-01-01").date_to) == (
        date(2020, 1, 1),
        None,
    )
    assert parse("before:2021-06").date_to == date(2021, 5, 31)
    pq = parse("oil year:2019")
    assert (pq.date_from, pq.date_to) == (date(2019, 1, 1), date(2019, 12, 31))
    assert parse("after:2020-02 before:2020-03-01").date_to == date(2020, 2, 29)
    assert words(parse("after:2020-13-01")) == [[("word", "after:2020-13-01", None)]]
    assert words(parse("year:soon")) == [[("word", "year:soon", None)]]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("re: budget", [[("word", "re:", None)], [("word", "budget", None)]]),
        (
            "meet at 10:30",
            [[("word", "meet", None)], [("word", "at", None)], [("word", "10:30", None)]],
        ),
        (
            'say "hello world',
            [[("word", "say", None)], [("word", "hello", None)], [("word", "world", None)]],
        ),
        ("(oil OR gas", [[("word", "oil", None), ("word", "gas", None)]]),
        ("oil)) ?", [[("word", "oil", None)]]),
        (
            "- lone dash",
            [[("word", "-", None)], [("word", "lone", None)], [("word", "dash", None)]],
        ),
        ("*", [[("word", "*", None)]]),
        ("OR oil OR", [[("word", "oil", None)]]),
        (
            "cats AND dogs",
            [[("word", "cats", None)], [("word", "AND", None)], [("word", "dogs", None)]],
        ),
        ('title:"unclosed', [[("word", "unclosed", "title")]]),
        ("unknown:field", [[("word", "unknown:field", None)]]),
        ("", []),
    ],
)
def test_stray_syntax_is_read_as_text(text, expected):
    assert words(parse(text)) == expected


def test_limits_raise_bad_request_with_clear_message():
    with pytest.raises(BadRequest, match="too long: 301 characters"):
        parse("a" * 301, LIMITS)
    with pytest.raises(BadRequest, match="too many terms"):
        parse("w " * 21, LIMITS)
    assert len(parse("w " * 20, LIMITS).groups) == 20


def test_prefix_is_expanded_over_indexed_terms_with_a_cap(engine):
    reader = engine.store.searcher().reader()
    text = str(plan_query(parse("econ*"), reader))
    assert "body:economi" in text and "body:economist" in text and "body:budget" not in text
    assert str(plan_query(parse("zz*"), reader)) == "MATCH: Coord[tiered]((NOTHING))"


def test_explain_shows_filters_and_exclusions(engine):
    text = engine.explain("budget -vienna source:reuters before:2020-03")
    lines = text.splitlines()
    assert lines[0] == "MATCH: Coord[tiered]((title:budget OR body:budget))"
    assert lines[1] == "FILTER: (source:reuters) AND published:[..2020-02-29]"
    assert lines[2] == "EXCLUDE: (title:vienna OR body:vienna)"


def test_stray_syntax_still_finds_documents(engine):
    assert engine.search(SearchRequest(q="re: budget")).hits[0].id == "d2"
    assert engine.search(SearchRequest(q='"vienna')).hits[0].id == "d4"
    assert engine.search(SearchRequest(q="10:30 news")).total == 5


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.sampled_from(list('ab OR-"():*?!&<>é1 2_title:author:tag:')), max_size=60)
    | st.text(max_size=400)
)
def test_arbitrary_text_never_raises_anything_but_bad_request(engine, text):
    """Any text either searches fine or is refused as over the limits."""
    try:
        page = engine.search(SearchRequest(q=text, per_page=3))
    except BadRequest as e:
        assert len(text) > LIMITS.max_query_chars or "terms" in e.message
        return
    assert page.total >= 0 and len(page.hits) <= 3


def test_prefix_expansion_is_capped_keeping_the_most_frequent(tmp_path):
    from searchsvc.engine.plan import PREFIX_CAP, expand_prefix

    ix = whoosh.index.create_in(str(tmp_path), build_schema())
    with ix.writer() as w:
        for i in range(PREFIX_CAP + 10):
            body = f"zeta{i:03d}" + (" zetafrequent" if i % 2 else "")
            w.add_document(**article_to_doc(Article(f"z{i}", "t", body)))
    with ix.searcher() as s:
        found = expand_prefix(s.reader(), "body", "zeta")
    assert len(found) == PREFIX_CAP and found[0] == "zetafrequ"
