"""Load while the index changes: a bounded load generator keeps querying the real 2-worker server
while `searchsvc index --rebuild` (then an incremental `index`) switches in new generations.

Zero failed requests, every total is the old or the new one (never a mix, never a 500 or a
LockError in the server log), and the new documents are searchable within a few seconds of the
indexer finishing (the latency is measured and printed).
"""

from __future__ import annotations

import json
import threading
import time
from http.client import HTTPConnection
from urllib.parse import quote

import pytest
from servers import serve
from test_crash import write_corpus
from test_faults import run_index

REQUESTS = 1_500
THREADS = 4
CAP_S = 60.0
VISIBLE_WITHIN_S = 5.0
QUERIES = ["cocoa", "report", "prices harvests", "desk", "zyzzyva", "shipping news"]
pytestmark = pytest.mark.slow  # a real server and the real CLI


class Load:
    """THREADS keep-alive clients sending REQUESTS searches in total, at most CAP_S seconds."""

    def __init__(self, base: str) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.lock = threading.Lock()
        self.sent = 0
        self.failures: list[str] = []
        self.totals: list[tuple[float, float, str, int]] = []  # start, end, query, total
        self.deadline = time.monotonic() + CAP_S
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(THREADS)]

    def start(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def join(self) -> None:
        for t in self.threads:
            t.join(CAP_S + 30)

    def _next(self) -> int | None:
        with self.lock:
            if self.sent >= REQUESTS or time.monotonic() > self.deadline:
                return None
            self.sent += 1
            return self.sent

    def _run(self, worker: int) -> None:
        conn = HTTPConnection(self.host, self.port, timeout=10)
        try:
            while (n := self._next()) is not None:
                q = QUERIES[(n + worker) % len(QUERIES)]
                t0 = time.monotonic()
                try:
                    conn.request("GET", f"/api/search?q={quote(q)}&per_page=3")
                    resp = conn.getresponse()
                    body = resp.read()
                    status = resp.status
                    data = json.loads(body) if status == 200 else None
                    if data is None or not isinstance(data.get("hits"), list):
                        raise ValueError(f"status {status}: {body[:200]!r}")
                except Exception as e:
                    conn.close()
                    with self.lock:
                        self.failures.append(f"#{n} {q!r}: {type(e).__name__}: {e}")
                    continue
                with self.lock:
                    self.totals.append((t0, time.monotonic(), q, data["total"]))
        finally:
            conn.close()


def total_of(base: str, q: str) -> int:
    """Return the total for q from one fresh request."""
    host, port = base.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", f"/api/search?q={quote(q)}")
        resp = conn.getresponse()
        assert resp.status == 200
        return json.loads(resp.read())["total"]
    finally:
        conn.close()


def wait_visible(base: str, q: str, expected: int) -> float:
    """Poll until 4 requests in a row (both workers) see `expected` hits; return the seconds."""
    t0, streak = time.monotonic(), 0
    while streak < 4:
        assert time.monotonic() - t0 < 30, f"{q!r} never reached {expected} hits"
        streak = streak + 1 if total_of(base, q) == expected else 0
    return time.monotonic() - t0


def test_queries_never_fail_while_the_served_index_is_rebuilt_and_updated(tmp_path):
    corpus, index, log = tmp_path / "corpus", tmp_path / "index", tmp_path / "server.log"
    write_corpus(corpus, range(10), 30, "cocoa")
    assert run_index(corpus, index).returncode == 0
    with serve(index, log) as base:
        before = total_of(base, "cocoa")
        load = Load(base).start()
        time.sleep(1.0)  # the load is running when the indexer starts
        # 1. A full rebuild that adds 2 files with a unique word.
        write_corpus(corpus, range(10, 12), 30, "zyzzyva")
        out = run_index(corpus, index, "--rebuild")
        assert out.returncode == 0, out.stderr
        rebuilt_at = time.monotonic()
        seen_rebuild = wait_visible(base, "zyzzyva", 60)
        # 2. An incremental update: one more file with the unique word.
        write_corpus(corpus, range(12, 13), 20, "zyzzyva")
        update_started = time.monotonic()
        out = run_index(corpus, index)
        assert out.returncode == 0, out.stderr
        updated_at = time.monotonic()
        seen_update = wait_visible(base, "zyzzyva", 80)
        load.join()
        assert total_of(base, "cocoa") == before
    log_text = log.read_text(errors="replace")
    print(
        f"{load.sent} requests by {THREADS} threads, {len(load.failures)} failed; new documents "
        f"visible {seen_rebuild:.2f} s after the rebuild, {seen_update:.2f} s after the update"
    )
    assert load.failures == [], load.failures[:5]
    assert load.sent >= min(REQUESTS, 200), "the load generator hardly ran"
    assert seen_rebuild < VISIBLE_WITHIN_S and seen_update < VISIBLE_WITHIN_S
    assert "Traceback" not in log_text and "LockError" not in log_text
    assert '" 500 ' not in log_text and '" 503 ' not in log_text
    # Consistent results: a total is always one a generation had, and once a switch is over
    # (a second after the indexer returned), every worker answers with the new total.
    allowed = {"zyzzyva": {0, 60, 80}, "cocoa": {before}}
    for t0, _, q, total in load.totals:
        if q in allowed:
            assert total in allowed[q], (q, total)
        if q == "zyzzyva" and rebuilt_at + 1.0 < t0 < update_started:
            assert total == 60, (
                f"a worker still served the old generation {t0 - rebuilt_at:.1f} s on"
            )
        if q == "zyzzyva" and t0 > updated_at + 1.0:
            assert total == 80, (
                f"a worker still served the old generation {t0 - updated_at:.1f} s on"
            )
    report = {q: sorted({t for _, _, qq, t in load.totals if qq == q}) for q in QUERIES}
    print(f"totals seen per query: {report}")
