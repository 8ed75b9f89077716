"""Article ids: Unicode names keep their letters, and colliding names are reported, not lost."""

from __future__ import annotations

import pytest

from searchsvc.engine.indexer import index_corpus
from searchsvc.ingest import read_file
from searchsvc.model import id_char, make_id


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("日本.txt", "日本"),
        ("中国.txt", "中国"),
        ("Россия.txt", "Россия"),
        ("café news.txt", "café-news"),
        ("cafe\u0301 news.txt", "café-news"),  # NFD input: NFC-normalised first
        ("हिन्दी.txt", "हिन्दी"),  # combining vowel signs are kept
        ("news/world/a.txt", "news--world--a"),
        ("a--b.txt", "a-b"),  # "--" is reserved for folder boundaries
        ("Ελλάδα/Αθήνα 2024.html.gz", "Ελλάδα--Αθήνα-2024"),
        ("_draft..v2.txt", "draft.v2"),  # starts with a letter, no ".."
        ("!!!.txt", "doc"),
        ("reut2-000.sgm", "reut2-000"),
    ],
)
def test_make_id(rel, expected):
    assert make_id(rel) == expected
    assert all(id_char(c) for c in expected)


def test_make_id_parts_and_long_names():
    assert make_id("reut2-000.sgm", 17) == "reut2-000-17"
    assert make_id("feeds/f.jsonl", "line 3") == "feeds--f-line-3"
    long_a, long_b = "x" * 300 + "a.txt", "x" * 300 + "b.txt"
    assert len(make_id(long_a)) == 200
    assert make_id(long_a) != make_id(long_b)


def test_unicode_file_names_get_different_ids(tmp_path):
    names = ["日本.txt", "中国.txt", "Россия.txt", "café news.txt"]
    for name in names:
        (tmp_path / name).write_text("Headline\n\nA story about the place.\n", "utf-8")
    ids = [read_file(tmp_path / n, tmp_path).articles[0].id for n in names]
    assert ids == ["日本", "中国", "Россия", "café-news"]


def test_colliding_names_are_reported_naming_both_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a b.txt").write_text("First\n\nThe first story.\n", "utf-8")
    (corpus / "a-b.txt").write_text("Second\n\nThe second story.\n", "utf-8")
    summary = index_corpus(corpus, tmp_path / "index", rebuild=True, procs=1)
    assert summary.documents == 1
    assert summary.skipped == [
        {"path": "a-b.txt", "reason": "duplicate article id a-b (already indexed from a b.txt)"}
    ]
