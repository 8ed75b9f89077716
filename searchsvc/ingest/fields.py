"""Shared helpers for the readers: paragraphs, dates, titles, tags, Article building."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from pathlib import PurePosixPath

from dateutil import parser as dateparser

from searchsvc.ingest.sources import domain_of
from searchsvc.model import Article, content_hash

_WS = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENTENCE = re.compile(r"(?<=[a-z0-9%)\"'”’][.!?])[\"'”’]?\s+(?=[A-Z\"'“‘(])")
TITLE_MAX = 90
WRAP_MAX = 100  # hard-wrapped text keeps its lines shorter than this
_LINE_END = re.compile(r"[.!?:][\"'”’)\]]?$")
_CLAUSE = re.compile(r"[,;:](?=\s)|\s[–—-]\s|\s\(")
# Words a cut title must not end on ("... flooding on…" reads as cut mid-phrase).
_DANGLING = frozenset((
    "a", "an", "the", "of", "on", "in", "at", "to", "for", "by", "with", "from", "into", "onto",
    "over", "under", "after", "before", "about", "as", "than", "and", "or", "but", "nor", "so",
    "that", "which", "who", "whom", "whose", "its", "his", "her", "their", "our", "your", "my",
    "this", "these", "those", "is", "are", "was", "were", "be", "been", "has", "have", "had",
    "will", "would", "can", "could", "says", "said",
))  # fmt: skip


class BadFile(Exception):
    """A whole file cannot be read; the message is the Skipped reason."""


def normalize_text(text: str) -> str:
    """Normalise line ends and spaces; keep paragraphs, separated by one blank line.

    Blank lines always end a paragraph. Inside a block, single newlines are hard wraps (joined)
    unless the block is written one paragraph a line: a line longer than any wrap width, or
    most lines ending a sentence.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paras: list[str] = []
    for block in _BLANKS.split(text):
        lines = [ln for ln in (_WS.sub(" ", ln).strip() for ln in block.split("\n")) if ln]
        if len(lines) > 1 and _one_paragraph_a_line(lines):
            paras.extend(lines)
        elif lines:
            paras.append(" ".join(lines))
    return "\n\n".join(paras)


def _one_paragraph_a_line(lines: list[str]) -> bool:
    """True when a block's lines are paragraphs rather than the wrapped lines of one."""
    head = lines[:-1]
    if any(len(ln) > WRAP_MAX for ln in head):
        return True
    return 2 * sum(1 for ln in head if _LINE_END.search(ln)) >= len(head)


def parse_date(value: str | None) -> date | None:
    """Parse a date in common English or ISO forms with dateutil; None when it is not a date."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 80 or not re.search(r"\d", value):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dt = dateparser.parse(value, fuzzy=False, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return None
    if dt.year < 1000 or (dt.year == 1900 and "1900" not in value):
        return None
    return dt.date()


def derive_title(body: str, limit: int = TITLE_MAX) -> str:
    """Derive a title from the first sentence: whole if short, else cut at a clause or word end."""
    first = body.strip().split("\n", 1)[0].strip()
    if not first:
        return ""
    sentence = _SENTENCE.split(first, maxsplit=1)[0].strip()
    if len(sentence) <= limit:
        return sentence
    window = sentence[: limit - 1]  # room for the ellipsis
    clauses = [m.start() for m in _CLAUSE.finditer(window) if m.start() >= limit * 0.45]
    if clauses:
        cut = window[: clauses[-1]]
    else:
        words = window[: window.rfind(" ")].split(" ") if " " in window else [window[:-1]]
        while len(words) > 4 and words[-1].lower().strip(",;:") in _DANGLING:
            words.pop()
        cut = " ".join(words)
    return cut.rstrip(" ,;:-–—(") + "…"


def folder_tags(rel: str) -> tuple[str, ...]:
    """Return the folders of a corpus-relative path (below the root) as tags."""
    return tuple(p for p in PurePosixPath(rel).parts[:-1] if p)


def merge_tags(*groups) -> tuple[str, ...]:
    """Merge tag groups, dropping blanks and duplicates and keeping order."""
    seen: dict[str, None] = {}
    for group in groups:
        for tag in group or ():
            tag = _WS.sub(" ", str(tag)).strip()
            if tag and tag not in seen:
                seen[tag] = None
    return tuple(seen)


def build_article(
    *,
    id: str,
    rel: str,
    title: str,
    body: str,
    published: date | None = None,
    author: str = "",
    source: str = "",
    url: str = "",
    tags: tuple[str, ...] = (),
    summary: str = "",
) -> Article:
    """Build an Article and its content hash; an empty source falls back to the URL's domain."""
    title = _WS.sub(" ", title.replace("\n", " ")).strip()
    summary = _WS.sub(" ", summary.replace("\n", " ")).strip()
    author = _WS.sub(" ", author).strip()
    source = _WS.sub(" ", source).strip() or domain_of(url)
    tags = merge_tags(tags)
    digest = content_hash(
        title,
        body,
        published.isoformat() if published else "",
        author,
        source,
        url,
        "\x1f".join(tags),
        summary,
    )
    return Article(
        id=id,
        title=title,
        body=body,
        published=published,
        author=author,
        source=source,
        url=url.strip(),
        tags=tags,
        summary=summary,
        path=rel,
        content_hash=digest,
    )
