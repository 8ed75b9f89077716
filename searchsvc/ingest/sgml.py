"""Reuters-21578 SGML reader: a fast regex splitter (no HTML parser; lxml drops <BODY>)."""

from __future__ import annotations

import html
import re
from datetime import date

from searchsvc.ingest.fields import build_article, folder_tags, parse_date
from searchsvc.model import Article, make_id

_NEWID = re.compile(r'\bNEWID="(\d+)"')
_DATE = re.compile(r"<DATE>(.*?)</DATE>", re.S)
_FAST_DATE = re.compile(r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TAG = re.compile(r"<[A-Z]+\b[^>]*>.*?</[A-Z]+>|<[^>]*>", re.S)
_CONTROL_REF = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);")
_AUTHOR_NOISE = re.compile(r"^\s*by\s+|,?\s*reuters?[a-z]?\W*$", re.I)
_STARS = re.compile(r"^\s*\*+", re.M)
_WS = re.compile(r"[ \t]+")


def _field(doc: str, tag: str) -> str | None:
    start = doc.find(f"<{tag}>")
    if start < 0:
        return None
    start += len(tag) + 2
    end = doc.find(f"</{tag}>", start)
    return doc[start:] if end < 0 else doc[start:end]


def _clean(text: str) -> str:
    """Drop control-character references, then unescape &lt; &amp; and friends."""
    if "&" not in text:
        return text.replace("\x7f", "")
    return html.unescape(_CONTROL_REF.sub("", text)).replace("\x7f", "")


def _paragraphs(text: str) -> str:
    """Join wrapped lines; a line indented by spaces starts a new paragraph."""
    text = text.rstrip()
    if text[-6:].lower() == "reuter":
        text = text[:-6].rstrip()
    paras: list[list[str]] = []
    for line in text.split("\n"):
        if not paras or line[:1] in (" ", "\t"):
            paras.append([])
        if line.strip():
            paras[-1].append(line)
    return "\n\n".join(" ".join(" ".join(p).split()) for p in paras if p)


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    m = _FAST_DATE.match(raw)
    if m and m.group(2).upper() in _MONTHS:
        try:
            return date(int(m.group(3)), _MONTHS[m.group(2).upper()], int(m.group(1)))
        except ValueError:
            pass
    return parse_date(raw.strip().split(" ")[0])


def _author(raw: str | None) -> str:
    if not raw:
        return ""
    name = _AUTHOR_NOISE.sub("", _AUTHOR_NOISE.sub("", _clean(raw).strip())).strip(" ,")
    return name.title() if name.isupper() else name


def _story(attrs: str, doc: str, rel: str, base_tags: tuple[str, ...]) -> Article:
    m = _NEWID.search(attrs)
    part = m.group(1) if m else None
    start = doc.find("<TEXT")
    text = ""
    if start >= 0:
        start = doc.find(">", start) + 1
        end = doc.find("</TEXT>", start)
        text = doc[start:] if end < 0 else doc[start:end]
    title = _clean(_field(text, "TITLE") or "").strip()
    body_raw = _field(text, "BODY")
    if body_raw is None:
        # BRIEF and UNPROC stories: whatever text there is, without the inner tags.
        body_raw = _STARS.sub("", _TAG.sub("", text))
    body_raw = _clean(body_raw)
    if not title:
        # No <TITLE>: the first line of the text is the headline (a slug or a table caption).
        lines = body_raw.strip().split("\n", 1)
        title = " ".join(lines[0].split())
        body_raw = lines[1] if len(lines) > 1 else ""
    body = _paragraphs(body_raw)
    if not title and not body:
        # One story (NEWID 12793) is an empty UNPROC wire: keep it so every story is counted.
        title = f"Reuters story {part} (no text)"
    tags = (
        *base_tags,
        *(_clean(t).strip() for t in _D.findall(_field(doc, "TOPICS") or "")),
        *(_clean(t).strip() for t in _D.findall(_field(doc, "PLACES") or "")),
    )
    return build_article(
        id=make_id(rel, part if part is not None else "x"),
        rel=rel,
        title=_WS.sub(" ", title.replace("\n", " ")),
        body=body,
        published=_date(_field(doc, "DATE")),
        author=_author(_field(text, "AUTHOR")),
        source="Reuters",
        tags=tags,
    )


def read_sgml(text: str, rel: str) -> tuple[list[Article], list[tuple[str, str]]]:
    """Split an SGML file into Reuters stories; return articles and (path, reason) skips."""
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    base = folder_tags(rel)
    pos = text.find("<REUTERS")
    while pos >= 0:
        head_end = text.find(">", pos)
        end = text.find("</REUTERS>", head_end)
        if head_end < 0:
            break
        nxt = text.find("<REUTERS", head_end)
        if end < 0 or 0 <= nxt < end:
            end = nxt if nxt >= 0 else len(text)  # unterminated story: read up to the next one
        articles.append(_story(text[pos + 8 : head_end], text[head_end + 1 : end], rel, base))
        pos = nxt
    return articles, skipped
