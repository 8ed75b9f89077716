"""The results page of issue 19 through the Flask test client over the real tiny index:
structure and titles, forgiving parameters, disjunctive facets, undated stories, the way back
from an article, the home page for readers, and delivery (compression, caching)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from searchsvc.engine.indexer import index_corpus
from searchsvc.web import create_app


def html(resp) -> str:
    """Return the decoded body of a response."""
    return resp.get_data(as_text=True)


def title_of(page: str) -> str:
    """Return the text of the page's <title>."""
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


# -- 2. structure: h1, titles, skip links, no autofocus on results, honest count --------------


def test_results_pages_have_an_h1_with_the_count_and_distinct_titles(client):
    one, two = html(client.get("/?q=oil")), html(client.get("/?q=oil&page=2"))
    filtered = html(client.get("/?q=oil&source=Reuters&sort=newest"))
    assert title_of(one) == "‘oil’: 14 results, page 1 of 2 · searchsvc"
    assert title_of(two) == "‘oil’: 14 results, page 2 of 2 · searchsvc"
    assert title_of(filtered) == "‘oil’: 7 results, Source: Reuters, newest first · searchsvc"
    assert '<h1 class="count">1 result for <q>cocoa</q></h1>' in html(client.get("/?q=cocoa"))
    assert "1 results" not in html(client.get("/?q=cocoa")) and " ms)" not in one


def test_skip_links_name_their_target_and_only_the_home_page_autofocuses(client):
    results, home = html(client.get("/?q=oil")), html(client.get("/"))
    article = html(client.get("/articles/cocoa-1"))
    assert '<a class="skip" href="#results">Skip to results</a>' in results
    assert 'id="results" tabindex="-1"' in results
    assert '<a class="skip" href="#main">Skip to content</a>' in home
    assert '<a class="skip" href="#main">Skip to article</a>' in article
    assert " autofocus" not in results and " autofocus" in home
    # Filters come before the results in the document, as on the screen.
    assert results.index('id="filters"') < results.index('id="results"')


def test_dark_mode_is_declared_to_the_browser(client):
    page = html(client.get("/?q=oil"))
    assert '<meta name="color-scheme" content="light dark">' in page
    r = client.get("/static/style.css")
    css = html(r)
    r.close()
    assert "color-scheme: light dark" in css
    assert "button.secondary" in css and 'class="secondary">Apply dates' in page


# -- 6. errors: clamped paging, a date error next to the form with the input kept -------------


@pytest.mark.parametrize(
    "query,location",
    [
        ("q=oil&page=0", "/?q=oil"),
        ("q=oil&page=-3", "/?q=oil"),
        ("q=oil&page=abc", "/?q=oil"),
        ("q=oil&page=99", "/?q=oil&page=2"),
        ("q=oil&page=5000", "/?q=oil&page=1000"),
        ("q=oil&per_page=0&tag=energy", "/?q=oil&per_page=1&tag=energy"),
        ("q=oil&sort=oldest&source=Reuters", "/?q=oil&source=Reuters"),
    ],
)
def test_paging_and_sort_out_of_range_are_clamped_not_refused(client, query, location):
    r = client.get("/?" + query)
    assert r.status_code == 302 and r.headers["Location"] == location


def test_a_date_error_is_shown_next_to_the_form_keeping_the_input_and_filters(client):
    r = client.get("/?q=oil&source=Reuters&from=2021-01-02&to=2020-01-01")
    page = html(r)
    assert r.status_code == 400  # still an error, but the page goes on
    assert title_of(page).startswith("Error: ‘oil’: 7 results")
    assert 'role="alert"' in page and '<a href="#from">‘From’ must be the same as or before' in page
    form = page[page.index('<form class="dates"') :]
    assert '<p class="field-error" id="date-error">' in form
    assert 'value="2021-01-02" aria-invalid="true" aria-describedby="date-error"' in form
    assert 'name="to" type="date" value="2020-01-01"' in form
    assert '<input type="hidden" name="source" value="Reuters">' in form
    assert "7 results" in page  # the other filters still apply, the dates do not


def test_a_date_that_is_no_date_stays_in_the_box_as_typed(client):
    page = html(client.get("/?q=oil&to=2021-02-30"))
    assert 'name="to" type="text" value="2021-02-30" aria-invalid="true"' in page
    assert "‘To’ must be a real date, like 2005-03-01." in page


