"""An update that adds only undated articles makes a segment with no date column."""

import json
from datetime import date

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store


def _write(path, *docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")


def test_search_facets_and_newest_after_an_undated_only_update(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _write(
        corpus / "a.jsonl",
        {"id": "old", "title": "Coffee", "body": "Coffee prices rose.", "published": "2020-01-02"},
        {"id": "new", "title": "Cocoa", "body": "Cocoa prices rose.", "published": "2021-05-06"},
    )
    index_corpus(corpus, index)
    _write(corpus / "b.jsonl", {"id": "tea", "title": "Tea", "body": "Kenyan tea prices fell."})
    assert index_corpus(corpus, index).added == 1

    engine = SearchEngine(Store(index), Settings())
    page = engine.search(SearchRequest(q="prices"))
    assert sorted(h.id for h in page.hits) == ["new", "old", "tea"]
    assert page.facets["year"] == {"2020": 1, "2021": 1}
    newest = engine.search(SearchRequest(q="prices", sort="newest"))
    assert [h.id for h in newest.hits] == ["new", "old", "tea"]
    assert [h.id for h in engine.newest(5)] == ["new", "old", "tea"]


def test_newest_first_puts_undated_matches_last_by_relevance(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _write(
        corpus / "a.jsonl",
        {"id": "u-weak", "title": "Notes", "body": "Tea is grown in hills; tea prices."},
        {"id": "u-strong", "title": "Tea prices", "body": "Tea prices fell. Tea tea tea."},
        {"id": "d-old", "title": "Tea", "body": "Old tea prices.", "published": "2001-01-01"},
        {"id": "d-new", "title": "Tea", "body": "Tea prices.", "published": "2009-01-01"},
    )
    index_corpus(corpus, index)
    engine = SearchEngine(Store(index), Settings())
    page = engine.search(SearchRequest(q="tea prices", sort="newest"))
    assert [h.id for h in page.hits] == ["d-new", "d-old", "u-strong", "u-weak"]


def test_a_date_filter_on_an_undated_collection_says_so(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _write(corpus / "a.jsonl", {"id": "t", "title": "Tea", "body": "Kenyan tea prices fell."})
    index_corpus(corpus, index)
    engine = SearchEngine(Store(index), Settings())
    page = engine.search(SearchRequest(q="tea", date_from=date(2020, 1, 1)))
    assert page.total == 0 and page.notes == [
        "no article in this index has a date, so a date filter leaves nothing "
        "(undated=1 keeps the undated ones)"
    ]
    kept = engine.search(SearchRequest(q="tea", date_from=date(2020, 1, 1), include_undated=True))
    assert kept.total == 1 and kept.notes == []
