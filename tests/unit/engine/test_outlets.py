"""One outlet, one name: facets, statistics and filters use the outlet's canonical name."""

from __future__ import annotations

import json
from pathlib import Path

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store

REPO = Path(__file__).resolve().parents[3]


def test_spellings_and_bare_domains_become_one_outlet(tmp_path):
    rows = [
        ("a", "The Marlow Valley Courier", "https://www.marlowcourier.example/a"),
        ("b", "Marlow Valley Courier", "https://marlowcourier.example/b"),
        ("c", "Marlow Valley Courier", ""),
        ("d", "marlowcourier.example", "https://marlowcourier.example/d"),  # no name on the page
        ("e", "The English Chronicle Online", ""),
        ("f", "The English Chronicle", ""),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [
        json.dumps(
            {"id": i, "title": f"Story {i}", "body": f"News story {i}.", "source": s, "url": u}
        )
        for i, s, u in rows
    ]
    (corpus / "a.jsonl").write_text("\n".join(lines) + "\n")
    index_corpus(corpus, tmp_path / "index")
    engine = SearchEngine(Store(tmp_path / "index"), Settings())
    assert engine.stats().sources == {"Marlow Valley Courier": 4, "The English Chronicle Online": 2}
    assert engine.search(SearchRequest(q="news")).facets["source"] == engine.stats().sources
    for spelling in ("the marlow-valley courier", "marlowcourier.example", "Marlow Valley Courier"):
        page = engine.search(SearchRequest(q="news", source=(spelling,), per_page=10))
        assert sorted(h.id for h in page.hits) == ["a", "b", "c", "d"], spelling
    assert engine.search(SearchRequest(q='news source:"english chronicle"')).total == 2


def test_the_bundled_corpus_shows_one_entry_per_outlet(tmp_path):
    index_corpus(REPO / "corpus", tmp_path / "index")
    sources = SearchEngine(Store(tmp_path / "index"), Settings()).stats().sources
    assert sources == {
        "The English Chronicle Online": 9,
        "Albion Press Association": 8,
        "The Harbour Gazette": 7,
        "Reuters": 4,
        "Marlow Valley Courier": 3,
        "Wendshire Evening Post": 2,
        "Northgate Daily": 1,
        "The Continental Ledger": 1,
    }