# -- 4. facets: multi-select toggles, OR within, AND across, disjunctive counts, show more -----


def facet_counts(page: str, key: str) -> dict[str, tuple[int, bool]]:
    """Return {value: (count, checked)} of one facet's toggles."""
    out = {}
    pattern = (
        rf'id="f-{key}-[0-9a-f]+" role="\w+" aria-checked="(true|false)" href="[^"]*">'
        r'<span class="box" aria-hidden="true"></span><span class="label">([^<]*)</span> '
        r'<span class="n">([\d,]+)'
    )
    for checked, label, n in re.findall(pattern, page):
        out[label] = (int(n.replace(",", "")), checked == "true")
    return out


def test_facet_counts_are_disjunctive_and_values_toggle(client):
    plain = facet_counts(html(client.get("/?q=oil")), "tag")
    assert plain == {"energy": (14, False), "markets": (7, False)}
    chosen = html(client.get("/?q=oil&tag=markets"))
    assert "7 results" in chosen
    # the other value keeps its count from the same search without the tag selection
    assert facet_counts(chosen, "tag") == {"markets": (7, True), "energy": (14, False)}
    assert re.search(r'aria-checked="true" href="/\?q=oil#f-tag-', chosen)  # unchecks
    assert 'href="/?q=oil&amp;tag=markets&amp;tag=energy#f-tag-' in chosen  # adds (OR)
    both = html(client.get("/?q=oil&tag=markets&tag=energy"))
    assert "14 results" in both  # OR within a facet
    across = html(client.get("/?q=oil&tag=markets&source=Example+Wire"))
    assert "No results" in across  # AND across facets: no Example Wire story is in markets
    assert facet_counts(across, "source") == {"Reuters": (7, False), "Example Wire": (0, True)}


@pytest.fixture(scope="module")
def many_values(tmp_path_factory):
    """Return a client over 12 sources and 12 tags, with some undated stories."""
    root = tmp_path_factory.mktemp("many")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    arts = [
        {
            "id": f"m-{i}",
            "title": f"Harbour story {i}",
            "body": f"The harbour report number {i} about ships.",
            "source": f"Outlet {i:02d}",
            "tags": [f"topic{i:02d}"],
            **({"published": f"20{10 + i % 3}-05-0{1 + i % 9}"} if i % 4 else {}),
        }
        for i in range(12)
    ]
    lines = "\n".join(json.dumps(a) for a in arts)
    (corpus / "m.jsonl").write_text(lines + "\n", encoding="utf-8")
    index_corpus(corpus, index_dir, rebuild=True, procs=1)
    return create_app({"INDEX_DIR": index_dir, "TESTING": True}).test_client()


def test_long_facets_show_eight_values_then_show_more_with_selected_first(many_values):
    page = html(many_values.get("/?q=harbour"))
    section = page[page.index('id="fh-tag"') : page.index('id="fh-year"')]
    visible, more = section.split('<details class="more-options">')
    assert visible.count('class="opt"') == 8 and more.count('class="opt"') == 4
    assert "Show 4 more<span" in more
    chosen = html(many_values.get("/?q=harbour&tag=topic11"))
    section = chosen[chosen.index('id="fh-tag"') :]
    assert re.search(
        r'aria-checked="true"[^>]*><span class="box"[^/]*/span><span class="label">topic11',
        section[:600],
    )


# -- 3. undated stories in every date control ------------------------------------------------


def test_undated_results_say_so_and_count_in_the_year_facet_and_timeline(many_values):
    page = html(many_values.get("/?q=harbour"))
    assert page.count('<span class="undated">Undated</span>') == 3  # m-0, m-4, m-8
    assert '<span class="label">Undated</span> <span class="n">3<' in page
    assert re.search(
        r'<li class=" undated"><span class="bar h\d+"></span><span class="vh">Undated: 3 results',
        page,
    )


def test_a_date_filter_offers_the_undated_stories_it_leaves_out(many_values):
    page = html(many_values.get("/?q=harbour&from=2011-01-01&to=2011-12-31"))
    assert "3 matching stories have no date and are not shown." in page
    assert 'href="/?q=harbour&amp;from=2011-01-01&amp;to=2011-12-31&amp;undated=1">Include' in page
    assert re.search(r'id="f-undated" role="checkbox" aria-checked="false"', page)
    assert "Include undated stories (3)" in page
    kept = html(many_values.get("/?q=harbour&from=2011-01-01&to=2011-12-31&undated=1"))
    assert kept.count('<span class="undated">Undated</span>') == 3
    assert "Remove filter Date: 2011, and undated" in kept
    nothing = html(many_values.get("/?q=harbour&from=1990-01-01&to=1990-12-31"))
    assert "3 stories without a date match: <a" in nothing


