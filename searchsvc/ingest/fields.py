"""Shared helpers for the readers: paragraphs, dates, titles, tags, Article building."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from dateutil import parser as dateparser

from searchsvc.model import Article, content_hash

_WS = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENTENCE = re.compile(r"(?<=[a-z0-9%)\"'”’][.!?])[\"'”’]?\s+(?=[A-Z\"'“‘(])")
TITLE_MAX = 90


class BadFile(Exception):
    """A whole file cannot be read; the message is the Skipped reason."""


def normalize_text(text: str) -> str:
    """Normalise line ends and spaces; keep paragraphs, separated by one blank line."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paras = []
    for block in _BLANKS.split(text):
        lines = [_WS.sub(" ", ln).strip() for ln in block.split("\n")]
        para = " ".join(ln for ln in lines if ln)
        if para:
            paras.append(para)
    return "\n\n".join(paras)


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
    """Derive a readable title: the first sentence, cut at a word boundary with an ellipsis."""
    first = body.strip().split("\n", 1)[0].strip()
    if not first:
        return ""
    parts = _SENTENCE.split(first, maxsplit=1)
    sentence = parts[0].strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def domain_of(url: str) -> str:
    """Return the host of a URL without a leading "www.", or ""."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


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
) -> Article:
    """Build an Article with its content hash over every indexed field."""
    title = _WS.sub(" ", title.replace("\n", " ")).strip()
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
        path=rel,
        content_hash=digest,
    )
