"""Copies of one story fold into one result and stay reachable (issue 13)."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.text import fingerprint as fingerprints
from searchsvc.text.fingerprint import EMPTY, FINGERPRINT_BYTES, copies, fingerprint, stories
from searchsvc.web import create_app

STORY = (
    "The central bank said on Tuesday it would keep its main interest rate unchanged at 4.5 "
    "percent, citing slowing inflation and a weaker labour market. Economists had expected "
    "the decision. The governor told reporters that the bank would watch wage growth closely "
    "and stood ready to act if prices rose faster than forecast in the second half of 2026."
)


def rows(*texts: str) -> np.ndarray:
    """Return the fingerprints of texts as rows."""
    raw = b"".join(fingerprint("", t) for t in texts)
    return np.frombuffer(raw, np.uint8).reshape(len(texts), FINGERPRINT_BYTES)


def test_spelling_variants_small_edits_and_added_sentences_are_copies():
    variant = STORY.replace("labour", "labor")
    longer = STORY + " Markets barely moved after the announcement, traders in London said."
    other = STORY.replace("4.5", "4.75")  # the same template with another figure: other news
    different = "Heavy rain flooded the river towns overnight and closed roads " * 5
    assert copies(rows(STORY, variant, longer, other, different)) == [(0, 1), (0, 2), (1, 2)]
    assert fingerprint("", "too short to tell") == EMPTY


def test_stories_join_exact_keys_and_copy_pairs():
    exact = np.array([7, 7, 3, 9, 4, 9])
    assert stories(exact, []).tolist() == [0, 0, 1, 2, 3, 2]
    assert stories(exact, [(2, 4)]).tolist() == [0, 0, 1, 2, 1, 2]
    assert stories(exact, [(1, 3), (2, 4)]).tolist() == [0, 0, 1, 0, 1, 0]


def write(path: Path, *docs: dict) -> None:
    """Write articles as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")


@pytest.fixture
def engine(tmp_path) -> SearchEngine:
    corpus = tmp_path / "corpus"
    write(
        corpus / "a.jsonl",
        {"id": "v1", "title": "Rates held", "body": STORY, "published": "2026-01-03"},
        {
            "id": "v2",
            "title": "Rates kept",
            "body": STORY.replace("labour", "labor"),
            "published": "2026-01-02",
        },
        {
            "id": "v3",
            "title": "Rates held",
            "body": STORY + " Traders said little.",
            "published": "2026-01-04",
        },
        {
            "id": "x",
            "title": "Rates elsewhere",
            "body": STORY.replace("4.5", "3"),
            "published": "2026-01-05",
        },
    )
    index_corpus(corpus, tmp_path / "index")
    return SearchEngine(Store(tmp_path / "index"), Settings())


def test_folded_hits_name_their_copies_and_the_copies_can_be_listed(engine):
    page = engine.search(SearchRequest(q="interest rate"))
    assert page.total == 2 and page.facets["year"] == {"2026": 2}
    folded = next(h for h in page.hits if h.similar)
    assert folded.similar == 2 and sorted([folded.id, *folded.similar_ids]) == ["v1", "v2", "v3"]
    assert len(engine.search(SearchRequest(q="interest rate", collapse=False)).hits) == 4
    every = engine.search(SearchRequest(copies_of="v2", collapse=False, sort="newest"))
    assert [h.id for h in every.hits] == ["v3", "v1", "v2"]  # the story's copies, by date
    api = create_app({"INDEX_DIR": engine.store.index_dir}).test_client()
    body = api.get("/api/search?copies_of=v1&collapse=false").json
    assert sorted(h["id"] for h in body["hits"]) == ["v1", "v2", "v3"]


@pytest.mark.data
def test_reuters_and_bbc_copies_fold(data_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(data_dir / "reuters21578" / "reut2-005.sgm", corpus)
    for name in ("077", "354"):
        shutil.copy(data_dir / "bbc" / "politics" / f"{name}.txt", corpus / f"budget-{name}.txt")
    index_corpus(corpus, tmp_path / "index")
    engine = SearchEngine(Store(tmp_path / "index"), Settings())
    page = engine.search(SearchRequest(q="saudi oil minister opec pact"))
    pair = {"reut2-005-5167", "reut2-005-5273"}
    (hit,) = [h for h in page.hits if h.id in pair]  # one of them shows ...
    assert set(hit.similar_ids) == pair - {hit.id}  # ... naming the other
    budget = engine.search(SearchRequest(q="Brown names 16 March for Budget")).hits[0]
    assert {budget.id, *budget.similar_ids} == {"budget-077", "budget-354"}


def test_a_story_counts_under_every_value_its_copies_carry(tmp_path):
    corpus = tmp_path / "corpus"
    variant = STORY.replace("labour", "labor")
    docs = [
        {"id": "a", "title": "Rates", "body": STORY, "source": "Wire A", "tags": ["economy"],
         "published": "2025-12-30"},
        {"id": "b", "title": "Rates", "body": variant, "source": "Wire B", "tags": ["markets"],
         "published": "2026-01-02"},
    ]  # fmt: skip
    write(corpus / "a.jsonl", *docs)
    index_corpus(corpus, tmp_path / "index")
    engine = SearchEngine(Store(tmp_path / "index"), Settings())
    page = engine.search(SearchRequest(q="interest rate"))
    assert page.total == 1  # one story, copies in two sources, tags and years
    assert page.facets["source"] == {"Wire A": 1, "Wire B": 1}
    assert page.facets["tags"] == {"economy": 1, "markets": 1}
    assert page.facets["year"] == {"2025": 1}  # dated by its first appearance
    for source in ("Wire A", "Wire B"):  # what a facet promises, its filter finds
        assert engine.search(SearchRequest(q="interest rate", source=(source,))).total == 1


@pytest.mark.slow  # builds the 154 MB matrix once, to compare
def test_a_huge_article_is_fingerprinted_in_bounded_memory(monkeypatch):
    """An 18 MB article once took 2.2 GB to fingerprint (one shingles x hashes matrix); blocks
    of CHUNK shingles give the same fingerprint in a few MB."""
    body = " ".join(f"w{i % 150_000}x{i % 7}" for i in range(300_000))  # ~300,000 word pairs
    tracemalloc.start()
    try:
        got = fingerprint("Big", body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60_000_000  # the whole matrix: 300,000 x 64 x 8 bytes = 154 MB, and copies
    monkeypatch.setattr(fingerprints, "CHUNK", 10**9)  # one block: the formula before blocks
    assert fingerprint("Big", body) == got
