"""Security of the real server: inert XSS in a real Chromium, traversal-proof article ids,
security headers on every kind of response, and no stack trace or path ever sent to a client.

tests/e2e/test_browser.py and tests/test_web.py cover the basic XSS article and the headers
through the Flask test client; these tests add payloads in every field (data: and javascript:
URLs, attribute breakers, a poisoned word for the suggestion box), raw HTTP requests that no
client library would normalise, and a server whose index folder is removed under it.
"""

from __future__ import annotations

import json
import shutil
import sys
from http.client import HTTPConnection
from pathlib import Path

import pytest
from playwright.sync_api import expect

from searchsvc.engine.indexer import index_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import serve


def web_articles() -> list[dict]:
    """Return the tiny web corpus of tests/conftest.py (shadowed here by e2e/conftest.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "tests_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.web_articles()


pytestmark = pytest.mark.e2e

PAYLOADS = [
    '"><svg onload="window.__xss=11">',
    "</textarea><script>window.__xss=12</script>",
    '<iframe src="javascript:window.__xss=13"></iframe>',
    "' onmouseover='window.__xss=14' x='",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=15>",
]
HOSTILE = [
    {
        "id": f"evil-{i}",
        "title": f"Quetzal {p}",
        "body": f"The quetzal story {p} goes on.\n\nMore quetzal text {p}.",
        "author": p,
        "source": p[:40],
        "url": url,
        "tags": [p[:30], "quetzal"],
        "published": "2023-05-05",
    }
    for i, (p, url) in enumerate(
        zip(
            PAYLOADS,
            [
                "data:text/html,<script>window.__xss=20</script>",
                "javascript:window.__xss=21",
                " JaVaScRiPt:window.__xss=22",
                "java\tscript:window.__xss=23",
                'http://ok.example.com/" onclick="window.__xss=24',
            ],
            strict=True,
        )
    )
]
# A word that ends up in the index and therefore in the suggestions; the article also holds
# the words of the payload typed before it, so the phrase-aware completion offers it.
HOSTILE.append(
    {
        "id": "evil-suggest",
        "title": "Quetzalcoatlimgsrcxonerror",
        "body": '<img src=x onerror="window.__xss=30"> quetzalcoatlimgsrcxonerror appears here.',
    }
)
LEAKS = ("Traceback", 'File "', "/work/", "/tmp/", "site-packages")


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory):
    """A real 2-worker server over the web corpus plus articles with XSS in every field."""
    root = tmp_path_factory.mktemp("evil")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    rows = [json.dumps(a, ensure_ascii=False) for a in web_articles() + HOSTILE]
    (corpus / "news.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    index_corpus(corpus, index, rebuild=True, procs=1)
    with serve(index, root / "server.log") as base:
        yield base, index, root / "server.log"


def raw(base: str, method: str, path: str) -> tuple[int, dict, bytes]:
    """Send a request with the path exactly as given; return status, headers, body."""
    host, port = base.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def assert_no_leak(body: bytes, index: Path) -> None:
    text = body.decode("utf-8", "replace")
    for leak in (*LEAKS, str(index), str(index.parent)):
        assert leak not in text, f"{leak!r} sent to the client: {text[:300]}"


def assert_headers(headers: dict) -> None:
    assert headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert headers["x-content-type-options"] == "nosniff"


def xss_fired(page) -> bool:
    return page.evaluate("typeof window.__xss") != "undefined"


def test_payloads_in_every_field_are_inert_on_results_and_article_pages(page, evil_server):
    base, _, _ = evil_server
    page.goto(base + "/?q=quetzal")
    expect(page.locator("li.hit")).to_have_count(5)
    assert page.locator("li.hit svg, li.hit script, li.hit iframe, li.hit img").count() == 0
    for hit in HOSTILE[:-1]:
        page.goto(f"{base}/articles/{hit['id']}?q=quetzal")
        expect(page.locator("h1")).to_contain_text("Quetzal")
        assert page.locator("main svg, main script, main iframe, main img, main math").count() == 0
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert not [h for h in hrefs if h.lower().lstrip().startswith(("javascript:", "data:"))]
        assert page.locator("a[onclick], a[onmouseover], [onload], [onerror]").count() == 0
        page.eval_on_selector_all(  # a mouse over every element runs any smuggled handler
            "body *", "els => els.forEach(e => e.dispatchEvent(new MouseEvent('mouseover')))"
        )
        assert not xss_fired(page), hit["id"]
    for p in PAYLOADS:  # the same payloads as queries, in the results and on an article
        page.goto(base + "/?q=" + p.replace("#", "%23").replace("&", "%26"))
        page.goto(base + "/articles/oil-01?q=" + p.replace("#", "%23").replace("&", "%26"))
        assert not xss_fired(page), p
    assert page.watch.dialogs == []
    assert page.watch.errors == []


def test_payloads_typed_into_the_suggestion_box_stay_text(page, evil_server):
    base, _, _ = evil_server
    page.goto(base + "/")
    typed = '<img src=x onerror="window.__xss=30"> quetzalc'
    page.fill("#q", "")
    page.locator("#q").press_sequentially(typed, delay=5)
    option = page.get_by_role("option").first
    expect(option).to_have_text('<img src=x onerror="window.__xss=30"> quetzalcoatlimgsrcxonerror')
    assert page.locator("#q-suggestions img, #q-suggestions script").count() == 0
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=" in url)
    assert not xss_fired(page)
    assert page.watch.dialogs == [] and page.watch.errors == []


TRAVERSALS = [
    "/articles/..%2f..%2fetc%2fpasswd",
    "/articles/..%2F..%2Fetc%2Fpasswd",
    "/articles/../../etc/passwd",
    "/api/articles/../../x",
    "/api/articles/..%2f..%2fx",
    "/articles/%2fetc%2fpasswd",
    "/articles//etc/passwd",
    "/api/articles/%2fetc%2fpasswd",
    "/articles/%00",
    "/articles/oil-01%00",
    "/api/articles/oil-01%00.json",
    "/articles/%c0%ae%c0%ae%c0%afetc",
    "/articles/....//....//etc",
    "/static/../../../../etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/articles/C:%5cwindows%5cwin.ini",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_in_article_ids_and_static_paths_is_a_404(evil_server, path):
    base, index, _ = evil_server
    status, headers, body = raw(base, "GET", path)
    assert status == 404, (status, body[:200])
    assert b"root:" not in body
    assert_headers(headers)
    assert_no_leak(body, index)


RESPONSES = [
    ("GET", "/", 200),
    ("GET", "/?q=oil", 200),
    ("GET", "/api/search?q=oil", 200),
    ("GET", "/api/suggest?q=oi", 200),
    ("GET", "/api/stats", 200),
    ("GET", "/api/openapi.json", 200),
    ("GET", "/articles/oil-01", 200),
    ("GET", "/healthz", 200),
    ("GET", "/static/app.js", 200),
    ("GET", "/static/style.css", 200),
    ("GET", "/opensearch.xml", 200),
    ("GET", "/?page=0", 302),  # clamped: a redirect to page 1
    ("GET", "/?q=oil&from=2021-01-02&to=2020-01-01", 400),  # the page, with the date error
    ("GET", "/api/search?per_page=x", 400),
    ("GET", "/nope", 404),
    ("GET", "/api/nope", 404),
    ("GET", "/static/nope.js", 404),
    ("POST", "/", 405),
    ("DELETE", "/api/search", 405),
    ("PUT", "/articles/oil-01", 405),
    ("HEAD", "/", 200),
]


@pytest.mark.parametrize("method,path,status", RESPONSES)
def test_every_response_carries_csp_and_nosniff_and_no_internals(evil_server, method, path, status):
    base, index, _ = evil_server
    got, headers, body = raw(base, method, path)
    assert got == status, body[:300]
    assert_headers(headers)
    assert_no_leak(body, index)


def test_a_removed_index_gives_503_without_paths_and_recovers(evil_server, tmp_path):
    _, index, _ = evil_server
    # A server of its own, over a copy, so the other tests keep their index.
    copy = tmp_path / "served-index"
    shutil.copytree(index, copy)
    with serve(copy, tmp_path / "server.log") as other:
        assert raw(other, "GET", "/api/search?q=oil")[0] == 200
        moved = tmp_path / "moved-away"
        copy.rename(moved)
        for path in ["/", "/?q=oil", "/api/search?q=oil", "/api/stats", "/articles/oil-01",
                     "/healthz", "/api/suggest?q=oi"]:  # fmt: skip
            for _ in range(2):  # both workers
                status, headers, body = raw(other, "GET", path)
                assert status == 503, (path, status, body[:300])
                assert_headers(headers)
                assert_no_leak(body, copy)
                assert b"moved-away" not in body and b"served-index" not in body
        shutil.rmtree(moved)  # gone for good, not just renamed
        assert raw(other, "GET", "/api/search?q=oil")[0] == 503
        shutil.copytree(index, copy)  # and back: the server recovers by itself
        assert raw(other, "GET", "/api/search?q=oil")[0] == 200
        assert raw(other, "GET", "/api/search?q=oil")[0] == 200
    text = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
