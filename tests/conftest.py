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

XSS_TITLE = '<script>window.__xss=1</script>Zanzibar <img src=x onerror="window.__xss=2">'
XSS_BODY = (
    "The zanzibar cloves report. <script>window.__xss=3</script> Prices of cloves rose "
    '<img src=x onerror="window.__xss=4"> and <a href="javascript:window.__xss=5">click</a>.\n\n'
    "Second paragraph about zanzibar cloves & spices <b>bold</b>."
)


def web_articles() -> list[dict]:
    """Return the tiny corpus of the web tests (oil spans two pages; one XSS article)."""
    arts = []
    for i in range(14):
        year = 2019 + i % 5
        arts.append(
            {
                "id": f"oil-{i:02d}",
                "title": f"Oil prices move {['higher', 'lower'][i % 2]} in week {i + 1}",
                "body": (
                    f"Crude oil prices moved in trading week {i + 1} as OPEC ministers met. "
                    f"Analysts said refinery demand and shipping costs of barrel {i} mattered.\n\n"
                    f"Brent and WTI oil futures closed the session {i} cents apart."
                ),
                "published": f"{year}-{1 + i % 12:02d}-{1 + i:02d}",
                "author": "Jane Reporter" if i % 3 == 0 else "",
                "source": "Reuters" if i % 2 == 0 else "Example Wire",
                "url": f"https://news.example.com/oil/{i}",
                "tags": ["energy", "markets"] if i % 2 == 0 else ["energy"],
            }
        )
    for i in range(3):  # near-duplicates: same body, different ids
        arts.append(
            {
                "id": f"coffee-dup-{i}",
                "title": "Coffee harvest in Brazil hit by frost",
                "body": "Brazilian coffee growers said frost damaged the arabica harvest "
                "in Minas Gerais, lifting coffee futures in New York.",
                "published": f"2021-07-{20 + i:02d}",
                "source": "BBC",
                "url": "https://bbc.example.org/coffee",
                "tags": ["agriculture"],
            }
        )
    arts += [
        {
            "id": "cocoa-1",
            "title": "Cocoa grinding figures rise in Europe",
            "body": "European cocoa grindings rose in the second quarter, the association said."
            "\n\nChocolate makers bought more beans.",
            "published": "2020-04-15",
            "author": "Sam Writer",
            "source": "BBC",
            "url": "javascript:alert(1)",
            "tags": ["agriculture"],
        },
        {
            "id": "xss-1",
            "title": XSS_TITLE,
            "body": XSS_BODY,
            "published": "2022-02-02",
            "author": "<b>Mallory</b>",
            "source": "Evil <Source>",
            "url": "javascript:window.__xss=6",
            "tags": ["spices"],
        },
        {
            "id": "nodate-1",
            "title": "Central bank keeps interest rates unchanged",
            "body": "The central bank held its benchmark interest rate, citing inflation.",
            "source": "Reuters",
            "url": "https://news.example.com/rates",
            "tags": ["economy"],
        },
    ]
    return arts


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
