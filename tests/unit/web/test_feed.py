"""Atom feeds of searches (/feed.atom): RFC 4287, as a reader parses them, newest first, 304s."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import feedparser
import pytest
from atom_check import A, problems
from webdata import web_articles

from searchsvc.web import create_app

READER_HEADERS = {"content-type": "application/atom+xml; charset=utf-8"}


def parse(body: bytes, where: str = "https://reader.example/feed.atom"):
    """Return the feed as feedparser reads it, relative links resolved against `where`."""
    parsed = feedparser.parse(body, response_headers={**READER_HEADERS, "content-location": where})
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_feed_of_a_search_is_valid_atom_newest_first(client):
    r = client.get("/feed.atom?q=oil")
    assert r.status_code == 200
    assert r.mimetype == "application/atom+xml"
    assert problems(r.data) == []
    feed = parse(r.data)
    assert feed.version == "atom10"
    assert feed.feed.title == "oil"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "https://reader.example/feed.atom?q=oil"
    assert links["alternate"] == "https://reader.example/?q=oil&sort=newest"
    assert len(feed.entries) == 14  # every oil story
    days = [e.published for e in feed.entries]
    assert days == sorted(days, reverse=True)
    first = feed.entries[0]
    assert first.id == "tag:searchsvc.invalid,2026:article/oil-09"
    assert first.link == "https://reader.example/articles/oil-09?q=oil"
    assert first.published.startswith("2023-10-10") and first.updated == first.published
    assert first.author == "Jane Reporter"
    assert "<" not in first.summary and "Crude oil prices moved in trading week 10" in first.summary
    assert {t.term for t in first.tags} == {"energy"}


def test_entries_match_the_newest_page_of_the_same_search(client):
    feed = parse(client.get("/feed.atom?q=oil&source=Reuters&from=2020-01-01").data)
    page = client.get("/api/search?q=oil&source=Reuters&from=2020-01-01&sort=newest&per_page=50")
    ids = [e.id.rsplit("/", 1)[1] for e in feed.entries]
    assert ids == [h["id"] for h in page.json["hits"]]
    assert feed.feed.title == "oil" and "source Reuters" in feed.feed.subtitle


def test_feed_holds_at_most_fifty_entries(web_index, tmp_path):
    from searchsvc.engine.indexer import index_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    arts = [
        {"id": f"n{i:03d}", "title": f"Tin note {i}", "body": f"Tin market note {i}.",
         "published": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}"}
        for i in range(60)
    ]  # fmt: skip
    (corpus / "a.jsonl").write_text("\n".join(json.dumps(a) for a in arts) + "\n")
    index_corpus(corpus, tmp_path / "index", rebuild=True, procs=1)
    app = create_app({"INDEX_DIR": tmp_path / "index", "QUERY_LOG": False})
    feed = parse(app.test_client().get("/feed.atom?q=tin").data)
    assert len(feed.entries) == 50
    days = [e.published for e in feed.entries]
    assert days == sorted(days, reverse=True)


def test_unsafe_text_and_urls_stay_text(client):
    r = client.get("/feed.atom?q=zanzibar")
    assert problems(r.data) == []
    root = ET.fromstring(r.data)
    entry = root.find(A + "entry")
    assert entry.findtext(A + "title").startswith("<script>")  # as text, escaped in the XML
    assert b"<script>" not in r.data
    links = {link.get("rel") for link in entry.findall(A + "link")}
    assert links == {"alternate"}  # the javascript: URL of the article is not linked
    assert "<script>window.__xss=3</script>" in entry.findtext(A + "summary")  # text, not markup


def test_conditional_get_answers_304(client):
    r = client.get("/feed.atom?q=cocoa")
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    again = client.get("/feed.atom?q=cocoa", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get("/feed.atom?q=cocoa", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get("/feed.atom?q=coffee", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_absolute_urls_come_from_public_url_never_the_host_header(web_index):
    app = create_app({"INDEX_DIR": web_index, "PUBLIC_URL": "https://news.example.org/search/"})
    r = app.test_client().get("/feed.atom?q=cocoa", headers={"Host": "evil.example"})
    assert b"evil.example" not in r.data
    assert problems(r.data) == []
    feed = parse(r.data, where="https://elsewhere.example/x.atom")
    assert feed.feed.id.startswith("tag:news.example.org,2026:feed?q=cocoa")
    assert feed.entries[0].id == "tag:news.example.org,2026:article/cocoa-1"
    assert feed.entries[0].link == "https://news.example.org/search/articles/cocoa-1?q=cocoa"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "https://news.example.org/search/feed.atom?q=cocoa"
    plain = create_app({"INDEX_DIR": web_index}).test_client()
    body = plain.get("/feed.atom?q=cocoa", headers={"Host": "evil.example"}).data
    assert b"evil.example" not in body and b'href="/articles/cocoa-1?q=cocoa"' in body


def test_feed_without_query_lists_the_newest_articles(client):
    r = client.get("/feed.atom")
    assert problems(r.data) == []
    feed = parse(r.data)
    assert feed.feed.title == "Newest articles"
    assert len(feed.entries) == len(web_articles()) - 2  # two coffee copies fold into one


@pytest.mark.parametrize("query", ["page=0", "from=2020-13-01", "sort=oldest", "q=%00"])
def test_bad_parameters_are_a_400(client, query):
    assert client.get(f"/feed.atom?{query}").status_code == 400


def test_results_page_links_its_feed(client):
    r = client.get("/?q=oil&source=Reuters&sort=newest&per_page=5&page=2")
    text = r.get_data(as_text=True)
    feed = "/feed.atom?q=oil&amp;source=Reuters"
    link = '<link rel="alternate" type="application/atom+xml" title="Newest results of this search"'
    assert f'{link} href="{feed}">' in text
    assert f'href="{feed}" type="application/atom+xml">Follow this search</a>' in text
