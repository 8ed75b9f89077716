"""The Article record that every reader yields and both backends index, with stable ids."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


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


def make_id(rel_path: str, part: str | int | None = None) -> str:
    """Return a stable, URL-safe article id from a corpus-relative path (and a part key)."""
    base = rel_path.replace("\\", "/")
    for ext in (".html.gz", ".htm.gz", ".html", ".htm", ".txt", ".jsonl", ".sgm", ".gz"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    base = _ID_SAFE.sub("-", base.replace("/", "--")).strip("-") or "doc"
    return base if part is None else f"{base}-{_ID_SAFE.sub('-', str(part))}"


def content_hash(*parts: str) -> str:
    """Return a short hash of the exact text of an article (changes when anything changes)."""
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
