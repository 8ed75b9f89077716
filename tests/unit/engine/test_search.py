"""SearchEngine on a real (tiny) index opened through the real Store."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import whoosh.index

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine import spelling
from searchsvc.engine.generations import gen_name, switch_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import BadRequest, NotFound
from searchsvc.model import Article
from searchsvc.text.analysis import index_terms
from searchsvc.text.dates import timeline

BANK = "The central bank kept interest rates unchanged on Thursday, citing inflation."
ARTICLES = [
    Article(
        "oil1",
        "Oil prices rise",
        "Crude oil prices rose sharply as OPEC ministers met.",
        date(2020, 3, 2),
        "Jane Doe",
        "Reuters",
        tags=("energy", "markets"),
    ),
    Article(
        "oil2",
        "Gas stations",
        "Oil companies said demand was weak. Oil, oil and more oil.",
        date(2019, 5, 1),
        "",
        "BBC",
        tags=("energy",),
    ),
    Article(
        "price3",
        "Food costs",
        "Bread price increases worry shoppers; price price price.",
        date(2021, 6, 15),
        "",
        "Reuters",
        tags=("food",),
    ),
    Article("bank1", "Bank holds rates", BANK, date(2020, 4, 2), source="Reuters"),
    Article("bank2", "Central bank: no change", BANK, date(2020, 4, 2), source="AP"),
    Article(
        "bank3",
        "Rates unchanged",
        "  the central bank kept interest RATES unchanged on Thursday, citing inflation. ",
        date(2020, 4, 3),
        source="AP",
    ),
    Article(
        "run1",
        "Marathon day",
        "She runs every morning and ran the city marathon.",
        date(2018, 1, 1),
        source="AP",
    ),
    Article(
        "volc",
        "Volcano erupts",
        "Lava flowed down the mountain for hours.",
        date(2020, 2, 1),
        source="AP",
    ),
    Article("xss", "Script", "Tom & Jerry <script>alert(1)</script> cheese", None, source="AP"),
    Article(
        "cof1",
        "Coffee harvest",
        "The coffee harvest in Brazil was strong this year, growers said.",
        None,
        source="AP",
        tags=("coffee",),
    ),
    Article(
        "cof2",
        "Brazil coffee exports",
        "Brazil exported more coffee beans to Europe; the coffee harvest helped growers.",
        date(2020, 3, 10),
        source="Reuters",
        tags=("coffee",),
    ),
    Article(
        "long",
        "Long read",
        "lorem ipsum dolor " * 2800 + "the zebra crossing.",
        date(2017, 7, 7),
        source="AP",
    ),
] + [
    Article(
        f"w{i:02d}",
        f"Widget report {i}",
        f"Widget number {i} sold {i * 7} units.",
        date(2016, 1, 1 + i),
        source="Widgets",
    )
    for i in range(25)
]


def make_store(root: Path, articles=ARTICLES) -> Store:
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
def engine(tmp_path_factory):
    store = make_store(tmp_path_factory.mktemp("ix"))
    yield SearchEngine(store, Settings())
    store.close()


def ids(page):
    return [h.id for h in page.hits]


def run(engine, q="", **kw):
    return engine.search(SearchRequest(q=q, **kw))


def test_keyword_query_ranks_all_terms_first(engine):
    page = run(engine, "oil price")
    assert ids(page)[0] == "oil1"  # the only one with both, despite oil2's many "oil"
    assert set(ids(page)) == {"oil1", "oil2", "price3"}
    assert page.hits[0].score > 2 > page.hits[1].score  # tiered: 2 groups matched vs 1


def test_sentence_long_query_returns_ranked_results(engine):
    page = run(
        engine, "what happened with the coffee harvest in Brazil and did growers export beans"
    )
    assert page.total >= 2
    assert ids(page)[:2] == ["cof2", "cof1"]


def test_repeated_terms_weigh_more(engine):
    one = run(engine, "volcano coffee harvest brazil exported")
    two = run(engine, "volcano volcano volcano volcano coffee harvest brazil exported")
    assert ids(one) == ["cof2", "cof1", "volc"]
    assert ids(two) == ["cof2", "volc", "cof1"]
    # query term frequency weighs linearly: volc matches only "volcano", now 4 times over
    assert two.hits[1].score == pytest.approx(4 * one.hits[2].score, rel=1e-3)


def test_phrase_versus_words(engine):
    assert ids(run(engine, '"crude oil"')) == ["oil1"]
    assert run(engine, '"oil crude"').total == 0
    assert set(ids(run(engine, "oil crude"))) == {"oil1", "oil2"}


def test_exclusion_or_fields_prefix(engine):
    assert ids(run(engine, "oil -opec")) == ["oil2"]
    assert ids(run(engine, 'oil -"crude oil"')) == ["oil2"]
    assert set(ids(run(engine, "volcano OR marathon"))) == {"volc", "run1"}
    assert ids(run(engine, "title:volcano")) == ["volc"]
    assert run(engine, "title:lava").total == 0
    assert ids(run(engine, "author:doe")) == ["oil1"]
    assert ids(run(engine, 'author:"Jane Doe" oil')) == ["oil1"]
    assert ids(run(engine, "source:bbc")) == ["oil2"]
    assert ids(run(engine, "tag:food")) == ["price3"]
    assert ids(run(engine, "-tag:energy oil price")) == ["price3"]
    assert ids(run(engine, "mara*")) == ["run1"]
    assert run(engine, "runner").total == 0  # "runner" stems to itself, not "run"
    assert ids(run(engine, "running")) == ["run1"]


def test_date_filters_in_query_and_request(engine):
    assert ids(run(engine, "oil after:2020-01-01")) == ["oil1"]
    assert ids(run(engine, "oil before:2020")) == ["oil2"]
    assert ids(run(engine, "oil year:2019")) == ["oil2"]
    assert ids(run(engine, "oil before:2020-03-03 after:2020-03")) == ["oil1"]
    assert ids(run(engine, "oil before:2020-03-02")) == ["oil2"]
    assert ids(run(engine, "oil", date_from=date(2020, 3, 2), date_to=date(2020, 3, 2))) == ["oil1"]
    assert ids(run(engine, "oil price", source="Reuters")) == ["oil1", "price3"]
    assert ids(run(engine, "oil", tag="ENERGY", date_to=date(2019, 12, 31))) == ["oil2"]


def test_sort_newest_undated_last(engine):
    page = run(engine, "coffee OR oil OR volcano", sort="newest")
    assert ids(page) == ["cof2", "oil1", "volc", "oil2", "cof1"]
    assert [h.published for h in page.hits] == [
        "2020-03-10",
        "2020-03-02",
        "2020-02-01",
        "2019-05-01",
        None,
    ]


def test_facets_are_exact_over_whole_result_set(engine):
    page = run(engine, "oil OR coffee", per_page=1)
    assert page.total == 4 and len(page.hits) == 1
    assert page.facets["source"] == {"Reuters": 2, "AP": 1, "BBC": 1}
    assert page.facets["tags"] == {"coffee": 2, "energy": 2, "markets": 1}
    assert page.facets["year"] == {"2020": 2, "2019": 1}


def test_timeline_monthly_or_yearly(engine):
    tl = run(engine, "oil").timeline
    assert tl[0] == {"period": "2019-05", "count": 1, "from": "2019-05-01", "to": "2019-05-31"}
    assert tl[-1] == {"period": "2020-03", "count": 1, "from": "2020-03-01", "to": "2020-03-31"}
    assert len(tl) == 11 and sum(p["count"] for p in tl) == 2
    yearly = timeline({date(2016, 1, 2): 3, date(2020, 2, 29): 1})
    assert [p["period"] for p in yearly] == ["2016", "2017", "2018", "2019", "2020"]
    assert yearly[-1] == {"period": "2020", "count": 1, "from": "2020-01-01", "to": "2020-12-31"}


def test_near_duplicates_collapse_with_similar_count(engine):
    page = run(engine, "interest rates")
    assert page.total == 1 and len(page.hits) == 1
    assert page.hits[0].similar == 2
    full = run(engine, "interest rates", collapse=False)
    assert full.total == 3 and all(h.similar == 0 for h in full.hits)


def test_pagination_continues_without_overlap(engine):
    p1 = run(engine, "widget", per_page=10)
    p2 = run(engine, "widget", per_page=10, page=2)
    p3 = run(engine, "widget", per_page=10, page=3)
    assert p1.total == 25 and p1.pages == 3
    assert len(ids(p1)) == 10 and len(ids(p2)) == 10 and len(ids(p3)) == 5
    assert len(set(ids(p1)) | set(ids(p2)) | set(ids(p3))) == 25
    assert run(engine, "widget", per_page=10, page=4).hits == []


def test_hit_fields_and_snippets(engine):
    page = run(engine, "cheese")
    hit = page.hits[0]
    assert (
        hit.snippet == "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; <mark>cheese</mark>"
    )
    assert hit.published is None and hit.source == "AP" and page.took_ms > 0
    assert hit.score == round(hit.score, 4)
    deep = run(engine, "zebra").hits[0]
    assert "<mark>zebra</mark>" in deep.snippet
    title_only = run(engine, "volcano").hits[0]
    assert title_only.snippet == "Lava flowed down the mountain for hours."
    oil = next(h for h in run(engine, "oil").hits if h.id == "oil1")
    assert oil.published == "2020-03-02" and oil.tags == ["energy", "markets"]
    assert oil.author == "Jane Doe"


def test_did_you_mean(engine):
    page = run(engine, "cofee harvest")  # "harvest" finds something: a suggestion only
    assert page.suggestion == "coffee harvest" and page.results_for is None
    assert run(engine, "coffee harvest").suggestion is None
    assert run(engine, "zzqxj").suggestion is None


def test_suggest_completes_last_word(engine):
    assert engine.suggest("brazil cof") == ["brazil coffee"]
    assert engine.suggest("wid")[0] == "widget"
    assert engine.suggest("oil ") == [] and engine.suggest("") == []


def test_article_more_like_this_newest_stats_explain(engine):
    art = engine.article("oil1")
    assert art.title == "Oil prices rise" and art.published == "2020-03-02"
    assert art.tags == ["energy", "markets"] and art.source == "Reuters"
    with pytest.raises(NotFound):
        engine.article("nope")
    with pytest.raises(NotFound):
        engine.more_like_this("nope")
    similar = engine.more_like_this("cof1")
    assert similar and similar[0].id == "cof2" and "cof1" not in [h.id for h in similar]
    mlt = [h.id for h in engine.more_like_this("bank1", limit=10)]
    assert not {"bank1", "bank2", "bank3"} & set(mlt)
    assert [h.id for h in engine.newest(2)] == ["price3", "bank3"]
    stats = engine.stats()
    assert stats.documents == len(ARTICLES)
    assert stats.to_dict()["top_tags"][0] in (
        {"tag": "coffee", "count": 2},
        {"tag": "energy", "count": 2},
    )
    text = engine.explain("oil -opec tag:food after:2020")
    assert "Coord" in text and "EXCLUDE" in text and "FILTER" in text


def test_bad_requests(engine):
    with pytest.raises(BadRequest, match="too long"):
        run(engine, "x" * 1001)
    with pytest.raises(BadRequest, match="too many terms"):
        run(engine, "w " * 201)
    with pytest.raises(BadRequest):
        run(engine, "oil", per_page=101)
    with pytest.raises(BadRequest):
        run(engine, "oil", page=0)
    with pytest.raises(BadRequest):
        run(engine, "oil", sort="oldest")
    with pytest.raises(BadRequest):
        run(engine, "oil", date_from=date(2021, 1, 1), date_to=date(2020, 1, 1))


def test_empty_query_browses_newest(engine):
    page = run(engine, "", per_page=3)
    assert page.total == len(ARTICLES) - 2  # the three bank copies collapse into one
    assert ids(page) == ["price3", "bank3", "cof2"]
    assert [h.similar for h in page.hits] == [0, 2, 0]


def test_long_query_common_words_only_add_to_rarer_matches(engine):
    # 8+ groups: "widget" (in 25 of 37 docs) no longer brings in documents on its own
    q = "widget volcano lava mountain erupts hours flowed down marathon"
    page = run(engine, q)
    assert set(ids(page)) == {"volc", "run1"}
    assert ids(page)[0] == "volc"
    assert run(engine, "widget volcano").total == 26  # short queries keep every match


@pytest.fixture(scope="module")
def reuters(data_dir, tmp_path_factory):
    """One real Reuters file (1,000 stories) indexed by the real indexer."""
    from searchsvc.engine.indexer import index_corpus

    src = data_dir / "reuters21578" / "reut2-000.sgm"
    if not src.is_file():
        pytest.skip(f"{src} is missing")
    corpus = tmp_path_factory.mktemp("reuters-corpus")
    shutil.copyfile(src, corpus / src.name)  # a symlink out of the corpus would be skipped
    index_dir = tmp_path_factory.mktemp("reuters-index")
    index_corpus(corpus, index_dir, procs=1)
    store = Store(index_dir)
    yield SearchEngine(store, Settings())
    store.close()


@pytest.mark.data
@pytest.mark.slow
def test_reuters_queries(reuters):
    page = run(reuters, "coffee brazil")
    assert "COFFEE" in page.hits[0].title.upper() and page.total > 10
    assert all("<mark>" in h.snippet for h in page.hits)
    assert sum(page.facets["year"].values()) >= page.total
    typo = run(reuters, "cofee")  # nothing as typed: the correction's results, saying so
    assert (typo.query, typo.results_for, typo.suggestion) == ("cofee", "coffee", None)
    assert typo.total == run(reuters, "coffee").total > 0
    assert "results_for" not in run(reuters, "coffee").to_dict()
    p1, p2 = run(reuters, "oil", per_page=5), run(reuters, "oil", per_page=5, page=2)
    assert len(p2.hits) == 5 and not set(ids(p1)) & set(ids(p2))
    para = (
        "The central bank said on Tuesday that it would keep interest rates unchanged despite "
        "rising inflation and a weaker currency, as the government prepares a new budget."
    )
    long_page = run(reuters, para)
    assert long_page.total > 10 and long_page.took_ms < 5000
    marked = {w.lower() for w in re.findall(r"<mark>(.*?)</mark>", long_page.hits[0].snippet)}
    assert len(marked) >= 3


def test_cached_pages_never_outlive_their_generation(tmp_path):
    """Pages, newest() and stats() are cached per generation: a switched-in index shows at once."""
    store = make_store(tmp_path)
    engine = SearchEngine(store, Settings())
    try:
        first = run(engine, "oil")
        again = run(engine, "oil")
        assert ids(again) == ids(first) and again.total == first.total
        again.hits.clear()  # a caller changing its page does not change the cached one
        assert ids(run(engine, "oil")) == ids(first)
        assert engine.newest(limit=3)[0].id == "price3"
        assert engine.stats().documents == len(ARTICLES)
        gen = tmp_path / gen_name(2)
        gen.mkdir()
        ix = whoosh.index.create_in(str(gen), build_schema())
        fresh = Article("oil9", "Oil glut", "Oil oil oil everywhere.", date(2022, 1, 5), source="X")
        with ix.writer() as w:
            w.add_document(**article_to_doc(fresh))
        switch_current(tmp_path, gen_name(2))
        page = run(engine, "oil")
        assert ids(page) == ["oil9"] and page.total == 1 and page.facets["source"] == {"X": 1}
        assert [h.id for h in engine.newest(limit=3)] == ["oil9"]
        assert engine.stats().documents == 1
    finally:
        store.close()


def test_a_misspelt_word_from_deep_in_a_body_is_corrected(tmp_path):
    filler = " ".join(f"Paragraph {i} says nothing in particular." for i in range(40))
    body = f"{filler}\n\nTalks in Pyongyang ended without an agreement."  # past the lead
    store = make_store(tmp_path, [Article("k1", "Talks end", body), *ARTICLES])
    engine = SearchEngine(store, Settings())
    page = run(engine, "pyongyng")
    assert (page.results_for, [h.id for h in page.hits]) == ("pyongyang", ["k1"])
    store.close()


def test_completions_stand_with_the_earlier_words(tmp_path):
    arts = [
        Article("r1", "Interest rates held", "The bank kept interest rates on hold."),
        Article("r2", "Rates rise", "Interest rates rose again as the bank feared prices."),
        Article("w1", "Rain falls", "Heavy rain and a railway closure."),  # never with interest
        Article("w2", "Railway news", "The railway reopened after the rain."),
        Article("w3", "Interest in rail", "Interest in the railway grew."),
    ]
    store = make_store(tmp_path, arts)
    engine = SearchEngine(store, Settings())
    # "rates" stands right after "interest" (twice, once in a title); "rail" shares a title
    # with it; "rain" never stands with "interest": it is not offered
    assert engine.suggest("interest ra") == ["interest rates", "interest rail", "interest railway"]
    assert engine.suggest("ra")[:2] == ["railway", "rain"]  # alone: the most used words
    assert engine.suggest("interest zz") == []  # nothing stands with "interest"
    store.close()


@pytest.mark.data
def test_bbc_sport_completes_world_cup(data_dir, tmp_path):
    sport = data_dir / "bbc" / "sport"
    if not sport.is_dir():
        pytest.skip(f"{sport} is missing")
    shutil.copytree(sport, tmp_path / "corpus" / "sport")
    index_corpus(tmp_path / "corpus", tmp_path / "index")
    engine = SearchEngine(Store(tmp_path / "index"), Settings())
    first = engine.suggest("world c")
    assert first[0] == "world cup" and "world corp" not in first and "world company" not in first


def test_a_phrase_completes_even_when_many_words_stand_with_the_earlier_one(tmp_path):
    """Adjacency is counted for every stem of the prefix from the position arrays, not only
    for the 24 commonest companions of the earlier word (a mixed BBC and Reuters index once
    offered "world countries", "world currency", ... and never "world cup")."""
    common = [f"c{chr(97 + i)}{chr(97 + j)}word" for i in range(6) for j in range(6)]  # 36
    rows = [
        {"id": f"n{k}", "title": f"Report {k}", "body": "The world said " + " and ".join(common)}
        for k in range(5)
    ]
    rows += [
        {"id": "s1", "title": "Sport", "body": "The world cup final."},
        {"id": "s2", "title": "More sport", "body": "A world cup match."},
    ]
    (tmp_path / "corpus").mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (tmp_path / "corpus" / "a.jsonl").write_text(lines, encoding="utf-8")
    index_corpus(tmp_path / "corpus", tmp_path / "index")
    store = Store(tmp_path / "index")
    view = store.view()
    assert SearchEngine(store, Settings()).suggest("world c")[0] == "world cup"
    following = spelling._following(view, "world", "c")
    for stem in ["cup", *[index_terms(w)[0] for w in common[:5]]]:
        assert following.get(stem, 0) == spelling._phrase_weight(view, "world", stem)
    store.close()
