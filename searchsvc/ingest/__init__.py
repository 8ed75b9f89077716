"""Article readers: dispatch a file by extension to the text, HTML, JSON Lines or SGML reader."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.ingest.decode import decode_bytes
from searchsvc.ingest.fields import BadFile, build_article, folder_tags
from searchsvc.ingest.files import OUTSIDE_LINK, discover, is_outside, rel_path
from searchsvc.ingest.html import extract_html, gunzip_capped
from searchsvc.ingest.hygiene import content_reason, doc_file_reason
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


def _read_html(data: bytes, rel: str) -> ReadResult:
    title, body, meta = extract_html(data)
    if not body.strip():
        raise BadFile("no article text found in the HTML")
    art = build_article(id=make_id(rel), rel=rel, title=title, body=body, tags=folder_tags(rel),
                        **meta)  # fmt: skip
    return ReadResult([art])


def _read_text(data: bytes, rel: str) -> ReadResult:
    text = decode_bytes(data)
    reason = content_reason(text)
    if reason:
        raise BadFile(reason)
    fields = parse_text(text)
    if fields is None or not (fields["title"] or fields["body"]):
        raise BadFile("empty file (no text)")
    return ReadResult([build_article(id=make_id(rel), rel=rel, tags=folder_tags(rel), **fields)])


def _pairs(rel: str, pair: tuple[list[Article], list[tuple[str, str]]], what: str) -> ReadResult:
    articles, skips = pair
    result = ReadResult(articles, [Skipped(p, r) for p, r in skips])
    if not articles and not skips:
        result.skipped.append(Skipped(rel, f"no {what} found"))
    return result


def read_file(
    path: Path, root: Path, *, max_bytes: int = MAX_BYTES, follow_external_links: bool = False
) -> ReadResult:
    """Read one corpus file into articles; bad content gives Skipped entries, never an exception."""
    path = Path(path)
    rel = rel_path(path, root)
    reason = doc_file_reason(path)
    suffix = suffix_of(path)
    if not reason and not suffix:
        reason = f"unsupported file type {''.join(path.suffixes[-2:]) or '(none)'}"
    if not reason and not follow_external_links and is_outside(path, root):
        reason = OUTSIDE_LINK
    if reason:
        return ReadResult([], [Skipped(rel, reason)])
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise BadFile("not a regular file (a FIFO, device or socket)")
        size = st.st_size
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
