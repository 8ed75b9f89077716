"""Helpers for the live-write tests: a real `searchsvc serve` with keys, in its own session."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from servers import REPO, free_port

CLI = str(Path(sys.executable).with_name("searchsvc"))
KEYS = ("key-alpha-7f3a9c", "key-beta-51d2e8")


def write_corpus(corpus: Path, name: str, prefix: str, n: int, word: str = "harbour") -> None:
    """Write n articles `<prefix>-<i>` as a JSON Lines file in the corpus."""
    corpus.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": f"{prefix}-{i}",
            "title": f"{prefix} {word} story {i}",
            "body": f"The {word} report number {i}: ships, cargo and weather at the quay.",
            "published": f"2026-01-{i % 28 + 1:02d}",
            "source": "Gazette",
        }
        for i in range(n)
    ]
    (corpus / name).write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def index(corpus: Path, index_dir: Path, *extra: str) -> str:
    """Run the real `searchsvc index`; return its summary line."""
    cmd = [CLI, "index", "--corpus", str(corpus), "--index", str(index_dir), "--wait", "60"]
    out = subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@contextlib.contextmanager
def serve(index_dir: Path, log: Path, env: dict, workers: int = 2) -> Iterator[tuple[str, int]]:
    """Run `searchsvc serve` (own session: killpg reaches the applier too); yield (url, pid)."""
    port = free_port()
    cmd = [CLI, "serve", "--index", str(index_dir), "--port", str(port)]
    cmd += ["--workers", str(workers)]
    full_env = {**os.environ, **env}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=full_env,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_all(proc.pid)
                proc.wait()
        kill_all(proc.pid)  # whatever of its session is left (nothing, normally)


def kill_all(pid: int) -> None:
    """SIGKILL every process of the server's session (master, workers, applier)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def auth(key: str = KEYS[0]) -> dict:
    """Return the Authorization header of a key."""
    return {"Authorization": f"Bearer {key}"}


def put(base: str, article_id: str, article: dict, key: str = KEYS[0], session=None, **kw):
    """PUT one article as JSON."""
    headers = {**auth(key), "Content-Type": "application/json", **kw.pop("headers", {})}
    return (session or requests).put(
        f"{base}/api/articles/{article_id}", data=json.dumps(article), headers=headers, timeout=30,
        **kw,
    )  # fmt: skip


def found(base: str, word: str, article_id: str) -> bool:
    """Return True when a search for word finds the article (any worker may answer)."""
    r = requests.get(
        f"{base}/api/search", params={"q": word, "per_page": 5, "autocorrect": "false"}, timeout=30
    )
    assert r.status_code == 200, r.text
    return article_id in [h["id"] for h in r.json()["hits"]]


def wait_found(base: str, word: str, article_id: str, limit: float = 10.0) -> float:
    """Return seconds until a search finds the article (fails past `limit`)."""
    start = time.monotonic()
    while not found(base, word, article_id):
        assert time.monotonic() - start < limit, f"{article_id} not searchable after {limit} s"
        time.sleep(0.01)
    return time.monotonic() - start


def word_of(i: int) -> str:
    """Return a made-up word unique to i (letters only, so the analyzer keeps it whole)."""
    letters = ""
    n = i
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n //= 26
        if not n:
            break
    return f"zyg{letters}quot"
