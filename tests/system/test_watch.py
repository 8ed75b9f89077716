"""`searchsvc watch` as a user runs it: files added, changed and removed show within 2 s."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
from livehelp import CLI, write_corpus
from servers import REPO

from searchsvc.engine.store import Store

pytestmark = pytest.mark.slow  # a real `searchsvc watch` process


def titles(index_dir) -> dict[str, str]:
    store = Store(index_dir)
    try:
        return {f["id"]: f["title"] for f in store.searcher().all_stored_fields()}
    except Exception:
        return {}
    finally:
        store.close()


def wait_until(check, limit: float = 10.0) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, "not reflected in time"
        time.sleep(0.02)
    return time.monotonic() - start


def test_watch_reflects_added_changed_and_removed_files_and_stops_on_ctrl_c(tmp_path):
    corpus, index_dir, log = tmp_path / "corpus", tmp_path / "index", tmp_path / "watch.log"
    write_corpus(corpus, "base.jsonl", "c", 5)
    cmd = [CLI, "watch", "--corpus", str(corpus), "--index", str(index_dir)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_until(lambda: "watching" in log.read_text(), limit=60)
        assert set(titles(index_dir)) == {f"c-{i}" for i in range(5)}
        figures = {}
        write_corpus(corpus, "new.jsonl", "n", 3)
        figures["added"] = wait_until(lambda: "n-2" in titles(index_dir))
        row = {"id": "n-1", "title": "n changed story", "body": "Changed words."}
        (corpus / "new.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
        figures["changed"] = wait_until(
            lambda: (
                titles(index_dir).get("n-1") == "n changed story" and "n-2" not in titles(index_dir)
            )
        )
        (corpus / "new.jsonl").unlink()
        figures["removed"] = wait_until(lambda: "n-1" not in titles(index_dir))
        print("\nwatch: " + ", ".join(f"{k} in {v * 1000:.0f} ms" for k, v in figures.items()))
        assert all(v < 2.0 for v in figures.values()), figures
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "stopped" in log.read_text() and "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
