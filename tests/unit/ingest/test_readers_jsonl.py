"""JSON Lines reader: fields, ids, tags, and bad lines skipped with their line number."""

from __future__ import annotations

import json
from datetime import date

from searchsvc.ingest import Skipped, read_file


def test_jsonl_lines_and_bad_lines(tmp_path):
    full = {
        "id": "a1",
        "title": "First",
        "body": "One.\n\nTwo.",
        "published": "2024-03-05",
        "author": "Ann",
        "source": "Wire",
        "url": "https://x.example/a",
        "tags": ["x", "y"],
        "extra": {"ignored": True},
    }
    lines = [
        json.dumps(full),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "", "body": ""}),
        "",
        json.dumps(
            {"body": "Only a body here. More.", "tags": "p, q", "url": "https://www.site.org/b"}
        ),
    ]
    path = tmp_path / "feeds" / "f.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = read_file(path, tmp_path)
    first, second = result.articles
    assert first.id == "a1"
    assert (first.title, first.body, first.published) == ("First", "One.\n\nTwo.", date(2024, 3, 5))
    assert (first.author, first.source, first.url) == ("Ann", "Wire", "https://x.example/a")
    assert first.tags == ("feeds", "x", "y")
    assert first.path == "feeds/f.jsonl"
    assert second.id == "feeds--f-6"
    assert (second.title, second.body) == ("Only a body here.", "Only a body here. More.")
    assert second.tags == ("feeds", "p", "q")
    assert second.source == "site.org"
    reasons = [(s.path, s.reason.split(" (")[0]) for s in result.skipped]
    assert reasons == [
        ("feeds/f.jsonl:2", "invalid JSON"),
        ("feeds/f.jsonl:3", "line is not a JSON object"),
        ("feeds/f.jsonl:4", "no title and no body"),
    ]


def test_jsonl_empty_and_all_blank(tmp_path):
    (tmp_path / "e.jsonl").write_text("\n\n", "utf-8")
    assert read_file(tmp_path / "e.jsonl", tmp_path).skipped == [
        Skipped("e.jsonl", "no JSON lines found")
    ]
