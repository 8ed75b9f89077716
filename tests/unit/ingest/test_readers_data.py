"""Readers on the real shared data sets: all of Reuters, all of BBC, extraction pages."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import date

import pytest

from searchsvc.ingest import discover, extract_html, read_file

pytestmark = pytest.mark.data

# Pages of the extraction set: a split article (wday.ru), a boilerplate-named wrapper
# (cnbc "pageRow"), a link-dense deals list (ign) and two ordinary news pages.
EXTRACTION_PAGES = ("3c6d3381ef52", "374ac9a59a85", "287e4d9f4af3", "70cb2d5bca75", "432362af0be4")


def f1(predicted: str, truth: str) -> float:
    p = Counter(re.findall(r"\w+", predicted.lower()))
    t = Counter(re.findall(r"\w+", truth.lower()))
    common = sum((p & t).values())
    return 0.0 if not common else 2 * common / (sum(p.values()) + sum(t.values()))


@pytest.mark.slow
def test_reuters_all_stories(data_dir):
    root = data_dir / "reuters21578"
    stories = {}
    for path in sorted(root.glob("*.sgm")):
        result = read_file(path, root)
        assert result.skipped == []
        stories.update((a.id, a) for a in result.articles)
    assert len(stories) == 21578
    first = stories["reut2-000-1"]
    assert (first.title, first.published, first.source) == (
        "BAHIA COCOA REVIEW",
        date(1987, 2, 26),
        "Reuters",
    )
    assert first.tags == ("cocoa", "el-salvador", "usa", "uruguay")
    assert first.body.startswith(
        "Showers continued throughout the week in\u0020the Bahia cocoa zone"
    )
    assert "Reuter" not in first.body[-20:]
    second = stories["reut2-000-2"]
    assert second.title == "STANDARD OIL <SRD> TO FORM FINANCIAL UNIT"
    assert "British Petroleum Co Plc <BP>, which" in second.body
    last = stories["reut2-021-21578"]
    assert (last.title, last.published) == (
        "AMERICAN EXCHANGE INTRODUCES INSTITUTIONAL INDEX",
        date(1987, 10, 19),
    )
    assert last.tags == ("usa",)
    assert "ticker symbol <XII>" in last.body
    assert sum(1 for a in stories.values() if a.author) > 800
    assert all("\x03" not in a.body and "&#" not in a.body for a in stories.values())


def test_bbc_all_and_latin1_pound(data_dir):
    root = data_dir / "bbc"
    articles, skipped = [], []
    for path in discover(root):
        result = read_file(path, root)
        articles += result.articles
        skipped += result.skipped
    assert len(articles) == 2225
    assert Counter(a.tags[0] for a in articles)["sport"] == 511
    assert sorted(s.path for s in skipped) == ["README.TXT", "SOURCE.txt"]
    (mutu,) = [a for a in articles if a.path == "sport/199.txt"]
    assert mutu.title == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in mutu.body


@pytest.mark.parametrize("key", EXTRACTION_PAGES)
def test_extraction_pages(data_dir, key):
    folder = data_dir / "extraction"
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    (full,) = [k for k in truth if k.startswith(key)]
    raw = gzip.decompress((folder / "html" / f"{full}.html.gz").read_bytes())
    _title, body, _meta = extract_html(raw, url=truth[full]["url"])
    assert f1(body, truth[full]["articleBody"]) >= 0.9
