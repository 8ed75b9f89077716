"""The write API on the Typesense backend, against a real typesense-server (issue 17)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typesense_fixtures import ts_settings, write_corpus
from typesense_fixtures import typesense_node as typesense_node

from searchsvc.backends import index_with
from searchsvc.web import create_app

pytestmark = pytest.mark.slow  # a real Typesense server

KEY = "ts-write-key-93"


def _search(client, q: str) -> list[str]:
    r = client.get("/api/search", query_string={"q": q, "autocorrect": "false"})
    assert r.status_code == 200, r.json
    return [h["id"] for h in r.json["hits"]]


def test_writes_go_to_the_live_collection_and_rebuilds_keep_them(typesense_node, tmp_path):
    articles = [
        {"id": f"t-{i}", "title": f"Harbour story {i}", "body": f"Ships and cargo {i}."}
        for i in range(4)
    ]
    corpus = write_corpus(tmp_path / "corpus", articles)
    settings = ts_settings([typesense_node.url], tmp_path / "index", corpus_dir=corpus)
    settings = replace(settings, write_keys=KEY)
    index_with(settings, rebuild=True)
    client = create_app({"SETTINGS": settings, "TESTING": True}).test_client()
    auth = {"Authorization": f"Bearer {KEY}"}
    body = {"title": "Quokka sighting", "body": "A quokka was seen near the quay."}
    assert client.put("/api/articles/api-1", json=body).status_code == 401
    r = client.put("/api/articles/api-1", json=body, headers=auth)
    assert r.status_code == 201 and r.json == {"id": "api-1", "result": "created"}
    assert _search(client, "quokka") == ["api-1"]  # searchable on acknowledgement
    assert client.put("/api/articles/api-1", json=body, headers=auth).status_code == 200
    replaced = {"title": "Corpus article replaced", "body": "Now about a wallaby."}
    assert client.put("/api/articles/t-1", json=replaced, headers=auth).status_code == 200
    lines = [
        json.dumps({"id": "api-2", "title": "Platypus", "body": "A platypus swam by."}),
        "{bad",
    ]
    r = client.post(
        "/api/articles",
        data="\n".join(lines),
        headers={**auth, "Content-Type": "application/x-ndjson"},
    )
    assert (r.json["added"], r.json["failed"]) == (1, 1)
    assert client.delete("/api/articles/t-2", headers=auth).status_code == 204
    assert client.delete("/api/articles/nope", headers=auth).status_code == 404
    expected = {"quokka": ["api-1"], "platypus": ["api-2"], "wallaby": ["t-1"]}
    for rebuild in (False, True):
        index_with(settings, rebuild=rebuild)
        for word, ids in expected.items():
            assert _search(client, word) == ids, (rebuild, word)
        assert "t-2" not in _search(client, "harbour") and "t-1" not in _search(client, "harbour")
    stats = client.get("/api/stats").json
    assert stats["documents"] == 4 - 1 + 2  # t-2 deleted, api-1 and api-2 added
