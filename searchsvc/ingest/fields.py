"""Shared helpers for the readers: decoding, dates, titles, tags, Article building."""

from __future__ import annotations

import codecs
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
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SENTENCE = re.compile(r"(?<=[a-z0-9%)\"'”’][.!?])[\"'”’]?\s+(?=[A-Z\"'“‘(])")
TITLE_MAX = 90


class BadFile(Exception):
    """A whole file cannot be read; the message is the Skipped reason."""


def bom_charset(data: bytes) -> str | None:
    """Return the encoding named by a byte-order mark at the start of data, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    """Return data without its byte-order mark, and the encoding the mark names (or None)."""
    name = bom_charset(data)
    if name is None:
        return data, None
    bom = next(b for b, n in _BOMS if n == name)
    return data[len(bom) :], name


def detect_charset(data: bytes) -> str | None:
    """Guess a legacy charset with charset-normalizer, preferring cp1252 when it fits as well."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:200_000]))
    if not matches:
        return None
    best = min(matches, key=lambda m: m.chaos)
    # Mostly-ASCII Western text with a stray byte (a Latin-1 pound sign) often ranks an Asian
    # code page first at zero chaos; cp1252 is the better guess when it is nearly as clean.
    for m in matches:
        if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.1:
            return "cp1252"
    return best.encoding


def decode_text(data: bytes) -> str:
    """Decode text: BOM, UTF-8, charset-normalizer, cp1252/latin-1; BadFile when binary."""
    body, bom = strip_bom(data)
    if bom:
        return body.decode(bom, "replace")
    if b"\x00" in data[:8192]:
        raise BadFile("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    name = detect_charset(data)
    if name:
        try:
            text = data.decode(name)
            if not _looks_binary(text):
                return text
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if _looks_binary(text):
        raise BadFile("binary or undecodable file")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    return bool(sample) and len(_CONTROL.findall(sample)) > len(sample) * 0.05


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
