"""How search is used, through the app: the query log, /metrics, and the admin analytics block."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from searchsvc.analytics import QueryLog
from searchsvc.web import create_app

ADMIN_KEY = "admin-7f3c9e-secret"
METRICS_KEY = "metrics-41aa-secret"


@pytest.fixture
def log_file(tmp_path):
    return tmp_path / "queries.jsonl"


@pytest.fixture
def admin_client(web_index, log_file):
    config = {"INDEX_DIR": web_index, "QUERY_LOG_PATH": log_file, "ADMIN_KEY": ADMIN_KEY}
    return create_app(config).test_client()


def logged(path) -> list[dict]:
    return list(QueryLog(path).read())


def test_page_and_api_searches_are_logged_other_reads_are_not(admin_client, log_file):
    c = admin_client
    c.get("/?q=Oil%20%20Prices&source=Reuters")
    c.get("/api/search?q=oil&page=2")
    c.get("/?q=zyzzyva")
    for other in ("/", "/feed.atom?q=oil", "/api/suggest?q=oi", "/articles/oil-01?q=oil",
                  "/api/stats", "/healthz", "/?q=oil&page=0", "/?q=oil&page=9"):  # fmt: skip
        c.get(other)
    got = logged(log_file)
    assert [(r["q"], r["norm"], r["page"], r["via"]) for r in got] == [
        ("Oil  Prices", "oil prices", 1, "page"),
        ("oil", "oil", 2, "api"),
        ("zyzzyva", "zyzzyva", 1, "page"),
    ]
    assert got[0]["filters"] == {"source": ["Reuters"]} and got[0]["hits"] == 7
    assert got[2]["hits"] == 0
    assert set(got[0]) == {"ts", "q", "norm", "filters", "sort", "page", "hits", "took_ms", "via"}


def test_query_log_off(web_index, log_file):
    app = create_app({"INDEX_DIR": web_index, "QUERY_LOG_PATH": log_file, "QUERY_LOG": False})
    assert app.test_client().get("/?q=oil").status_code == 200
    assert not log_file.exists()


def test_no_admin_block_without_an_admin_key(web_index, log_file):
    c = create_app({"INDEX_DIR": web_index, "QUERY_LOG_PATH": log_file}).test_client()
    r = c.get("/?admin=1", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 200 and "How search is used" not in r.get_data(as_text=True)
    assert c.post("/?admin=1", data={"key": "anything"}).status_code == 405


def test_admin_sees_the_report_with_the_bearer_key(admin_client, log_file):
    c = admin_client
    for q in ("oil", "oil", "zyzzyva"):
        c.get(f"/api/search?q={q}")
    c.get("/?q=oil&page=2")
    assert "How search is used" not in c.get("/").get_data(as_text=True)
    r = c.get("/?admin=1", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "4 searches logged" in text
    assert r.headers["Cache-Control"] == "no-store" and "Authorization" in r.headers["Vary"]
    tables = re.findall(r"<h3>(.*?)</h3>\s*<table>(.*?)</table>", text, re.S)
    rows = {h: re.findall(r'<a href="[^"]+">(.*?)</a></td><td>(\d+)', t) for h, t in tables}
    assert rows == {
        "Top queries": [("oil", "2"), ("zyzzyva", "1")],
        "Queries that found nothing": [("zyzzyva", "1")],
        "Queries followed to page 2 or beyond": [("oil", "1")],
    }
    assert "<script" not in text.split('class="analytics"')[1] and "style=" not in text
    assert ADMIN_KEY not in text


def test_admin_form_posts_the_key_and_keeps_nothing(admin_client):
    c = admin_client
    form = c.get("/?admin=1").get_data(as_text=True)
    assert 'method="post" action="/?admin=1"' in form and 'type="password"' in form
    r = c.post("/?admin=1", data={"key": ADMIN_KEY})
    assert r.status_code == 200 and "searches logged" in r.get_data(as_text=True)
    assert "Set-Cookie" not in r.headers
    assert "searches logged" not in c.get("/?admin=1").get_data(as_text=True)  # not remembered
    wrong = c.post("/?admin=1", data={"key": "guess"})
    assert wrong.status_code == 403 and "That is not the admin key." in wrong.get_data(True)


def test_a_wrong_bearer_key_is_refused(admin_client):
    r = admin_client.get("/?admin=1", headers={"Authorization": "Bearer guess"})
    assert r.status_code == 403 and "searches logged" not in r.get_data(as_text=True)


def test_admin_since_narrows_the_report(admin_client):
    admin_client.get("/api/search?q=oil")
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    text = admin_client.get("/?admin=1&since=1h", headers=auth).get_data(as_text=True)
    assert "1 search logged in the last 1h" in text
    bad = admin_client.get("/?admin=1&since=soon", headers=auth).get_data(as_text=True)
    assert "cannot read &#39;soon&#39; as a time" in bad


def sample(text: str, name: str, **labels: str) -> float:
    """Return one sample's value from Prometheus text output (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_metrics_label_routes_by_template(client):
    before = client.get("/metrics").get_data(as_text=True)
    for n in range(3):
        client.get(f"/api/articles/oil-0{n}")
    client.get("/no/such/page")
    client.get("/api/search?q=zyzzyva")
    r = client.get("/metrics")
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.get_data(as_text=True)
    route = "/api/articles/<article_id>"
    delta = sample(text, "searchsvc_requests_total", route=route, status="200") - sample(
        before, "searchsvc_requests_total", route=route, status="200"
    )
    assert delta == 3
    assert "oil-01" not in text and "/no/such/page" not in text
    assert sample(text, "searchsvc_requests_total", route="unmatched", status="404") >= 1
    assert sample(text, "searchsvc_request_duration_seconds_count", route=route) >= 3
    zero = "searchsvc_zero_result_searches_total"
    assert sample(text, zero) - sample(before, zero) == 1
    assert sample(text, "searchsvc_search_hits_count") >= 1
    assert sample(text, "searchsvc_index_documents") == 20
    assert sample(text, "searchsvc_index_generation") >= 1
    assert sample(text, "searchsvc_index_last_update_timestamp_seconds") > 1.7e9


def test_metrics_key_is_a_bearer_token(web_index):
    c = create_app({"INDEX_DIR": web_index, "METRICS_KEY": METRICS_KEY}).test_client()
    r = c.get("/metrics")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert c.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/metrics", headers={"Authorization": f"Basic {METRICS_KEY}"}).status_code == 401
    ok = c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert ok.status_code == 200 and "searchsvc_requests_total" in ok.get_data(as_text=True)


def test_metrics_key_and_read_keys(web_index):
    read = {"INDEX_DIR": web_index, "READ_KEYS": "reader-1"}
    c = create_app(read).test_client()
    assert c.get("/metrics").status_code == 401  # a read key, as for every other read
    assert c.get("/metrics", headers={"Authorization": "Bearer reader-1"}).status_code == 200
    c = create_app({**read, "METRICS_KEY": METRICS_KEY}).test_client()  # its own key instead
    assert c.get("/metrics", headers={"Authorization": "Bearer reader-1"}).status_code == 401
    ok = c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert ok.status_code == 200
