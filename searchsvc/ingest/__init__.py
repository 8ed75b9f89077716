"""Article readers: dispatch a file by extension to the text, HTML, JSON Lines or SGML reader."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.ingest.decode import decode_bytes
from searchsvc.ingest.fields import BadFile, build_article, folder_tags
from searchsvc.ingest.html import extract_html, gunzip_capped
from searchsvc.ingest.jsonl import read_jsonl
from searchsvc.ingest.sgml import read_sgml
from searchsvc.ingest.text import parse_text
from searchsvc.model import Article, make_id

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ReadResult",
    "Skipped",
    "discover",
    "extract_html",
    "read_file",
]

MAX_BYTES = 20 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".jsonl", ".sgm")
# Files that travel with data sets but are not articles (bbc/README.TXT, a SOURCE.txt, ...).
NOT_ARTICLES = ("readme", "source", "license", "licence", "copying", "changelog", "notice")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or a line/story of one) that gave no article, with a readable reason."""

    path: str
    reason: str


@dataclass(slots=True)
class ReadResult:
    """What one file gave: its articles and whatever had to be skipped."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def suffix_of(path: Path) -> str:
    """Return the supported suffix of a file name (case-insensitive), or ""."""
    name = path.name.lower()
    return next(
        (s for s in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True) if name.endswith(s)), ""
    )


def discover(root: Path) -> Iterator[Path]:
    """Yield every regular, non-hidden file below root in sorted order (hidden dirs skipped)."""
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_file():
                yield path


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.name


def _read_html(data: bytes, rel: str) -> ReadResult:
    title, body, meta = extract_html(data)
    if not body.strip():
        raise BadFile("no article text found in the HTML")
    art = build_article(id=make_id(rel), rel=rel, title=title, body=body, tags=folder_tags(rel),
                        **meta)  # fmt: skip
    return ReadResult([art])


def _read_text(data: bytes, rel: str) -> ReadResult:
    fields = parse_text(decode_bytes(data))
    if fields is None or not (fields["title"] or fields["body"]):
        raise BadFile("empty file (no text)")
    return ReadResult([build_article(id=make_id(rel), rel=rel, tags=folder_tags(rel), **fields)])


def _pairs(rel: str, pair: tuple[list[Article], list[tuple[str, str]]], what: str) -> ReadResult:
    articles, skips = pair
    result = ReadResult(articles, [Skipped(p, r) for p, r in skips])
    if not articles and not skips:
        result.skipped.append(Skipped(rel, f"no {what} found"))
    return result


def read_file(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """Read one corpus file into articles; bad content gives Skipped entries, never an exception."""
    path = Path(path)
    rel = _rel(path, root)
    suffix = suffix_of(path)
    if not suffix:
        ext = "".join(path.suffixes[-2:]) or "(none)"
        return ReadResult([], [Skipped(rel, f"unsupported file type {ext}")])
    if path.name.lower().split(".")[0] in NOT_ARTICLES:
        return ReadResult([], [Skipped(rel, "a data set's documentation file, not an article")])
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadFile(f"file too large ({size} bytes, limit {max_bytes})")
        if size == 0:
            raise BadFile("empty file")
        data = path.read_bytes()[: max_bytes + 1]
        if len(data) > max_bytes:
            raise BadFile(f"file too large (over the limit of {max_bytes} bytes)")
        if suffix.endswith(".gz"):
            data = gunzip_capped(data, max_bytes)
            if not data.strip():
                raise BadFile("empty file (after decompression)")
        if suffix in (".html", ".htm", ".html.gz", ".htm.gz"):
            return _read_html(data, rel)
        if suffix == ".txt":
            return _read_text(data, rel)
        if suffix == ".jsonl":
            return _pairs(rel, read_jsonl(decode_bytes(data), rel), "JSON lines")
        return _pairs(rel, read_sgml(decode_bytes(data), rel), "<REUTERS> stories")
    except BadFile as exc:
        return ReadResult([], [Skipped(rel, str(exc))])
    except OSError as exc:
        return ReadResult([], [Skipped(rel, f"cannot read file ({exc.strerror or exc})")])
    except (RecursionError, MemoryError, ValueError, UnicodeError) as exc:
        return ReadResult([], [Skipped(rel, f"unreadable content ({type(exc).__name__})")])
    except Exception as exc:  # a parser bug on hostile input must not stop a whole index run
        return ReadResult([], [Skipped(rel, f"unexpected error ({type(exc).__name__}: {exc})")])
