"""Writers, searchers and `searchsvc index` at once on a real server: nothing lost or doubled.

4 writer clients create, replace and delete their own articles, 8 search clients search, and
`searchsvc index` runs twice (a corpus file added in between) for SEARCHSVC_LIVE_LOAD_S seconds
(60 by default; every loop is bounded in requests too). Afterwards every acknowledged article
is there exactly once with its last version, deleted ones are gone, and no request got a 5xx.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
import requests
from livehelp import KEYS, auth, index, put, serve, write_corpus

pytestmark = pytest.mark.slow
SECONDS = float(os.environ.get("SEARCHSVC_LIVE_LOAD_S", "60"))
MAX_REQUESTS = 20_000  # per client, whatever the time
ENV = {"SEARCHSVC_WRITE_KEYS": ",".join(KEYS)}


def test_writers_searchers_and_index_runs_together(tmp_path):
    corpus, index_dir, log = tmp_path / "corpus", tmp_path / "index", tmp_path / "serve.log"
    write_corpus(corpus, "base.jsonl", "c", 200)
    index(corpus, index_dir)
    stop = threading.Event()
    errors: list[str] = []
    state: dict[str, int | None] = {}  # id -> acknowledged version (None: deleted)
    counts = {"writes": 0, "searches": 0, "index runs": 0}
    lock = threading.Lock()

    def writer(k: int, base: str) -> None:
        rng, session = random.Random(k), requests.Session()
        mine: dict[str, int | None] = {}
        for n in range(MAX_REQUESTS):
            if stop.is_set():
                break
            live = [i for i, v in mine.items() if v is not None]
            if live and rng.random() < 0.1:
                victim = rng.choice(live)
                r = session.delete(f"{base}/api/articles/{victim}", headers=auth(), timeout=60)
                ok, version, article_id = r.status_code == 204, None, victim
            else:
                article_id = rng.choice(live) if live and rng.random() < 0.3 else f"w{k}-{n}"
                version = n
                body = {"title": f"writer {k} version {n}", "body": f"load test words {k} {n}"}
                r = put(base, article_id, body, session=session)
                ok = r.status_code in (200, 201)
            if r.status_code >= 500 or not ok:
                errors.append(f"write {r.status_code}: {r.text[:200]}")
                continue
            mine[article_id] = version
        with lock:
            state.update(mine)
            counts["writes"] += n

    def searcher(k: int, base: str) -> None:
        rng, session = random.Random(100 + k), requests.Session()
        n = 0
        for n in range(MAX_REQUESTS):  # noqa: B007 (counted after the loop)
            if stop.is_set():
                break
            q = rng.choice(["harbour", "cargo", "writer version", "load test", "weather quay"])
            r = session.get(f"{base}/api/search", params={"q": q}, timeout=60)
            if r.status_code != 200:
                errors.append(f"search {r.status_code}: {r.text[:200]}")
        with lock:
            counts["searches"] += n

    with serve(index_dir, log, ENV) as (base, _):
        threads = [threading.Thread(target=writer, args=(k, base)) for k in range(4)]
        threads += [threading.Thread(target=searcher, args=(k, base)) for k in range(8)]
        for t in threads:
            t.start()
        try:
            time.sleep(SECONDS / 4)
            index(corpus, index_dir)
            write_corpus(corpus, "extra.jsonl", "e", 50)
            time.sleep(SECONDS / 4)
            index(corpus, index_dir)
            counts["index runs"] = 2
            time.sleep(max(0.0, SECONDS / 2))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        live = {i: v for i, v in state.items() if v is not None}
        expected = 250 + len(live)
        deadline = time.monotonic() + 30
        while True:
            docs = requests.get(f"{base}/api/stats", timeout=60).json()["documents"]
            if docs == expected or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        print(
            f"\n{counts['writes']} writes, {counts['searches']} searches, "
            f"{counts['index runs']} index runs in {SECONDS:.0f} s; {len(live)} API articles "
            f"live, {len(state) - len(live)} deleted; {docs} documents (expected {expected})"
        )
        assert not errors, errors[:5]
        assert docs == expected  # nothing lost, nothing doubled
        session = requests.Session()
        for article_id, version in state.items():
            r = session.get(f"{base}/api/articles/{article_id}", timeout=60)
            if version is None:
                assert r.status_code == 404, article_id
            else:
                assert r.status_code == 200 and r.json()["title"].endswith(f"version {version}")
