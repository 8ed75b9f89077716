"""The BeautifulSoup cleaner: clean bodies, standfirst as summary, fallbacks, outlet names."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from searchsvc.ingest import read_file
from searchsvc.ingest.html import extract_html

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "corpus"
PAGES = sorted([*CORPUS.rglob("*.html"), *CORPUS.rglob("*.html.gz")])
LEAD = (
    "Homeowners in towns hit by repeated river flooding are facing steep rises in insurance "
    "premiums, with some quoted more than £3,000 a year for buildings and contents cover, a "
    "survey by a consumer group has found."
)


def test_nothing_in_the_package_parses_html_with_lxml_directly():
    out = subprocess.run(
        ["grep", "-rn", r"lxml.html\|from lxml import html\|etree.HTMLParser", "searchsvc/"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.stdout == ""


def test_climate_page_body_starts_with_the_article():
    (art,) = read_file(CORPUS / "climate/2025-11-18-flood-insurance.html.gz", CORPUS).articles
    assert art.title == "Flood insurance premiums soar in river towns"
    assert art.summary == (
        "Homeowners in flood-hit areas say they face bills of thousands of pounds a year."
    )
    assert art.body.split("\n\n")[0] == LEAD
    assert len(art.body.split("\n\n")) == 6
    for furniture in ("Climate\n", "Tue 18 Nov 2025", "By Sunita", "Sandbags outside", "Related:",
                      "Share", "Most read", "Sign in"):  # fmt: skip
        assert furniture not in art.body
    assert (art.source, art.author) == ("The English Chronicle", "Sunita Varma")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_corpus_page_has_a_clean_body_and_a_summary(path):
    raw = path.read_bytes()
    html = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", "replace")
    (art,) = read_file(path, CORPUS).articles
    first = art.body.split("\n\n")[0]
    assert len(first) > 100 and first[-1] in ".”\"'", first  # a paragraph, not a label or date
    assert art.title not in art.body
    assert art.summary and art.summary in html.replace("&#x27;", "'")  # the standfirst
    assert art.summary not in art.body
    assert not any(p.startswith("By ") for p in art.body.split("\n\n"))
    assert art.source in {"The English Chronicle", "Marlow Valley Courier", "Northgate Daily",
                          "The Continental Ledger", "Wendshire Evening Post"}  # fmt: skip


def test_source_without_og_site_name_comes_from_the_page_not_the_domain():
    page = CORPUS / "politics/2024-07-05-general-election-wendshire.html"
    (art,) = read_file(page, CORPUS).articles
    assert art.source == "Wendshire Evening Post"  # the footer's copyright line
    assert (
        art.url
        == "https://www.wendshirepost.example/politics/2024/07/05/election-results-wendshire"
    )


PARA = "The council approved the budget on Tuesday after a long debate about schools and roads."


@pytest.mark.parametrize(
    ("head", "foot", "source"),
    [
        ('<meta name="application-name" content="Quay Herald">', "", "Quay Herald"),
        ("", "<footer><p>© 2024 The Quay Herald Ltd. All rights reserved.</p></footer>",
         "The Quay Herald"),
        ("<title>Budget passes | Quay Herald</title>", "", "Quay Herald"),
        ("", "", "quayherald.example"),
    ],
)  # fmt: skip
def test_source_names_before_the_domain(head, foot, source):
    page = f"<html><head>{head}</head><body><article><p>{PARA}</p></article>{foot}</body></html>"
    meta = extract_html(page, url="https://www.quayherald.example/a")[2]
    assert meta["source"] == source


BREAKING = (
    "Firefighters were called to a blaze at a warehouse on the Carrow industrial estate early on "
    "Monday. Nobody was hurt, the fire service said, but the A14 was closed in both directions "
    "while crews brought the fire under control. Residents nearby were told to keep windows shut. "
    "More follows."
)
COMMENT = "I drive past there every day, and honestly, this was bound to happen, sooner or later."


def test_a_short_breaking_news_item_is_an_article_not_its_comments():
    comments = "".join(f"<div class='c'><p>{COMMENT} ({i}), yes, yes.</p></div>" for i in range(8))
    page = (
        "<html><body><div id='wrap'>"
        f'<article itemscope itemtype="http://schema.org/NewsArticle"><h1>Warehouse fire</h1>'
        f"{BREAKING}</article>"
        f"<div class='talk'>{comments}</div></div></body></html>"
    )
    title, body, _meta = extract_html(page)
    assert (title, body) == ("Warehouse fire", BREAKING)


def test_json_ld_article_body_is_the_fallback():
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Quay closed", "articleBody": "The quay closed.\\nIt reopens in May."}'
        "</script></head><body><div id='app'></div></body></html>"
    )
    assert extract_html(page)[:2] == ("Quay closed", "The quay closed.\n\nIt reopens in May.")


def test_json_ld_article_body_wins_over_a_much_shorter_extraction():
    ld = "\\n".join(f"Paragraph {i} of the story, told in full here." for i in range(6))
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        f'"headline": "Quay closed", "articleBody": "{ld}"}}</script></head><body><article>'
        "<p>Paragraph 0 of the story, told in full here. Subscribe to read on.</p>"
        "</article></body></html>"
    )
    body = extract_html(page)[1]
    assert body.split("\n\n") == [
        f"Paragraph {i} of the story, told in full here." for i in range(6)
    ]


def test_lists_headings_and_quotes_are_paragraphs():
    page = (
        f"<html><body><article><h1>T</h1><p>{PARA}</p><h2>What happens next</h2>"
        f"<ul><li>Roads are resurfaced in May, first.</li><li>Schools follow in June.</li></ul>"
        f"<blockquote>It is a good day, for all of us, he said.</blockquote><p>{PARA}</p>"
        "</article></body></html>"
    )
    assert extract_html(page)[1].split("\n\n") == [
        PARA,
        "What happens next",
        "Roads are resurfaced in May, first.",
        "Schools follow in June.",
        "It is a good day, for all of us, he said.",
        PARA,
    ]
