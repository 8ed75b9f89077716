"""Plain-text readers: the house "Published:" format, headline-first files and bare text."""

from __future__ import annotations

import re
from datetime import date

from searchsvc.ingest.fields import derive_title, normalize_text, parse_date

_PUBLISHED = re.compile(r"^\s*Published:\s*(.+?)\s*$", re.I)
_HEADLINE_MAX = 200
_ABBREV = re.compile(r"^(.*\b)?(Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|Rev|Gen|Col|Capt|[A-Z])$")


def _house_header(value: str) -> tuple[date, str, str] | None:
    """Split `date. author or desk. outlet`; the date may itself hold ". " (Jan. 24, 2026)."""
    segments = [s.strip() for s in value.rstrip(". ").split(". ")]
    for k in range(1, min(len(segments), 3) + 1):
        published = parse_date(". ".join(segments[:k]))
        if published is None:
            continue
        rest: list[str] = []
        for seg in (s.strip(" .") for s in segments[k:]):
            if seg and rest and _ABBREV.match(rest[-1]):
                rest[-1] = f"{rest[-1]}. {seg}"  # "Dr. Jane Doe", "J. Smith"
            elif seg:
                rest.append(seg)
        if len(rest) >= 2:
            return published, rest[0], ". ".join(rest[1:])
        return published, "", rest[0] if rest else ""
    return None


def parse_text(text: str) -> dict | None:
    """Parse a decoded .txt article into fields (title, body, published, author, source)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").strip("\n")
    if not text.strip():
        return None
    first, _, rest = text.lstrip().partition("\n")
    house = _PUBLISHED.match(first)
    header = _house_header(house.group(1)) if house else None
    if header is not None:
        body = normalize_text(rest)
        published, author, source = header
        fields = {"published": published, "author": author, "source": source}
        return {"title": derive_title(body), "body": body, **fields}
    headline = first.strip()
    blank_after = rest.startswith("\n") or not rest.strip()
    if blank_after and headline and len(headline) <= _HEADLINE_MAX and rest.strip():
        return {"title": headline, "body": normalize_text(rest)}
    body = normalize_text(text)
    return {"title": derive_title(body), "body": body}
