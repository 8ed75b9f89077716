"""Plain-text reader: house format, headline-first, bare text, dates, charsets, bad files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from searchsvc.ingest import Skipped, discover, read_file
from searchsvc.ingest.fields import derive_title, parse_date
from searchsvc.model import content_hash

HOUSE = (
    "Published: 24 January 2026. The English Chronicle Desk. The English Chronicle Online\n"
    "Rain fell on the city for a third day. Rivers rose.\n\n"
    "Officials said the  flood\nbarriers held.\n\n\n\n\n"
)


def write(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def read_one(root: Path, rel: str, data: bytes | str):
    result = read_file(write(root, rel, data), root)
    assert result.skipped == []
    assert len(result.articles) == 1
    return result.articles[0]


def test_house_format(tmp_path):
    art = read_one(tmp_path, "news/world/a.txt", HOUSE)
    assert art.id == "news--world--a"
    assert art.title == "Rain fell on the city for a third day."
    assert (
        art.body == "Rain fell on the city for a third day. Rivers rose.\n\n"
        "Officials said the flood barriers held."
    )
    assert art.published == date(2026, 1, 24)
    assert art.author == "The English Chronicle Desk"
    assert art.source == "The English Chronicle Online"
    assert art.tags == ("news", "world")
    assert art.path == "news/world/a.txt"
    assert art.url == ""
    assert art.content_hash == content_hash(
        art.title, art.body, "2026-01-24", art.author, art.source, "", "news\x1fworld", ""
    )


@pytest.mark.parametrize(
    "header",
    ["January 24, 2026", "2026-01-24", "24 Jan 2026", "Jan. 24, 2026", "Saturday, 24 January 2026"],
)
def test_house_date_forms(tmp_path, header):
    text = f"Published: {header}. Jane Doe. Daily Planet\nBody text here.\n"
    art = read_one(tmp_path, "a.txt", text)
    assert (art.published, art.author, art.source) == (
        date(2026, 1, 24),
        "Jane Doe",
        "Daily Planet",
    )
    assert art.title == "Body text here."


def test_house_author_with_abbreviations(tmp_path):
    text = "Published: Jan. 24, 2026. Dr. J. Smith. The Chronicle Online\nBody.\n"
    art = read_one(tmp_path, "a.txt", text)
    assert (art.published, art.author, art.source) == (
        date(2026, 1, 24),
        "Dr. J. Smith",
        "The Chronicle Online",
    )
    art = read_one(tmp_path, "b.txt", "Published: 2026-01-24. Wire Service\nBody.\n")
    assert (art.author, art.source) == ("", "Wire Service")


def test_published_without_a_date_is_not_house(tmp_path):
    art = read_one(tmp_path, "a.txt", "Published: sometime soon\n\nThe body.\n")
    assert (art.title, art.body, art.published) == ("Published: sometime soon", "The body.", None)


def test_headline_first(tmp_path):
    art = read_one(
        tmp_path, "bbc/business/001.txt", "Ad sales boost profits\n\nFirst para.\n\nSecond.\n"
    )
    assert (art.title, art.body) == ("Ad sales boost profits", "First para.\n\nSecond.")
    assert art.tags == ("bbc", "business")
    assert art.published is None and art.source == ""
    # With the root one level down only the folder below it is a tag.
    assert read_file(tmp_path / "bbc/business/001.txt", tmp_path / "bbc").articles[0].tags == (
        "business",
    )


def test_bare_text_derives_title(tmp_path):
    long_line = "word " * 60
    art = read_one(tmp_path, "a.txt", f"{long_line}\n\nmore text\n")
    assert art.title == ("word " * 17).strip() + "…"
    assert len(art.title) <= 90
    art = read_one(tmp_path, "b.txt", "line one\nline two continues. Next sentence.\n")
    assert (art.title, art.body) == (
        "line one line two continues.",
        "line one line two continues. Next sentence.",
    )


def test_derive_title_and_dates():
    assert derive_title("Short one. Then more.") == "Short one."
    assert derive_title("U.S. stocks rose on Monday. Then more.") == "U.S. stocks rose on Monday."
    assert parse_date("24 January 2026") == date(2026, 1, 24)
    assert parse_date("2026-01-24T10:00:00Z") == date(2026, 1, 24)
    assert parse_date("not a date") is None
    assert parse_date("") is None


def test_charsets(tmp_path):
    art = read_one(tmp_path, "l1.txt", "Price\n\nIt cost \xa315.8m in total.\n".encode("latin-1"))
    assert art.body == "It cost £15.8m in total."
    art = read_one(tmp_path, "bom.txt", "\ufeffTitle é\n\nBody ü.\n".encode("utf-8"))
    assert (art.title, art.body) == ("Title é", "Body ü.")
    art = read_one(tmp_path, "u16.txt", "Title\n\nBody ü.\n".encode("utf-16"))
    assert (art.title, art.body) == ("Title", "Body ü.")


def test_bad_files(tmp_path):
    cases = {
        "empty.txt": (b"", "empty file"),
        "blank.txt": (b"\n\n  \n", "empty file (no text)"),
        "bin.txt": (b"\x00\x01\x02ELF\x00" * 10, "binary file (NUL bytes)"),
        "notes.docx": (b"PK\x03\x04", "unsupported file type .docx"),
        "big.txt": (b"x" * 101, "file too large (101 bytes, limit 100)"),
    }
    for rel, (data, reason) in cases.items():
        result = read_file(write(tmp_path, rel, data), tmp_path, max_bytes=100)
        assert result.articles == []
        assert result.skipped == [Skipped(rel, reason)]


def test_discover_sorted_and_hidden(tmp_path):
    for rel in ("b/2.txt", "a.txt", ".hidden.txt", ".git/x.txt", "b/.tmp/y.txt", "b/1.weird"):
        write(tmp_path, rel, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a.txt", "b/1.weird", "b/2.txt"]
