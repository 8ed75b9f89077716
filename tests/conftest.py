"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data sets folder: env SEARCHSVC_DATA or <repo>/../shared/data (else skip)."""
    path = Path(os.environ.get("SEARCHSVC_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is missing (set SEARCHSVC_DATA)")
    return path


# --- web app fixtures (searchsvc.web): a tiny real index, a Flask app, a real gunicorn server ---

from webdata import XSS_BODY, XSS_TITLE, web_articles  # noqa: E402, F401 (fixtures use them)


@pytest.fixture(scope="session")
def web_index(tmp_path_factory) -> Path:
    """Return an index directory built by the real indexer over the tiny web corpus."""
    import json

    from searchsvc.indexer import index_corpus

    root = tmp_path_factory.mktemp("webcorpus")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    lines = "\n".join(json.dumps(a, ensure_ascii=False) for a in web_articles())
    (corpus / "news.jsonl").write_text(lines + "\n", encoding="utf-8")
    index_corpus(corpus, index_dir, rebuild=True, procs=1)
    return index_dir


@pytest.fixture
def app(web_index):
    """Return the Flask app over the tiny real index."""
    from searchsvc.web import create_app

    return create_app({"INDEX_DIR": web_index, "TESTING": True})


@pytest.fixture
def client(app):
    """Return a Flask test client."""
    return app.test_client()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(web_index, tmp_path_factory):
    """Start the real gunicorn server (2 workers) on a free port; yield its base URL."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log = tmp_path_factory.getbasetemp() / "live_server.log"  # read by test_web
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "searchsvc.web.server",
                "--index",
                str(web_index),
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
