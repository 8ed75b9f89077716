"""The fused analyzer yields exactly what the analyzer chain it replaces yields, on real text."""

from __future__ import annotations

import pytest
from whoosh.analysis import NgramFilter, RegexTokenizer

from searchsvc.ingest import read_file
from searchsvc.text.analysis import (
    PossessiveNumberFilter,
    english_analyzer,
    english_chain,
    plain_analyzer,
    plain_chain,
)
from searchsvc.text.tokenize import FusedAnalyzer, fuse

TRICKY = [
    "Café Müller's 1,000.5 naïve co-operate, the bank’s ÉCOLE 3.5% U.S. it's s' O'Neill's",
    "THE and of to a in is it you that",  # all stop words
    "Reuters's rose 1,250,000 tonnes; 12.5 pct in 1987/88 -- Brazil's cocoa",
    "x's don’t İstanbul Straße ﬁnance ½ ²nd",
    "",
    "   ",
]
MODES = [
    {},
    {"positions": True},
    {"positions": True, "chars": True, "mode": "index"},
    {"positions": True, "chars": True, "mode": "query", "removestops": False},
    {"positions": True, "chars": True, "mode": "query"},
    {"positions": True, "no_morph": True},
    {"positions": True, "chars": True, "keeporiginal": True, "start_pos": 7, "start_char": 11},
    {"tokenize": False, "positions": True, "chars": True},
    {"tokenize": False, "removestops": False, "mode": "query"},
]


def tokens(analyzer, text: str, **kwargs) -> list[tuple]:
    """Return every attribute a consumer of the token stream can see."""
    return [
        (
            t.text,
            getattr(t, "pos", None),
            getattr(t, "startchar", None),
            getattr(t, "endchar", None),
            t.stopped,
            t.boost,
            getattr(t, "original", None),
        )
        for t in analyzer(text, **kwargs)
    ]


@pytest.fixture(scope="module", params=["tricky", pytest.param("reuters", marks=pytest.mark.data)])
def texts(request) -> list[str]:
    """Tricky strings, or titles and bodies of 120 real Reuters stories (shared data)."""
    if request.param == "tricky":
        return TRICKY
    sgm = request.getfixturevalue("data_dir") / "reuters21578" / "reut2-000.sgm"
    if not sgm.is_file():
        pytest.skip(f"Reuters-21578 not found at {sgm} (set SEARCHSVC_DATA)")
    return [f"{a.title}\n{a.body}" for a in read_file(sgm, sgm.parent).articles[:120]]


@pytest.mark.parametrize("name", ["english", "plain"])
def test_fused_analyzer_is_token_for_token_identical(texts, name):
    chain = english_chain() if name == "english" else plain_chain()
    fused = english_analyzer() if name == "english" else plain_analyzer()
    assert isinstance(fused, FusedAnalyzer)
    for kwargs in MODES:
        for text in texts:
            assert tokens(fused, text, **kwargs) == tokens(chain, text, **kwargs), (kwargs, text)


def test_bulk_paths_match_the_token_stream(texts):
    fused = fuse(english_analyzer(), per_token=(PossessiveNumberFilter,))
    for text in texts:
        expected: dict[str, list[int]] = {}
        for t in english_chain()(text, positions=True, mode="index"):
            expected.setdefault(t.text, []).append(t.pos)
        assert fused.positions(text) == expected
        assert fused.counts(text) == {k: len(v) for k, v in expected.items()}


def test_fusing_refuses_chains_it_cannot_reproduce():
    fused = fuse(plain_analyzer())
    assert fuse(fused) is fused  # fusing twice is harmless
    with pytest.raises(TypeError):
        fuse(RegexTokenizer() | PossessiveNumberFilter())  # not declared per-token
    with pytest.raises(TypeError):
        fuse(RegexTokenizer() | NgramFilter(2, 3))
    with pytest.raises(TypeError):
        fuse(RegexTokenizer(r"\s+", gaps=True))


def test_a_fused_analyzer_survives_pickling_in_the_index_schema():
    import pickle

    fused = fuse(english_analyzer(), per_token=(PossessiveNumberFilter,))
    list(fused("Cocoa prices"))
    again = pickle.loads(pickle.dumps(fused))
    assert isinstance(again, FusedAnalyzer) and again == fused
    assert [t.text for t in again("Cocoa prices rose")] == ["cocoa", "price", "rose"]
    assert again.has_morph() and not fuse(plain_analyzer()).has_morph()
