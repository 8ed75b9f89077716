"""JSON Lines reader: fields, ids, tags, and bad lines skipped with their line number."""

from __future__ import annotations

import json
from datetime import date
from hashlib import blake2b

from searchsvc.ingest import Skipped, read_file
from searchsvc.model import usable_id


def test_jsonl_lines_and_bad_lines(tmp_path):
    full = {
        "id": "a1",
        "title": "First",
        "body": "One.\n\nTwo.",
        "published": "2024-03-05",
        "author": "Ann",
        "source": "Wire",
        "url": "https://x.example/a",
        "tags": ["x", "y"],
        "extra": {"ignored": True},
    }
    lines = [
        json.dumps(full),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "", "body": ""}),
        "",
        json.dumps(
            {"body": "Only a body here. More.", "tags": "p, q", "url": "https://www.site.org/b"}
        ),
    ]
    path = tmp_path / "feeds" / "f.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = read_file(path, tmp_path)
    first, second = result.articles
    assert first.id == "a1"
    assert (first.title, first.body, first.published) == ("First", "One.\n\nTwo.", date(2024, 3, 5))
    assert (first.author, first.source, first.url) == ("Ann", "Wire", "https://x.example/a")
    assert first.tags == ("feeds", "x", "y")
    assert first.path == "feeds/f.jsonl"
    assert second.id == "feeds--f-6"
    assert (second.title, second.body) == ("Only a body here.", "Only a body here. More.")
    assert second.tags == ("feeds", "p", "q")
    assert second.source == "site.org"
    reasons = [(s.path, s.reason.split(" (")[0]) for s in result.skipped]
    assert reasons == [
        ("feeds/f.jsonl:2", "invalid JSON"),
        ("feeds/f.jsonl:3", "line is not a JSON object"),
        ("feeds/f.jsonl:4", "no title and no body"),
    ]


def test_jsonl_empty_and_all_blank(tmp_path):
    (tmp_path / "e.jsonl").write_text("\n\n", "utf-8")
    assert read_file(tmp_path / "e.jsonl", tmp_path).skipped == [
        Skipped("e.jsonl", "no JSON lines found")
    ]


def test_jsonl_reads_the_keys_scrapers_write(tmp_path):
    """Scraped corpora name fields otherwise: a `date` key used to be ignored without a word."""
    lines = [
        {  # news-please
            "title": "Rates held",
            "maintext": "The bank held rates.",
            "date_publish": "2024-03-05 10:00:00",
            "authors": ["Ann Lee", "Bo Ma"],
            "url": "https://news.example.com/rates",
        },
        {  # trafilatura: "source" is the page's address
            "title": "Oil rises",
            "text": "Oil rose on Monday.",
            "date": "2024-03-04",
            "author": "Cy",
            "source": "https://www.oil.example/a",
            "categories": "energy, markets",
        },
        {  # RSS names
            "description": "Roads shut after a night of snow.",
            "headline": "Snow closes roads",
            "content": "Snow fell overnight.",
            "pubDate": "Tue, 05 Mar 2024 07:00:00 GMT",
            "link": "https://wx.example.org/snow",
            "publisher": "Weather Desk",
            "keywords": ["snow", "roads"],
        },
        {
            "title": "Ours first",
            "body": "Our body.",
            "text": "Not this.",
            "published": "2024-01-02",
            "date": "2023-12-31",
        },
        {"headline": "", "summary": "No text under any key we read."},
    ]
    path = tmp_path / "scraped.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    result = read_file(path, tmp_path)
    got = [
        (a.title, a.body, a.published, a.author, a.source, a.url, a.tags) for a in result.articles
    ]
    assert got == [
        ("Rates held", "The bank held rates.", date(2024, 3, 5), "Ann Lee, Bo Ma",
         "news.example.com", "https://news.example.com/rates", ()),
        ("Oil rises", "Oil rose on Monday.", date(2024, 3, 4), "Cy", "oil.example",
         "https://www.oil.example/a", ("energy", "markets")),
        ("Snow closes roads", "Snow fell overnight.", date(2024, 3, 5), "", "Weather Desk",
         "https://wx.example.org/snow", ("snow", "roads")),
        ("Ours first", "Our body.", date(2024, 1, 2), "", "", "", ()),
    ]  # fmt: skip
    assert [a.summary for a in result.articles] == ["", "", "Roads shut after a night of snow.", ""]
    assert [(s.path, s.reason) for s in result.skipped] == [
        (
            "scraped.jsonl:5",
            "no title and no body (keys read: title, headline, body, text, content, maintext)",
        )
    ]


def test_jsonl_bodies_in_html_become_paragraphs(tmp_path):
    """A CMS export stores its body as HTML: its text is indexed, a paragraph per block."""
    rows = [
        {
            "title": "Harbour reopens",
            "content": '<p>The harbour <a href="/x">reopened</a> on Monday.</p>'
            "<script>track()</script><h2>Cargo</h2><p>Ships &amp; barges<br>returned.</p>",
        },
        {"title": "Maths", "body": "If a < b and b > c, then nothing follows."},
    ]
    path = tmp_path / "cms.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    first, second = read_file(path, tmp_path).articles
    assert first.body == "The harbour reopened on Monday.\n\nCargo\n\nShips & barges\n\nreturned."
    assert second.body == "If a < b and b > c, then nothing follows."


def test_jsonl_ids_under_the_names_exports_use(tmp_path):
    """A stable id keeps an article's identity when lines move; exports name it otherwise."""
    rows = [
        {"_id": {"$oid": "65a1f0c2"}, "title": "Mongo", "body": "From a database export."},
        {"guid": "https://feed.example/item/7", "title": "Feed", "body": "From an RSS feed."},
        {"uuid": "1b4e28ba", "id": "ours-1", "title": "Both", "body": "Ours wins."},
        {"_id": {"nested": True}, "title": "Odd", "body": "No usable id: the line number."},
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    ids = [a.id for a in read_file(path, tmp_path).articles]
    # a URL path cannot hold a slash: an address becomes its words and a digest of it
    assert ids == ["65a1f0c2", "https-feed.example-item-7-" + DIGEST, "ours-1", "export-4"]
    assert usable_id("a/b") != usable_id("a-b") == "a-b"
    assert usable_id("x" * 201).endswith("-" + blake2b(b"x" * 201, digest_size=6).hexdigest())
    assert usable_id("..") != ".." and usable_id("tab\there") != "tab\there"


DIGEST = blake2b(b"https://feed.example/item/7", digest_size=6).hexdigest()
