"""HTML pages of the web app, through the Flask test client over a real tiny index."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.engine.indexer import index_corpus
from searchsvc.web import SECURITY_HEADERS, create_app

# Hostile input is still a 400 page; paging, sort and dates are forgiven (tests/unit/web/
# test_results_page.py): the page is clamped, a bad date is shown next to the form.
BAD_PARAMS = [
    ("q=" + "a" * 1001, "q"),
    ("q=oil%00", "NUL"),
    ("source=x%00y", "NUL"),
    ("source=" + "s" * 201, "source"),
]
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)


def html(resp) -> str:
    """Return the decoded body of a response."""
    return resp.get_data(as_text=True)


def test_home_shows_statistics_newest_and_an_accessible_search_box(client):
    r = client.get("/")
    page = html(r)
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert '<label for="q"' in page
    assert re.search(r'<input id="q"[^>]*\sautofocus', page)
    assert 'role="combobox"' in page and 'aria-controls="q-suggestions"' in page
    assert 'aria-expanded="false"' in page and 'role="listbox"' in page
    assert '<h1 class="home-title"><label for="q">Search 18 news articles</label></h1>' in page
    assert "<dt>Articles</dt><dd>18 (2 more are copies of these)</dd>" in page
    assert "Newest articles" in page
    assert '<link rel="search" type="application/opensearchdescription+xml"' in page
    assert 'href="/?source=Reuters"' in page and 'href="/?tag=energy"' in page
    # the newest article comes first
    assert page.index("Zanzibar") < page.index("Coffee harvest")


def test_search_shows_highlighted_hits_count_time_sort_and_pages(client):
    page = html(client.get("/?q=oil"))
    assert '<h1 class="count">14 results for <q>oil</q></h1>' in page
    assert "Showing 1–10, page 1 of 2" in page
    assert " ms)" not in page  # the server's timing is no news to a reader
    assert page.count('<li class="hit"') == 10
    assert "<mark>oil</mark>" in page
    assert re.search(r'href="/articles/oil-\d\d\?q=oil&amp;r=1"', page)
    assert 'href="/?q=oil&amp;page=2"' in page and 'rel="next"' in page
    assert 'aria-current="page"><span class="vh">Page </span>1</strong>' in page
    assert 'href="/?q=oil&amp;sort=newest"' in page
    assert 'value="oil"' in page


def test_second_page_has_the_rest_and_a_previous_link(client):
    page = html(client.get("/?q=oil&page=2"))
    assert page.count('<li class="hit"') == 4
    assert "Showing 11–14, page 2 of 2" in page
    assert '<li class="hit" id="r11">' in page
    assert 'rel="prev" href="/?q=oil"' in page
    assert '<ol class="hits" start="11">' in page


def test_per_page_and_sort_are_kept_in_links(client):
    page = html(client.get("/?q=oil&per_page=5&sort=newest"))
    assert page.count('<li class="hit"') == 5
    assert 'href="/?q=oil&amp;page=2&amp;per_page=5&amp;sort=newest"' in page
    assert '<input type="hidden" name="sort" value="newest">' in page
    dates = re.findall(r'<time datetime="([\d-]+)">', page)
    assert dates == sorted(dates, reverse=True)


def test_facets_link_to_filters_and_filters_can_be_removed(client):
    page = html(client.get("/?q=oil"))
    assert re.search(
        r'role="checkbox" aria-checked="false" href="/\?q=oil&amp;source=Reuters#f-', page
    )
    assert re.search(r'href="/\?q=oil&amp;tag=markets#f-tag-', page)
    assert re.search(
        r'role="radio" aria-checked="false" href="/\?q=oil&amp;from=2019-01-01&amp;to=2019-12-31#',
        page,
    )
    filtered = html(client.get("/?q=oil&source=Reuters"))
    assert "7 results" in filtered
    assert 'aria-label="Remove filter Source: Reuters"' in filtered
    assert 'href="/?q=oil"' in filtered
    assert re.search(r'role="checkbox" aria-checked="true" href="/\?q=oil#f-source-', filtered)
    assert '<input type="hidden" name="source" value="Reuters">' in filtered


def test_date_range_form_and_timeline_bars_link_to_periods(client):
    page = html(client.get("/?q=oil"))
    assert '<input id="from" name="from" type="date" value="">' in page
    assert 'class="timeline"' in page
    bars = re.findall(r'<li class="[^"]*" data-href="([^"]+)"><span class="bar h(\d+)">', page)
    assert len(bars) == 5  # 2019..2023, one bar per year, not tab stops: the Year filter is
    assert bars[0][0] == "/?q=oil&amp;from=2019-01-01&amp;to=2019-12-31"
    assert '<a class="bar' not in page and "title=" not in page.split('class="timeline"')[1][:2000]
    ranged = html(client.get("/?q=oil&from=2020-01-01&to=2020-12-31"))
    assert "3 results" in ranged
    assert 'value="2020-01-01"' in ranged and 'value="2020-12-31"' in ranged
    assert ranged.count("Remove filter Date: 2020") == 1  # one chip for the range


def test_browsing_a_filter_without_a_query_lists_articles(client):
    page = html(client.get("/?source=BBC"))
    assert "Cocoa grinding" in page and "Coffee harvest" in page


def test_near_duplicates_are_collapsed(client):
    page = html(client.get("/?q=coffee"))
    assert page.count('<li class="hit"') == 1
    assert "+ 2 similar stories folded in" in page


def test_did_you_mean_links_to_the_corrected_query(client):
    page = html(client.get("/?q=coffe"))
    assert "Showing results for <strong>coffee</strong>" in page
    assert 'Search instead for <a href="/?q=coffe&amp;autocorrect=0">coffe</a>' in page
    page = html(client.get("/?q=coffe&autocorrect=0"))
    assert 'Did you mean <a href="/?q=coffee">coffee</a>?' in page


def test_no_results_page_gives_tips_and_filter_removal_links(client):
    page = html(client.get("/?q=xylophone&source=BBC"))
    assert "Nothing matched <q>xylophone</q>" in page
    assert "Tips:" in page
    assert '<li><a href="/?q=xylophone">Source: BBC</a></li>' in page
    assert '<h1 class="count">No results for <q>xylophone</q></h1>' in page


def test_article_page_shows_the_clean_article_with_highlights(client):
    page = html(client.get("/articles/oil-02?q=oil"))
    assert "<h1>Oil prices move higher in week 3</h1>" not in page
    assert "<h1><mark>Oil</mark> prices move higher in week 3</h1>" in page
    assert "Crude <mark>oil</mark> prices" in page
    assert page.count("<p>", page.index('class="body"')) >= 2
    assert '<span class="source">Reuters</span>' in page
    assert '<time datetime="2021-03-03">' in page
    assert 'href="https://news.example.com/oil/2" rel="noopener noreferrer nofollow"' in page
    assert "More like this" in page and re.search(r'href="/articles/oil-\d\d"', page)
    assert 'href="/?q=oil">‹ Back to results for <q>oil</q>' in page


def test_article_without_query_is_not_highlighted(client):
    page = html(client.get("/articles/cocoa-1"))
    assert "<mark>" not in page
    assert "By Sam Writer" in page


def test_article_urls_are_links_only_when_http(client):
    page = html(client.get("/articles/cocoa-1"))
    assert "javascript:" not in page
    assert "Read the original" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/articles/no-such-article",
        "/articles/..%2F..%2Fetc%2Fpasswd",
        "/articles/%2e%2e",
        "/articles/..",
        "/articles/../../etc/passwd",
        "/articles/%252e%252e%252fetc",
        "/articles/.hidden",
        "/articles/a..b",
    ],
)
def test_unknown_or_traversing_article_ids_are_404_pages(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "Not found" in html(r)


def test_xss_article_is_inert_in_results_and_on_its_page(client):
    results = html(client.get("/?q=zanzibar"))
    title = (
        "&lt;script&gt;window.__xss=1&lt;/script&gt;Zanzibar "
        "&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;"
    )
    assert title in results
    assert "&lt;script&gt;window.__xss=3&lt;/script&gt;" in results  # snippet, escaped by the core
    assert "Evil &lt;Source&gt;" in results
    article = html(client.get("/articles/xss-1"))
    assert f"<h1>{title}</h1>" in article
    assert "<script>window" not in article and "<img src=x" not in article
    assert "javascript:" not in article.replace("href=&#34;javascript:", "")
    assert 'href="javascript' not in article
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in article
    marked = html(client.get("/articles/xss-1?q=zanzibar"))
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;<mark>Zanzibar</mark>" in marked
    assert "<script>window" not in marked


def test_xss_query_is_escaped_everywhere(client):
    q = '"><script>window.__xss=1</script><img src=x onerror=alert(1)>'
    page = html(client.get("/", query_string={"q": q}))
    assert "<script>window" not in page and "<img src=x" not in page
    assert 'value="&#34;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;' in page
    art = html(client.get("/articles/oil-01", query_string={"q": q}))
    assert "<script>window" not in art and "<img src=x" not in art


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=oil", "/articles/xss-1?q=x", "/nope", "/?q=oil&from=2021-01-02&to=2020-01-01"],
)
def test_pages_have_no_inline_scripts_or_handlers(client, path):
    page = html(client.get(path))
    assert not INLINE_SCRIPT.search(page)
    assert not INLINE_HANDLER.search(page)
    assert 'style="' not in page
    assert re.search(r'<script src="/static/app.js\?v=[0-9a-f]{12}" defer></script>', page)


@pytest.mark.parametrize("query,param", BAD_PARAMS)
def test_bad_parameters_give_a_400_page_with_a_clear_message(client, query, param):
    r = client.get("/?" + query)
    assert r.status_code == 400, r.status_code
    assert r.mimetype == "text/html"
    page = html(r)
    assert "That request did not work" in page
    assert param in page
    assert "Traceback" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=oil",
        "/api/search?q=oil",
        "/static/style.css",
        "/nope",
        "/api/nope",
        "/?page=x",
        "/opensearch.xml",
        "/healthz",
    ],
)
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    assert r.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()


def test_unknown_route_and_wrong_method_are_html_errors(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"
    r = client.post("/")
    assert r.status_code == 405 and r.mimetype == "text/html"
    assert "GET" in r.headers["Allow"]
    assert "Method POST is not allowed here." in html(r)


def test_opensearch_description(client):
    r = client.get("/opensearch.xml")
    assert r.status_code == 200
    assert r.mimetype == "application/opensearchdescription+xml"
    body = html(r)
    assert "<ShortName>searchsvc</ShortName>" in body
    assert 'template="/?q={searchTerms}"' in body  # relative: never from the Host header
    evil = html(client.get("/opensearch.xml", headers={"Host": "evil.example"}))
    assert "evil.example" not in evil


def test_opensearch_uses_the_configured_public_url(web_index):
    app = create_app({"INDEX_DIR": web_index, "PUBLIC_URL": "https://news.example.org/"})
    body = html(app.test_client().get("/opensearch.xml", headers={"Host": "evil.example"}))
    assert 'template="https://news.example.org/?q={searchTerms}"' in body
    assert "evil.example" not in body


def test_static_assets_and_favicon(client):
    for path, mimetype in [
        ("/static/app.js", "text/javascript"),
        ("/static/style.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ]:
        r = client.get(path)
        assert r.status_code == 200 and r.mimetype == mimetype
        r.close()
    r = client.get("/favicon.ico")
    assert r.status_code == 301
    assert re.fullmatch(r"/static/favicon.svg\?v=[0-9a-f]{12}", r.headers["Location"])


def test_unexpected_errors_are_a_generic_500_without_details(web_index):
    app = create_app({"INDEX_DIR": web_index})

    def boom():
        raise RuntimeError("secret detail in /srv/private/path.py")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    client = app.test_client()
    r = client.get("/boom")
    assert r.status_code == 500 and r.mimetype == "text/html"
    assert "secret" not in html(r) and "/srv" not in html(r)
    r = client.get("/api/boom")
    assert r.status_code == 500
    assert r.json == {
        "error": "Something went wrong on our side. The error has been logged; please try again."
    }


def test_missing_index_is_a_503_page_without_paths(tmp_path):
    client = create_app({"INDEX_DIR": tmp_path / "nothing-here"}).test_client()
    r = client.get("/?q=oil")
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "Search is not available yet" in html(r)
    assert str(tmp_path) not in html(r)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json["status"] == "unavailable" and str(tmp_path) not in r.json["error"]
    assert client.get("/api/search?q=oil").status_code == 503


def test_settings_come_from_the_environment_then_config(monkeypatch, web_index, tmp_path):
    monkeypatch.setenv("SEARCHSVC_INDEX_DIR", str(web_index))
    monkeypatch.setenv("SEARCHSVC_MAX_PER_PAGE", "5")
    client = create_app().test_client()
    assert client.get("/?q=oil&per_page=5").status_code == 200
    r = client.get("/?q=oil&per_page=6")  # clamped to the limit
    assert r.status_code == 302 and r.headers["Location"] == "/?q=oil&per_page=5"
    app = create_app({"MAX_PER_PAGE": 50})
    assert app.test_client().get("/?q=oil&per_page=50").status_code == 200


def test_one_engine_per_process_and_a_reindex_is_picked_up(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    doc = {"id": "a", "title": "Walrus sighting", "body": "A walrus was seen on the beach."}
    (corpus / "a.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    index_corpus(corpus, index_dir, procs=1)
    app = create_app({"INDEX_DIR": index_dir})
    client = app.test_client()
    assert "1 result" in html(client.get("/?q=walrus"))
    engine = app.extensions["searchsvc"].engine()
    doc2 = {"id": "b", "title": "Second walrus", "body": "Another walrus swam past."}
    (corpus / "b.jsonl").write_text(json.dumps(doc2) + "\n", encoding="utf-8")
    index_corpus(corpus, index_dir, procs=1)
    assert "2 results" in html(client.get("/?q=walrus"))
    assert app.extensions["searchsvc"].engine() is engine


@pytest.mark.slow
def test_real_server_runs_gunicorn_workers_and_logs_each_request(live_server, tmp_path_factory):
    import requests

    with requests.Session() as http:
        r = http.get(live_server + "/?q=oil", timeout=10)
        assert r.status_code == 200 and "14 results" in r.text
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
        r = http.get(live_server + "/api/search?page=0", timeout=10)
        assert r.status_code == 400 and r.json()["error"].startswith("Parameter 'page'")
        assert http.get(live_server + "/healthz", timeout=10).json()["documents"] == 20
    log = (tmp_path_factory.getbasetemp() / "live_server.log").read_text(errors="replace")
    assert log.count("Booting worker with pid") >= 2
    assert "Using worker: searchsvc.web.server.SearchWorker" in log
    assert '"GET /?q=oil HTTP/1.1" 200' in log
    assert '"GET /api/search?page=0 HTTP/1.1" 400' in log


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    q=st.text(max_size=60),
    source=st.text(max_size=10),
    page=st.text(alphabet="0123456789-x. ", max_size=5),
    when=st.text(alphabet="0123456789-", max_size=11),
)
def test_any_input_gives_a_page_or_a_400_never_a_500(web_index, q, source, page, when):
    client = _shared_client(web_index)
    args = {"q": q, "source": source, "page": page, "from": when}
    r = client.get("/", query_string=args)
    assert r.status_code in (200, 302, 400), r.status_code
    body = html(r)
    assert "Traceback" not in body and "<script>" not in body
    r = client.get("/articles/oil-01", query_string={"q": q})
    assert r.status_code == 200


_CLIENTS: dict = {}


def _shared_client(index_dir):
    """Return one test client per index (hypothesis calls the test many times)."""
    if index_dir not in _CLIENTS:
        _CLIENTS[index_dir] = create_app({"INDEX_DIR": index_dir}).test_client()
    return _CLIENTS[index_dir]


@pytest.mark.slow
def test_real_server_whose_index_is_gone_answers_healthz_503(tmp_path):
    import requests
    from servers import serve

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "one.jsonl").write_text(json.dumps({"id": "a", "title": "Oil", "body": "Oil."}))
    index_corpus(corpus, index, procs=1)
    with serve(index, tmp_path / "server.log", workers=1) as base:  # the real `searchsvc serve`
        assert requests.get(base + "/healthz", timeout=5).json()["documents"] == 1
        shutil.rmtree(index)
        r = requests.get(base + "/healthz", timeout=5)
        assert r.status_code == 503
        assert r.json() == {
            "status": "unavailable",
            "error": "The search index is not available yet; it has to be built first.",
        }
        page = requests.get(base + "/?q=x", timeout=5)
        assert page.status_code == 503 and str(tmp_path) not in page.text


def test_search_path_redirects_to_the_search_page(client):
    r = client.get("/search?q=oil&tag=energy")
    assert r.status_code == 301 and r.headers["Location"] == "/?q=oil&tag=energy"
