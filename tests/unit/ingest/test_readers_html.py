"""HTML reader: cleaning, metadata, charsets, gzip caps and no-text pages."""

from __future__ import annotations

import gzip
import json
from datetime import date

from searchsvc.ingest import Skipped, extract_html, read_file

PARA = (
    "The council approved the new budget on Tuesday, after a long debate about schools, roads, "
    "and the future of the harbour, which has been closed since the storm."
)
PAGE = f"""<!doctype html><html><head>
<meta charset="utf-8"><title>Budget passes | Harbour Times</title>
<meta property="og:site_name" content="Harbour Times">
<meta property="og:title" content="Budget passes after long debate">
<meta property="article:published_time" content="2025-06-03T10:00:00+00:00">
<meta name="author" content="Sam Reed">
<link rel="canonical" href="https://www.harbourtimes.example/news/budget">
<script>var x = "<p>not text</p>";</script><style>p {{color: red}}</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<header><a href="/">Harbour Times</a></header>
<article class="story-body">
<h1>Budget passes</h1>
<p>{PARA}</p>
<!-- a comment that must vanish -->
<p>Mayor Lee said the vote was "a good day, for all of us, and for the harbour", and thanked
the staff, the residents and the committee.</p>
<div class="share-tools"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
<p>Work on the harbour wall starts in July, weather permitting, and should finish by spring.</p>
</article>
<aside class="related"><h3>Related</h3>
<ul><li><a href="/a">Other story, with commas, here</a></li></ul></aside>
<div class="newsletter-signup"><p>Sign up for our newsletter, it is free, really, yes.</p></div>
<footer><p>Copyright Harbour Times, all rights reserved, 2025.</p></footer>
</body></html>"""
EXPECTED_BODY = "\n\n".join(
    [
        PARA,
        'Mayor Lee said the vote was "a good day, for all of us, and for the harbour", and thanked '
        "the staff, the residents and the committee.",
        "Work on the harbour wall starts in July, weather permitting, and should finish by spring.",
    ]
)


def test_extract_html_metadata_and_body():
    title, body, meta = extract_html(PAGE.encode("utf-8"))
    assert title == "Budget passes after long debate"
    assert body == EXPECTED_BODY
    assert meta == {
        "published": date(2025, 6, 3),
        "author": "Sam Reed",
        "url": "https://www.harbourtimes.example/news/budget",
        "source": "Harbour Times",
        "summary": "",
    }


def test_jsonld_and_title_fallbacks():
    article = {
        "@type": "NewsArticle",
        "headline": "LD headline",
        "datePublished": "2024-02-29",
        "author": [{"@type": "Person", "name": "Ann Bo"}],
        "publisher": {"name": "LD Daily"},
    }
    ld = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "X"}, article]}
    page = (
        f'<html><head><title>Page title - LD Daily</title><script type="application/ld+json">'
        f"{json.dumps(ld)}</script></head><body><div><p>{PARA}</p></div></body></html>"
    )
    title, body, meta = extract_html(page, url="https://news.example.org/x")
    assert (title, body) == ("LD headline", PARA)
    assert meta == {
        "published": date(2024, 2, 29),
        "author": "Ann Bo",
        "url": "https://news.example.org/x",
        "source": "LD Daily",
        "summary": "",
    }
    bare = f"<html><head><title>Only Title | Site</title></head><body><p>{PARA}</p></body></html>"
    title, _body, meta = extract_html(bare, url="https://www.example.com/a")
    assert (title, meta["source"], meta["published"]) == (
        "Only Title",
        "Site",
        None,
    )  # title suffix
    timed = f'<html><body><time datetime="2023-11-05">5 Nov</time><p>{PARA}</p></body></html>'
    assert extract_html(timed)[2]["published"] == date(2023, 11, 5)


def test_read_html_file_and_tags(tmp_path):
    (tmp_path / "web" / "local").mkdir(parents=True)
    (tmp_path / "web" / "local" / "budget.html").write_text(PAGE, "utf-8")
    (art,) = read_file(tmp_path / "web" / "local" / "budget.html", tmp_path).articles
    assert (art.id, art.path, art.tags) == (
        "web--local--budget",
        "web/local/budget.html",
        ("web", "local"),
    )
    assert (art.title, art.body, art.source) == (
        "Budget passes after long debate",
        EXPECTED_BODY,
        "Harbour Times",
    )


def test_html_charsets(tmp_path):
    text = f"<html><body><p>Caf\xe9 cr\xe8me: {PARA}</p></body></html>"
    meta = f'<html><head><meta charset="iso-8859-1"></head>{text[6:]}'
    equiv = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        f"</head>{text[6:]}"
    )
    cases = {
        "meta.html": meta.encode("latin-1"),
        "equiv.html": equiv.encode("cp1252"),
        "bom.html": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf16.htm": text.encode("utf-16"),
        "sniffed.html": text.encode("latin-1"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        (art,) = read_file(tmp_path / name, tmp_path).articles
        assert art.body == f"Café crème: {PARA}", name


def test_gzip_pages_bomb_and_truncated(tmp_path):
    (tmp_path / "ok.html.gz").write_bytes(gzip.compress(PAGE.encode("utf-8")))
    assert read_file(tmp_path / "ok.html.gz", tmp_path).articles[0].body == EXPECTED_BODY
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * 50_000_000))
    result = read_file(tmp_path / "bomb.html.gz", tmp_path, max_bytes=1_000_000)
    assert result.articles == []
    assert result.skipped == [
        Skipped("bomb.html.gz", "decompressed size over the limit of 1000000 bytes")
    ]
    (tmp_path / "cut.htm.gz").write_bytes(gzip.compress(PAGE.encode("utf-8"))[:200])
    assert read_file(tmp_path / "cut.htm.gz", tmp_path).skipped == [
        Skipped("cut.htm.gz", "truncated gzip data")
    ]
    (tmp_path / "junk.html.gz").write_bytes(b"not gzip at all")
    (skip,) = read_file(tmp_path / "junk.html.gz", tmp_path).skipped
    assert skip.reason.startswith("corrupt gzip data")


def test_html_without_text_and_binary(tmp_path):
    (tmp_path / "nav.html").write_text(
        "<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>", "utf-8"
    )
    assert read_file(tmp_path / "nav.html", tmp_path).skipped == [
        Skipped("nav.html", "no article text found in the HTML")
    ]
    # A comment-only document parses to a tree without text.
    (tmp_path / "comment.htm").write_text("<!-- nothing but a comment -->", "utf-8")
    assert read_file(tmp_path / "comment.htm", tmp_path).skipped == [
        Skipped("comment.htm", "no article text found in the HTML")
    ]
    (tmp_path / "bin.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    assert read_file(tmp_path / "bin.html", tmp_path).skipped == [
        Skipped("bin.html", "binary file (NUL bytes)")
    ]
    deep = "<div>" * 5000 + f"<p>{PARA}</p>" + "</div>" * 5000
    (tmp_path / "deep.html").write_text(f"<html><body>{deep}</body></html>", "utf-8")
    result = read_file(tmp_path / "deep.html", tmp_path)
    assert len(result.articles) + len(result.skipped) == 1
