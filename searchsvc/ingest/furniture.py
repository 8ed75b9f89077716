"""Page furniture in extracted blocks: labels, headline, standfirst, bylines, datelines, credits.

Cues are structural: a block's place before the first body paragraph, <time>, rel=author /
itemprop=author, class names (byline, credit, caption, kicker, standfirst...), and equality with
the page's headline or description. Nothing here names a site.
"""

from __future__ import annotations

import re

from searchsvc.ingest.extract import Block

LINK_ONLY_MAX = 150
SHORT_LINE = 160
ZONE_MAX = 10  # the header zone ends within this many blocks
BODY_MIN = 80  # a block this long that ends a sentence starts the body
_BOILER_LINE = re.compile(
    r"^(advertisement|ad|story continues below( advertisement)?|continue reading.*|"
    r"you may also like.*|read more.*|related:?.*|sign up.*|subscribe.*|click here.*|share this.*|"
    r"supported by|skip advertisement|image|photo|comments?|advert|more:?|trending( news)?)$",
    re.I,
)
# Short lines that are page furniture: datelines, bylines, credits, tag lists, follow-us.
_BOILER_SHORT = re.compile(
    r"^((last )?updated|posted|published)( on| at)?\b[: ]|^by [A-Z][\w.'-]+( [\w.'-]+){0,5}"
    r"(, [\w ]+)?$|^(image|photo|picture) (copyright|by|credit)|/getty images$|^getty images$"
    r"|^(filed under|tags?|categories|topics):|^follow (us|[\w ]{1,40}) on ",
    re.I,
)
_BYLINE = re.compile(r"byline|author|writer|contributor|reporter", re.I)
_DATELINE = re.compile(r"date|time|stamp|publish|updated", re.I)
_CREDIT = re.compile(r"credit|caption|copyright|photo-?by|image-?source|getty|shutterstock", re.I)
_DEK = re.compile(
    r"standfirst|\bdek\b|\bdeck\b|dek[A-Z_-]|summary|sub-?title|subhead|strapline|\blede\b"
    r"|description|excerpt|intro\b",
    re.I,
)
_BY = re.compile(r"^(by|von|par|por|di|door)\s+\S", re.I)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"\b(\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(st|nd|rd|th)?,?\s+"
    r"\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\b",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?…:\"'”’)]$")


def fold(text: str) -> str:
    """Return text folded for comparison: case, spaces and edge punctuation."""
    return " ".join(text.casefold().split()).strip(" .:;,!?\"'“”‘’")


def is_boilerplate(block: Block) -> bool:
    """True for ads, share/follow lines, short link-only lines and short bylines or credits."""
    text = block.text
    if _BOILER_LINE.match(text):
        return True
    link_only = (
        len(text) < LINK_ONLY_MAX
        and block.linked >= 0.9
        and not text.startswith(("http:", "https:", "www."))  # a bare URL is content
    )
    return link_only or (len(text) < SHORT_LINE and bool(_BOILER_SHORT.search(text)))


def is_byline(block: Block) -> bool:
    """True for an author line: rel=author/itemprop=author, a byline class or "By Name"."""
    if len(block.text) > SHORT_LINE:
        return False
    return block.author_link or bool(_BYLINE.search(block.attrs)) or bool(_BY.match(block.text))


def is_dateline(block: Block) -> bool:
    """True for a short line that is a date (a <time>, a date class or a date and few words)."""
    if len(block.text) > 100:
        return False
    words = len(block.text.split())
    if block.timed and words <= 12:
        return True
    return bool(_DATE_LINE.search(block.text)) and (
        words <= 7 or bool(_DATELINE.search(block.attrs))
    )


def is_credit(block: Block) -> bool:
    """True for a short image credit or caption line."""
    return len(block.text) < 200 and bool(_CREDIT.search(block.attrs))


def _is_body(block: Block) -> bool:
    return len(block.text) >= BODY_MIN and bool(_SENTENCE_END.search(block.text))


def trim(blocks: list[Block], headings: set[str], description: str) -> tuple[list[str], str]:
    """Return the body paragraphs without furniture, and the standfirst found at the top."""
    blocks = [b for b in blocks if not is_boilerplate(b) and not is_credit(b)]
    head = next((i for i, b in enumerate(blocks[:ZONE_MAX]) if fold(b.text) in headings), -1)
    start = head + 1
    end = start
    while end < min(len(blocks), start + ZONE_MAX):
        b = blocks[end]
        furniture = is_byline(b) or is_dateline(b) or bool(_DEK.search(b.attrs))
        if _is_body(b) and not furniture and not _more_furniture(blocks, end + 1):
            break
        end += 1
    if end >= len(blocks) or end == start + ZONE_MAX:
        end = start  # no body paragraph found after a header: no header zone to trim
    summary = ""
    kept: list[str] = []
    for i, b in enumerate(blocks):
        if i < head and len(b.text) < BODY_MIN:
            continue  # a section label or breadcrumb above the headline
        if i == head:
            continue  # the headline is the title, not the first paragraph
        if start <= i < end:
            if is_byline(b) or is_dateline(b):
                continue
            dek = bool(_DEK.search(b.attrs)) or bool(description and fold(b.text) == description)
            # A sentence between the headline and the byline or date is a standfirst too.
            placed = head >= 0 and _SENTENCE_END.search(b.text) and _more_furniture(blocks, i + 1)
            if not summary and (dek or placed) and len(b.text) >= 20:
                summary = b.text
                continue
            if len(b.text) < 40 and not _SENTENCE_END.search(b.text):
                continue  # "5 min read", "Share", a label
        elif is_dateline(b) and len(b.text.split()) <= 7:
            continue
        kept.append(b.text)
    return kept, summary


def _more_furniture(blocks: list[Block], i: int, within: int = 2) -> bool:
    """True when a byline or dateline follows within two blocks (so we are still in the header)."""
    return any(is_byline(b) or is_dateline(b) for b in blocks[i : i + within])
