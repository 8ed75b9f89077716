"""The Article record that every reader yields and both backends index, with stable ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

_DASHES = re.compile(r"-{2,}")
_DOTS = re.compile(r"\.{2,}")
ID_PUNCT = "._-"
ID_MAX = 200  # longer ids end in a hash of the whole name (the web layer takes up to 300)
_SUFFIXES = (".html.gz", ".htm.gz", ".html", ".htm", ".txt", ".jsonl", ".sgm", ".gz")


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the readers produce it and the index stores it."""

    id: str
    title: str
    body: str
    published: date | None = None
    author: str = ""
    source: str = ""
    url: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    summary: str = ""  # the standfirst (dek): shown under the title, not part of the body
    path: str = ""
    content_hash: str = ""

    def to_json(self) -> dict:
        """Return the JSON shape used by `searchsvc extract --json`."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "author": self.author,
            "source": self.source,
            "url": self.url,
            "tags": list(self.tags),
            "summary": self.summary,
            "body": self.body,
        }


def id_char(c: str) -> bool:
    """True for a character an id keeps: a letter, digit or mark of any script, or . _ -."""
    return c in ID_PUNCT or c.isalnum() or unicodedata.category(c)[0] == "M"


def _id_text(text: str) -> str:
    """NFC-normalise text and replace every run of other characters by one "-"."""
    if text.isascii() and text.isalnum():  # a story number, say: every character is kept
        return text
    text = unicodedata.normalize("NFC", text)
    text = "".join(c if id_char(c) else "-" for c in text)
    return _DOTS.sub(".", _DASHES.sub("-", text)).strip(ID_PUNCT)


def usable_id(raw: str) -> str:
    """Return an id a file gave when a URL path can hold it (no slash, backslash, ".." or
    control character; at most ID_MAX characters), else its letters and digits with a digest
    of the whole, so two different ids stay different (a feed's guid is often an address)."""
    ok = len(raw) <= ID_MAX and raw.isprintable() and ".." not in raw
    if ok and "/" not in raw and "\\" not in raw:
        return raw
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return f"{_id_text(raw)[: ID_MAX - 13].rstrip(ID_PUNCT) or 'id'}-{digest}"


def make_id(rel_path: str, part: str | int | None = None) -> str:
    """Return a stable, URL-safe article id from a corpus-relative path (and a part key).

    Folders are joined by "--"; letters and digits of every script are kept (`日本.txt` ->
    `日本`, `café news.txt` -> `café-news`), anything else becomes "-".
    """
    base = _path_id(rel_path)
    return base if part is None else f"{base}-{_id_text(str(part)) or 'x'}"


@lru_cache(maxsize=1024)
def _path_id(rel_path: str) -> str:
    """The id part of a path (cached: a file's thousand articles share it)."""
    base = rel_path.replace("\\", "/")
    for ext in _SUFFIXES:
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    base = "--".join(p for p in (_id_text(seg) for seg in base.split("/")) if p) or "doc"
    if len(base) > ID_MAX:
        digest = hashlib.blake2b(rel_path.encode("utf-8", "surrogatepass"), digest_size=6)
        base = f"{base[: ID_MAX - 13].rstrip(ID_PUNCT)}-{digest.hexdigest()}"
    return base


def content_hash(*parts: str) -> str:
    """Return a short hash of the exact text of an article (changes when anything changes)."""
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