# -- 7. state kept: the way back, the home page for readers ----------------------------------


def test_the_back_link_keeps_every_parameter_and_the_place_in_the_list(client):
    page = html(client.get("/?q=oil&tag=energy&sort=newest&page=2"))
    link = re.search(r'<li class="hit" id="r11">\s*<h2><a href="([^"]+)"', page).group(1)
    assert link.replace("&amp;", "&").endswith("?q=oil&page=2&sort=newest&tag=energy&r=11")
    article = html(client.get(link.replace("&amp;", "&")))
    assert '<a href="/?q=oil&amp;page=2&amp;sort=newest&amp;tag=energy#r11">‹ Back to' in article


def test_home_page_counts_agree_with_the_results_they_link_to(client):
    home = html(client.get("/"))
    assert '<a href="/?tag=agriculture">agriculture <span class="n">2</span></a>' in home
    assert "2 results" in html(client.get("/?tag=agriculture"))  # three copies count once
    assert "<dt>Published</dt><dd>2019-01-01 to 2023-10-10; 1 undated</dd>" in home
    assert re.search(r'<time class="local" datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC', home)
    assert home.index("Newest articles") < home.index("Sections") < home.index("About this")


# -- 9. delivery ----------------------------------------------------------------------------


def test_responses_are_compressed_and_static_files_cached_by_fingerprint(client):
    r = client.get("/?q=oil", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    assert "14 results" in gzip.decompress(r.get_data()).decode()
    page = html(client.get("/?q=oil"))
    for name in ("style.css", "app.js"):
        url = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]{{12}})"', page).group(1)
        r = client.get(url, headers={"Accept-Encoding": "br"})
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers["Content-Encoding"] == "br"
        r.close()
        r = client.get(f"/static/{name}")  # no fingerprint or a stale one: revalidate
        assert r.headers["Cache-Control"] == "no-cache"
        r.close()
    # Suggestions change with live writes: cached for a second, then revalidated by ETag.
    r = client.get("/api/suggest?q=oi")
    assert r.headers["Cache-Control"] == "public, max-age=1" and r.headers["ETag"]


def test_a_results_page_weighs_under_40_kb_on_the_wire(client):
    r = client.get("/?q=oil", headers={"Accept-Encoding": "gzip"})
    total = len(r.get_data())
    for url in re.findall(
        r'(?:href|src)="(/static/[^"]+)"', gzip.decompress(r.get_data()).decode()
    ):
        asset = client.get(url.replace("&amp;", "&"), headers={"Accept-Encoding": "br, gzip"})
        total += len(asset.get_data())
        asset.close()
    assert total < 40_000, total


@pytest.mark.data
def test_bbc_with_the_sample_corpus_counts_its_undated_stories(data_dir, tmp_path_factory):
    """The audit's collection: 'government' had 501 results and a timeline summing to 10."""
    import shutil

    root = tmp_path_factory.mktemp("bbcmix")
    shutil.copytree(data_dir / "bbc", root / "corpus" / "bbc")
    shutil.copytree(Path(__file__).resolve().parents[3] / "corpus", root / "corpus" / "sample")
    index_corpus(root / "corpus", root / "index", rebuild=True, procs=1)
    client = create_app({"INDEX_DIR": root / "index", "TESTING": True}).test_client()
    page = html(client.get("/?q=government"))
    total = int(re.search(r'<h1 class="count">([\d,]+) results', page).group(1).replace(",", ""))
    years = facet_counts(page, "year")
    undated = int(re.search(r'<span class="label">Undated</span> <span class="n">([\d,]+)', page)
                  .group(1).replace(",", ""))  # fmt: skip
    assert undated > 0 and sum(n for n, _ in years.values()) + undated == total
    assert f"Undated: {undated:,} results" in page  # the timeline's bar
    dated = html(client.get("/?q=government&from=2020-01-01&to=2026-12-31"))
    assert f"{undated:,} matching stories have no date and are not shown." in dated
    home = html(client.get("/"))
    assert re.search(
        r"<dt>Published</dt><dd>\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d; [\d,]+ undated", home
    )
