"""British and American spellings meet at index and query time (text/variants.py)."""

from __future__ import annotations

import collections
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.text.analysis import TOKEN_PATTERN, english_analyzer, index_terms, stem_many
from searchsvc.text.snippets import _head, make_snippet
from searchsvc.text.variants import canonical, spellings_of

ARTICLES = [
    {"id": "uk", "title": "Talks resume", "body": "Seoul wants the denuclearisation of the north."},
    {"id": "us", "title": "Envoy visits", "body": "A denuclearization deal is near, aides say."},
    {"id": "colour", "title": "Paint", "body": "The colour of the centre court was grey."},
    {"id": "size", "title": "Shoes", "body": "The size of the prize was a surprise to our team."},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    lines = "".join(json.dumps(a) + "\n" for a in ARTICLES)
    (corpus / "news.jsonl").write_text(lines, encoding="utf-8")
    index_corpus(corpus, index_dir, rebuild=True, procs=1)
    store = Store(index_dir)
    yield SearchEngine(store, Settings())
    store.close()


def hits(engine, q: str) -> list[tuple[str, str]]:
    page = engine.search(SearchRequest(q=q, facets=False, autocorrect=False))
    return [(h.id, h.snippet) for h in page.hits]


def test_either_spelling_finds_both_and_snippets_mark_the_article_s_own(engine):
    for q in ("denuclearization", "denuclearisation"):
        found = dict(hits(engine, q))
        assert set(found) == {"uk", "us"}
        assert "<mark>denuclearisation</mark>" in found["uk"]
        assert "<mark>denuclearization</mark>" in found["us"]
    assert hits(engine, "color center gray") == [
        (
            "colour",
            "The <mark>colour</mark> of the <mark>centre</mark> court was <mark>grey</mark>.",
        )
    ]


def test_words_that_only_look_like_variants_stay_apart(engine):
    assert [i for i, _ in hits(engine, "sise")] == []
    assert [i for i, _ in hits(engine, "prise")] == []
    assert [i for i, _ in hits(engine, "surprize")] == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("denuclearisation", "denuclearization"),
        ("organisations", "organizations"),
        ("realised", "realized"),
        ("criticising", "criticizing"),
        ("analysed", "analysed"),
        ("analyzing", "analysing"),
        ("colour", "color"),
        ("favourite", "favorite"),
        ("behavioural", "behavioral"),
        ("neighbourhood", "neighborhood"),
        ("center", "centre"),
        ("centered", "centred"),
        ("kilometers", "kilometres"),
        ("catalogue", "catalog"),
        ("catalogued", "cataloged"),
        ("travelled", "traveled"),
        ("cancelling", "canceling"),
        ("defence", "defense"),
        ("grey", "gray"),
        ("programme", "program"),
        # exceptions: -ize, -our, -re, -ogue and -lled words that are no variants
        ("size", "size"),
        ("prize", "prize"),
        ("seize", "seize"),
        ("capsize", "capsize"),
        ("rise", "rise"),
        ("noise", "noise"),
        ("praise", "praise"),
        ("otherwise", "otherwise"),
        ("advertising", "advertising"),
        ("exercises", "exercises"),
        ("promised", "promised"),
        ("surprise", "surprise"),
        ("uncompromising", "uncompromising"),
        ("our", "our"),
        ("hour", "hour"),
        ("hours", "hours"),
        ("four", "four"),
        ("tourist", "tourist"),
        ("flour", "flour"),
        ("detour", "detour"),
        ("outpouring", "outpouring"),
        ("journal", "journal"),
        ("odour", "odor"),
        ("ardour", "ardor"),
        ("acre", "acre"),
        ("ogre", "ogre"),
        ("massacre", "massacre"),
        ("metre", "metre"),
        ("meter", "meter"),
        ("vogue", "vogue"),
        ("rogue", "rogue"),
        ("called", "called"),
        ("controlled", "controlled"),
        ("tyre", "tyre"),
        ("disc", "disc"),
        ("tonne", "tonne"),
        ("draught", "draught"),
        ("cheque", "cheque"),
    ],
)
def test_canonical_spelling(word, expected):
    assert canonical(word) == expected


def test_the_analyzer_and_the_fast_path_agree_on_variants():
    text = "The organisation's colourful catalogues, centred on travellers' rumours"
    assert index_terms(text) == [t.text for t in english_analyzer()(text)]
    assert index_terms(text) == index_terms(
        "The organization's colorful catalogs, centered on travelers' rumors"
    )


