"""The write API on a real `searchsvc serve` (2 gunicorn workers and the applier), real HTTP.

Keys, bad input, near-real-time visibility of 50 writes, kill -9 of the whole server right after
acknowledgements, `searchsvc index` and `--rebuild` keeping API articles, deletions, batches,
which of an API write and a corpus file wins, CORS, ETags, and keys never shown.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import pytest
import requests
from livehelp import (
    KEYS,
    auth,
    found,
    index,
    kill_all,
    put,
    serve,
    wait_found,
    word_of,
    write_corpus,
)

from searchsvc.engine.generations import read_current

pytestmark = pytest.mark.slow  # a real server (serve, the applier) and subprocesses

PARTNER = "https://partner.example"
ENV = {
    "SEARCHSVC_WRITE_KEYS": ",".join(KEYS),
    "SEARCHSVC_MAX_ARTICLE_BYTES": "100000",
    "SEARCHSVC_CORS_ORIGINS": f"*,{PARTNER}",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus of 20 articles, its index, and a served URL (restarted by some tests)."""
    root = tmp_path_factory.mktemp("live")
    corpus, index_dir, log = root / "corpus", root / "index", root / "serve.log"
    write_corpus(corpus, "news.jsonl", "c", 20)
    index(corpus, index_dir)
    with serve(index_dir, log, ENV) as (base, pid):
        yield {"base": base, "corpus": corpus, "index": index_dir, "log": log, "pid": pid}


def article(i: int, **extra) -> dict:
    return {"title": f"Live story {word_of(i)}", "body": f"Body of {word_of(i)} here.", **extra}


def test_keys_401_403_and_created_replaced(site):
    base = site["base"]
    body = json.dumps(article(1000))
    plain = {"Content-Type": "application/json"}
    r = requests.put(f"{base}/api/articles/k-1", data=body, headers=plain, timeout=30)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = requests.put(
        f"{base}/api/articles/k-1", data=body, headers={**plain, **auth("wrong")}, timeout=30
    )
    assert r.status_code == 403
    r = requests.put(
        f"{base}/api/articles/k-1", data=body, headers={**plain, "Authorization": "Basic x"}
    )
    assert r.status_code == 401
    assert put(base, "k-1", article(1000)).status_code == 201
    assert put(base, "k-1", article(1000), key=KEYS[1]).status_code == 200
    assert requests.delete(f"{base}/api/articles/k-1", timeout=30).status_code == 401
    assert requests.get(f"{base}/api/search", params={"q": "harbour"}).status_code == 200


