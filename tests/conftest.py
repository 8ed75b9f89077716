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

    from searchsvc.engine.indexer import index_corpus

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


@pytest.fixture(scope="session")
def live_server(web_index, tmp_path_factory):
    """Start the real `searchsvc serve` (gunicorn, 2 workers) on a free port; yield its URL."""
    from servers import serve

    with serve(web_index, tmp_path_factory.getbasetemp() / "live_server.log") as base:
        yield base
