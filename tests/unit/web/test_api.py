"""The JSON API through the Flask test client over a real tiny index."""

from __future__ import annotations

import pytest

from searchsvc.web import create_app

BAD = [
    "page=abc",
    "page=0",
    "page=1001",
    "per_page=0",
    "per_page=101",
    "sort=best",
    "from=2021-02-30",
    "from=2021/01/01",
    "to=tomorrow",
    "from=2021-01-02&to=2021-01-01",
    "q=" + "x" * 1001,
    "q=a%00b",
    "tag=%00",
]


def test_search_returns_the_search_page_shape(client):
    r = client.get("/api/search?q=oil&per_page=5")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.json
    assert list(body) == [
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "hits",
        "facets",
        "suggestion",
        "sort",
        "timeline",
        "notes",
    ]
    assert body["query"] == "oil" and body["total"] == 14 and body["page"] == 1
    assert len(body["hits"]) == 5
    hit = body["hits"][0]
    assert set(hit) == {
        "id",
        "title",
        "url",
        "published",
        "author",
        "source",
        "tags",
        "score",
        "snippet",
        "similar",
        "similar_ids",
    }
    assert "<mark>oil</mark>" in hit["snippet"]
    assert set(body["facets"]) == {"source", "tags", "year"}
    assert body["facets"]["source"] == {"Reuters": 7, "Example Wire": 7}
    assert body["timeline"][0] == {
        "period": "2019",
        "count": 3,
        "from": "2019-01-01",
        "to": "2019-12-31",
    }


def test_pages_do_not_overlap(client):
    one = [h["id"] for h in client.get("/api/search?q=oil&per_page=10").json["hits"]]
    two = [h["id"] for h in client.get("/api/search?q=oil&per_page=10&page=2").json["hits"]]
    assert len(one) == 10 and len(two) == 4
    assert not set(one) & set(two)


def test_sort_newest_and_filters(client):
    hits = client.get("/api/search?q=oil&sort=newest&per_page=20").json["hits"]
    dates = [h["published"] for h in hits]
    assert dates == sorted(dates, reverse=True)
    body = client.get("/api/search?q=oil&source=Reuters&tag=markets&from=2020-01-01").json
    assert body["hits"] and all(h["source"] == "Reuters" for h in body["hits"])
    assert all(h["published"] >= "2020-01-01" for h in body["hits"])


def test_near_duplicates_and_suggestion(client):
    body = client.get("/api/search?q=coffee").json
    assert body["total"] == 1 and body["hits"][0]["similar"] == 2
    typo = client.get("/api/search?q=coffe").json  # nothing as typed: the correction's results
    assert (typo["query"], typo["results_for"], typo["total"]) == ("coffe", "coffee", 1)
    exact = client.get("/api/search?q=coffe&autocorrect=false").json
    assert (exact["total"], exact["suggestion"]) == (0, "coffee") and "results_for" not in exact


def test_suggest_completes_the_last_word(client):
    r = client.get("/api/suggest?q=oi")
    assert r.json == {"query": "oi", "suggestions": ["oil"]}
    assert client.get("/api/suggest?q=crude%20oi").json["suggestions"] == ["crude oil"]
    assert client.get("/api/suggest?q=").json == {"query": "", "suggestions": []}
    assert client.get("/api/suggest?q=%00").status_code == 400


def test_article_and_stats_and_health(client):
    art = client.get("/api/articles/cocoa-1").json
    assert art["title"] == "Cocoa grinding figures rise in Europe"
    assert art["published"] == "2020-04-15" and art["tags"] == ["agriculture"]
    stats = client.get("/api/stats").json
    assert stats["documents"] == 20
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["status"] == "ok" and health.json["documents"] == 20
    assert health.json["generation"].startswith("gen-")


@pytest.mark.parametrize("path", ["/api/articles/nope", "/api/articles/..%2Fx", "/api/articles/.."])
def test_unknown_articles_are_json_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert set(r.json) <= {"error", "hint"} and r.json["error"]


@pytest.mark.parametrize("query", BAD)
def test_bad_parameters_are_json_400(client, query):
    r = client.get("/api/search?" + query)
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert isinstance(r.json["error"], str) and len(r.json["error"]) < 200
    assert "Traceback" not in r.json["error"]


def test_exact_messages_for_some_bad_parameters(client):
    assert client.get("/api/search?page=x").json == {
        "error": "Parameter 'page' must be a whole number from 1 to 1000."
    }
    assert client.get("/api/search?sort=x").json == {
        "error": "Parameter 'sort' must be one of: relevance, newest."
    }
    assert client.get("/api/search?from=2021-02-01&to=2021-01-01").json == {
        "error": "The 'from' date must not be after the 'to' date."
    }


def test_unknown_api_route_and_wrong_method_are_json(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.mimetype == "application/json"
    r = client.delete("/api/search")
    assert r.status_code == 405 and r.mimetype == "application/json"
    assert r.json == {"error": "Method DELETE is not allowed here."}
    assert "GET" in r.headers["Allow"]


def test_xss_stays_data_in_json(client):
    body = client.get("/api/search", query_string={"q": "<script>zanzibar"}).json
    assert body["query"] == "<script>zanzibar"
    assert body["hits"][0]["title"].startswith("<script>window.__xss=1</script>")
    assert "<script>" not in body["hits"][0]["snippet"]


def test_api_answers_503_when_no_index(tmp_path):
    client = create_app({"INDEX_DIR": tmp_path / "missing"}).test_client()
    for path in ["/api/search?q=x", "/api/suggest?q=x", "/api/stats", "/api/articles/x"]:
        r = client.get(path)
        assert r.status_code == 503 and "error" in r.json