def test_writes_disabled_without_keys(live_server):
    r = requests.put(
        f"{live_server}/api/articles/x",
        data=json.dumps(article(1)),
        headers={**auth(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 403 and "disabled" in r.json()["error"]


@pytest.mark.parametrize(
    ("article_id", "data", "status", "field"),
    [
        ("bad-json", b'{"title": "x", "body": ', 400, "JSON"),
        ("no-title", json.dumps({"body": "b"}).encode(), 400, "'title'"),
        ("no-body", json.dumps({"title": "t"}).encode(), 400, "'body'"),
        ("wrong-type", json.dumps({"title": ["t"], "body": "b"}).encode(), 400, "'title'"),
        ("bad-tags", json.dumps({"title": "t", "body": "b", "tags": 3}).encode(), 400, "'tags'"),
        ("bad date", json.dumps(article(1)).encode(), 400, "'id'"),
        ("x" * 201, json.dumps(article(1)).encode(), 400, "'id'"),
        ("not-utf8", b'{"title": "\xff", "body": "b"}', 400, "UTF-8"),
        ("huge", json.dumps({"title": "t", "body": "w " * 60_000}).encode(), 413, "'body'"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    site, article_id, data, status, field
):
    base = site["base"]
    headers = {**auth(), "Content-Type": "application/json"}
    r = requests.put(f"{base}/api/articles/{article_id}", data=data, headers=headers, timeout=30)
    assert r.status_code == status, r.text
    assert field in r.text
    assert KEYS[0] not in r.text
    time.sleep(0.3)
    got = requests.get(f"{base}/api/articles/{article_id}", timeout=30)
    assert got.status_code in (404, 400)


def test_content_type_and_cross_site_posts_are_refused(site):
    base = site["base"]
    for ctype in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        r = requests.put(
            f"{base}/api/articles/form-1",
            data="title=x&body=y",
            headers={**auth(), "Content-Type": ctype},
            timeout=30,
        )
        assert r.status_code == 415
        r = requests.post(
            f"{base}/api/articles",
            data="title=x",
            headers={**auth(), "Content-Type": ctype, "Origin": "https://evil.example"},
            timeout=30,
        )
        assert r.status_code in (403, 415)
    r = put(base, "evil-1", article(2), headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert put(base, "partner-1", article(3), headers={"Origin": PARTNER}).status_code == 201
    assert requests.get(f"{base}/api/articles/evil-1", timeout=30).status_code == 404


def test_cors_read_routes_allow_origins_write_routes_only_listed_ones(site):
    base = site["base"]
    r = requests.get(
        f"{base}/api/search", params={"q": "harbour"}, headers={"Origin": "https://a.example"}
    )
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    pre = requests.options(
        f"{base}/api/suggest",
        headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code in (200, 204) and "GET" in pre.headers["Access-Control-Allow-Methods"]
    for origin, allowed in (("https://a.example", False), (PARTNER, True)):
        pre = requests.options(
            f"{base}/api/articles/x",
            headers={"Origin": origin, "Access-Control-Request-Method": "PUT"},
        )
        assert ("Access-Control-Allow-Origin" in pre.headers) is allowed
        if allowed:
            assert pre.headers["Access-Control-Allow-Origin"] == PARTNER
            assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]


def _ready_lines(log: Path, generation: str) -> set[str]:
    """Return the worker pids whose log says they made `generation` ready."""
    pattern = re.compile(r"\[(\d+)\] \[INFO\] index generation (\S+) ready in this worker")
    text = log.read_text(encoding="utf-8", errors="replace")
    return {m.group(1) for m in pattern.finditer(text) if m.group(2) == generation}


def test_workers_open_a_new_generation_before_any_search_asks(site):
    """Each worker opens the live generation by itself: at its start, and within moments of
    a live write switching to a new one, with no request in between (web/server.py)."""
    index_dir, log = site["index"], site["log"]
    before = read_current(index_dir)
    deadline = time.monotonic() + 20
    while len(_ready_lines(log, before)) < 2:  # both workers, as they started
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
    assert put(site["base"], "warm-1", article(4242)).status_code == 201
    while True:  # the applier switches; both workers open the new generation unasked
        now = read_current(index_dir)
        if now != before and len(_ready_lines(log, now)) >= 2:
            break
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.02)


def test_etag_and_304(site):
    base = site["base"]
    url = f"{base}/api/search?q=harbour"
    for _ in range(5):  # the applier may still switch generations after earlier tests' writes
        first = requests.get(url, timeout=30)
        etag = first.headers["ETag"]
        assert "max-age" in first.headers["Cache-Control"]
        again = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
        if again.status_code == 304:
            break
        assert again.status_code == 200 and again.headers["ETag"] != etag  # a new generation
        time.sleep(0.5)
    assert again.status_code == 304 and not again.content and again.headers["ETag"] == etag
    assert requests.get(f"{base}/api/search?q=cargo", headers={"If-None-Match": etag}).ok
    assert put(base, "etag-1", article(4)).status_code == 201
    wait_found(base, word_of(4), "etag-1")
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=30).status_code == 200


def test_delete_api_and_corpus_articles(site):
    base = site["base"]
    assert put(base, "d-1", article(10)).status_code == 201
    wait_found(base, word_of(10), "d-1")
    r = requests.delete(f"{base}/api/articles/d-1", headers=auth(), timeout=30)
    assert r.status_code == 204 and not r.content
    assert requests.delete(f"{base}/api/articles/d-1", headers=auth()).status_code == 404
    assert requests.delete(f"{base}/api/articles/never-1", headers=auth()).status_code == 404
    assert requests.delete(f"{base}/api/articles/c-5", headers=auth()).status_code == 204
    deadline = time.monotonic() + 10
    while found(base, word_of(10), "d-1") or found(base, "harbour story 5", "c-5"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert requests.get(f"{base}/api/articles/c-5", timeout=30).status_code == 404


def test_batch_keeps_good_lines_and_reports_bad_ones(site):
    base = site["base"]
    lines = [
        json.dumps({"id": "b-1", **article(20)}),
        "{not json",
        json.dumps({"id": "b-2", "title": "only a title"}),
        "",
        json.dumps({"id": "b/3", **article(21)}),
        json.dumps({"id": "b-4", **article(22)}),
        json.dumps(article(23)),
        json.dumps({"id": "b-1", **article(24)}),
    ]
    r = requests.post(
        f"{base}/api/articles",
        data="\n".join(lines).encode(),
        headers={**auth(), "Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["added"], got["updated"], got["failed"]) == (2, 1, 4)
    assert [e["line"] for e in got["errors"]] == [2, 3, 5, 7]
    assert "'body'" in got["errors"][1]["error"] and "'id'" in got["errors"][2]["error"]
    wait_found(base, word_of(22), "b-4")
    wait_found(base, word_of(24), "b-1")  # the later line of the same id won
    assert not found(base, word_of(20), "b-1")


def test_an_api_write_hides_a_corpus_article_until_its_file_changes(site):
    base, corpus, index_dir = site["base"], site["corpus"], site["index"]
    write_corpus(corpus, "own.jsonl", "o", 2, word="lighthouse")
    index(corpus, index_dir)
    wait_found(base, "lighthouse", "o-1")
    assert put(base, "o-1", article(30)).status_code == 200  # replaced
    wait_found(base, word_of(30), "o-1")
    index(corpus, index_dir)  # the file did not change: the API's article stays
    assert found(base, word_of(30), "o-1") and not found(base, "lighthouse story 1", "o-1")
    write_corpus(corpus, "own.jsonl", "o", 2, word="beacon")  # the file changes: it wins
    index(corpus, index_dir)
    wait_found(base, "beacon", "o-1")
    assert not found(base, word_of(30), "o-1")


def test_50_writes_visible_within_a_second_survive_kill_9_index_and_rebuild(site):
    base, corpus, index_dir = site["base"], site["corpus"], site["index"]
    waits = []
    for i in range(50):
        r = put(base, f"v-{i}", article(100 + i))
        assert r.status_code == 201, r.text
        waits.append(wait_found(base, word_of(100 + i), f"v-{i}"))
    worst, median = max(waits), statistics.median(waits)
    print(f"\nvisibility of 50 writes: worst {worst * 1000:.0f} ms, median {median * 1000:.0f} ms")
    assert median < 1.0
    for i in range(50, 55):  # kill -9 of master, workers and applier right after these
        assert put(base, f"v-{i}", article(100 + i)).status_code == 201
    kill_all(site["pid"])
    with serve(index_dir, site["log"], ENV) as (again, _):
        for i in range(55):
            wait_found(again, word_of(100 + i), f"v-{i}", limit=15)
        index(corpus, index_dir)
        write_corpus(corpus, "more.jsonl", "m", 3)
        index(corpus, index_dir)
        index(corpus, index_dir, "--rebuild")
        for i in range(55):
            assert found(again, word_of(100 + i), f"v-{i}")
        r = requests.get(f"{again}/api/search", params={"q": "live story", "per_page": 1})
        assert r.json()["total"] >= 55
    log = Path(site["log"]).read_text(errors="replace")
    assert all(key not in log for key in KEYS)
