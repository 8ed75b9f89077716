"""/metrics and the query log of the real 2-worker server: every worker's requests are counted
once, a dead worker's counts stay, the metrics folder is emptied at start, and the query log
counts each search exactly without keys, addresses or user agents. Bounded in requests and time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from servers import CLI, serve

pytestmark = pytest.mark.slow

ADMIN_KEY = "admin-key-5d0c2b71"
METRICS_KEY = "metrics-key-9e44a0f3"
WRITE_KEY = "write-key-c81f7a22"  # a write API's key, sent along with searches by a client
FORWARDED_FOR = "203.0.113.77"
AGENT = "FeedReader-UA-6a1b/2.0"
QUERIES = ["oil", "cocoa", "coffee frost", "zyzzyva", "oil prices"]  # zyzzyva finds nothing
BATCH = 40
MAX_REQUESTS = 400
CAP_S = 60.0


def get(url: str, **headers) -> tuple[int, bytes]:
    """GET on a new connection (so that both workers take some); return status and body."""
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sample(text: str, name: str, **labels: str) -> float:
    """Return one sample's value from Prometheus text output (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def per_worker(folder: Path, route: str) -> dict[int, float]:
    """Return, per worker pid, the searchsvc_requests_total of `route` in its own counter file."""
    out = {}
    for f in folder.glob("counter_*.db"):
        total = 0.0
        for metric in MultiProcessCollector.merge([str(f)], accumulate=True):
            for s in metric.samples:
                if s.name == "searchsvc_requests_total" and s.labels.get("route") == route:
                    total += s.value
        out[int(f.stem.rsplit("_", 1)[1])] = total
    return out


def stale_counter(folder: Path) -> None:
    """Leave a counter file of an earlier run: 1000 searches the new server must not count."""
    code = (
        "from prometheus_client import Counter\n"
        "c = Counter('searchsvc_requests', 'x', ['route', 'status'])\n"
        "c.labels(route='/api/search', status='200').inc(1000)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert list(folder.glob("counter_*.db"))


class Searches:
    """Searches sent in parallel batches until both workers have answered some (bounded)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.made = 0
        self.zero = 0
        self.failures: list[str] = []

    def batch(self, n: int = BATCH) -> None:
        lock = threading.Lock()
        start = self.made

        def one(k: int) -> None:
            q = QUERIES[k % len(QUERIES)]
            status, _ = get(
                f"{self.base}/api/search?q={urllib.parse.quote(q)}&key={WRITE_KEY}",
                **{"Authorization": f"Bearer {ADMIN_KEY}", "X-Forwarded-For": FORWARDED_FOR,
                   "X-Api-Key": WRITE_KEY, "User-Agent": AGENT},
            )  # fmt: skip
            with lock:
                if status != 200:
                    self.failures.append(f"{q}: {status}")
                self.zero += q == "zyzzyva"

        threads = [threading.Thread(target=one, args=(start + k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.made += n


def scrape(base: str) -> str:
    status, body = get(f"{base}/metrics", Authorization=f"Bearer {METRICS_KEY}")
    assert status == 200
    return body.decode()


def test_metrics_and_query_log_of_the_two_worker_server(web_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(web_index, index)
    folder = tmp_path / "metrics"
    folder.mkdir()
    stale_counter(folder)
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SEARCHSVC_ADMIN_KEY": ADMIN_KEY,
        "SEARCHSVC_METRICS_KEY": METRICS_KEY,
    }
    route = "/api/search"
    with serve(index, tmp_path / "server.log", env=env) as base:
        assert get(f"{base}/metrics")[0] == 401  # the key is required
        load = Searches(base)
        deadline = time.monotonic() + CAP_S
        while load.made < MAX_REQUESTS and time.monotonic() < deadline:
            load.batch()
            counts = per_worker(folder, route)
            if len([n for n in counts.values() if n]) >= 2:
                break
        assert load.failures == []
        counts = per_worker(folder, route)
        assert len([n for n in counts.values() if n]) == 2, counts  # both workers served some
        assert sum(counts.values()) == load.made  # and the stale file of the last run is gone
        text = scrape(base)
        assert sample(text, "searchsvc_requests_total", route=route, status="200") == load.made
        assert sample(text, "searchsvc_zero_result_searches_total") == load.zero
        assert sample(text, "searchsvc_search_hits_count") == load.made
        assert sample(text, "searchsvc_request_duration_seconds_count", route=route) == load.made
        assert sample(text, "searchsvc_index_documents") == 20

        # A worker that dies is replaced; what it counted is still counted.
        victim = next(pid for pid, n in counts.items() if n)
        os.kill(victim, signal.SIGTERM)
        wait_for_replacement(folder, set(counts), tmp_path / "server.log")
        load.batch()
        assert load.failures == []
        text = scrape(base)
        assert sample(text, "searchsvc_requests_total", route=route, status="200") == load.made

        status, page = get(f"{base}/?admin=1", Authorization=f"Bearer {ADMIN_KEY}")
        assert status == 200 and b"searches logged" in page

    log = tmp_path / "index.queries.jsonl"
    text = log.read_text()
    for secret in (ADMIN_KEY, METRICS_KEY, WRITE_KEY, FORWARDED_FOR, "127.0.0.1", AGENT):
        assert secret not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == load.made and {r["via"] for r in records} == {"api"}

    out = subprocess.run(
        [CLI, "stats", "--queries", "--json", "--index", str(index)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    expected = {q: sum(1 for k in range(load.made) if QUERIES[k % 5] == q) for q in QUERIES}
    assert {r["query"]: r["count"] for r in report["top_queries"]} == expected
    assert report["zero_result_queries"] == [{"query": "zyzzyva", "count": load.zero}]
    assert report["paged_queries"] == []
    assert report["latency_ms"]["count"] == load.made


def wait_for_replacement(folder: Path, before: set[int], log: Path) -> None:
    """Wait until gunicorn has booted a new worker (a counter file of a new pid)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if set(int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("counter_*.db")) - before:
            return
        time.sleep(0.1)
    raise AssertionError(f"no new worker:\n{log.read_text(errors='replace')}")