def test_snippets_find_every_spelling_of_a_stem():
    assert make_snippet("Her favourite colours.", set(index_terms("favorite colors"))) == (
        "Her <mark>favourite</mark> <mark>colours</mark>."
    )
    assert spellings_of("favorit", stem_many) == {"favorit", "favourit"}


@pytest.mark.data
def test_variants_on_the_words_of_reuters_and_bbc(data_dir):
    """Every rewritten word of Reuters and BBC: snippets still find it, and the merges are
    exactly British/American pairs (the count pins the rule set; review the list when it moves)."""
    words: collections.Counter = collections.Counter()
    files = sorted((data_dir / "reuters21578").glob("reut2-*.sgm"))
    files += sorted((data_dir / "bbc").glob("*/*.txt"))
    if not files:
        pytest.skip(f"no Reuters or BBC files under {data_dir}")
    for f in files:
        text = f.read_text("latin-1").lower()
        words.update(w for w in TOKEN_PATTERN.findall(text) if w.isalpha())
    changed = {w: canonical(w) for w in words if canonical(w) != w}
    for w, c in changed.items():  # the snippet finder looks at words starting with a head
        heads = {_head(v) for v in spellings_of(stem_many([c])[0], stem_many)}
        assert w.startswith(tuple(heads)), (w, c, heads)
    merged = {w: c for w, c in changed.items() if c in words}
    assert (len(words), len(changed), len(merged)) == (57512, 526, 284)
    top = sorted(merged, key=lambda w: -words[w])[:12]
    assert [(w, merged[w]) for w in top] == [
        ("labour", "labor"),
        ("programme", "program"),
        ("defence", "defense"),
        ("organisation", "organization"),
        ("totalled", "totaled"),
        ("center", "centre"),
        ("aluminium", "aluminum"),
        ("criticised", "criticized"),
        ("totalling", "totaling"),
        ("favour", "favor"),
        ("programmes", "programs"),
        ("centers", "centres"),
    ]
    never = {"size", "prize", "seize", "our", "hour", "acre", "ogre", "metre", "meter", "rise"}
    assert never & set(changed) == set()


def test_an_index_analysed_without_the_spelling_rules_is_rebuilt(tmp_path, monkeypatch):
    """An index from before the rules holds "denuclearis", the query side now asks for
    "denuclear": such an index counts as another version's, and indexing rebuilds it."""
    from whoosh.analysis import (
        CharsetFilter,
        LowercaseFilter,
        RegexTokenizer,
        StemFilter,
        StopFilter,
    )
    from whoosh.support.charset import accent_map

    from searchsvc.engine import schema
    from searchsvc.errors import SearchsvcError
    from searchsvc.text import analysis
    from searchsvc.text.tokenize import fuse

    before = fuse(
        RegexTokenizer(analysis.TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | analysis.PossessiveNumberFilter()
        | StopFilter(stoplist=analysis.STOP_WORDS, minsize=1)
        | StemFilter(stemfn=analysis.stem, cachesize=200_000),
        per_token=(analysis.PossessiveNumberFilter,),
    )
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "news.jsonl").write_text(json.dumps(ARTICLES[0]) + "\n", encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(schema, "english_analyzer", lambda: before)
        index_corpus(corpus, index_dir, procs=1)
    with pytest.raises(SearchsvcError, match="built by another version"):
        SearchEngine(Store(index_dir), Settings()).search(SearchRequest(q="denuclearization"))
    index_corpus(corpus, index_dir, procs=1)  # not --rebuild: the old generation is not reused
    store = Store(index_dir)
    try:
        page = SearchEngine(store, Settings()).search(SearchRequest(q="denuclearization"))
        assert [h.id for h in page.hits] == ["uk"]
    finally:
        store.close()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *("The", "the", "colour's", "1,000", "travellers'", "Rumours", "it’s", "and"),
                *("a", "Café", "naïve", "organise", "ORGANIZATION", "running", "ran", "2,5a"),
            ]
        )
        | st.text(alphabet="abcé'’,1 ", max_size=8),
        max_size=30,
    )
)
def test_index_terms_is_the_analyzer_cold_and_warm(words):
    """The per-word memory gives what the analyzer gives, on the first call and the next."""
    text = " ".join(words)
    expected = [t.text for t in english_analyzer()(text)]
    assert index_terms(text) == expected
    assert index_terms(text) == expected
