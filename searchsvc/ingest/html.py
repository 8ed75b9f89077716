"""HTML article reader: safe gunzip, then metadata and main text from a BeautifulSoup tree."""

from __future__ import annotations

import re
import zlib

from bs4 import NavigableString, Tag

from searchsvc.ingest.clean import clean_tree, divs_to_paragraphs, measure, parse, tags_below
from searchsvc.ingest.decode import decode_bytes
from searchsvc.ingest.extract import (
    Block,
    Knobs,
    blocks_of,
    conditional_clean,
    keep_sibling,
    pick,
    score,
)
from searchsvc.ingest.fields import BadFile, derive_title
from searchsvc.ingest.furniture import fold, trim
from searchsvc.ingest.htmlmeta import read_meta

_XML_DECL = re.compile(r"^\s*<\?xml[^>]{0,200}\?>", re.I)
# A start tag this long carries thousands of attributes; the parser's duplicate-attribute check
# is quadratic in their number, so such a tag is cut down to its name before parsing.
_GIANT_TAG = re.compile(r"<([A-Za-z][\w:-]{0,30})[^<>]{20000,}>")
_ARTICLE_TYPE = re.compile(
    r"schema\.org/(News|Blog|Reportage|Analysis|Opinion)?(Article|Posting)", re.I
)
STRONG_MIN = 100  # an <article>/articleBody element with this much text is the article
LD_SHARE = 0.5  # JSON-LD articleBody replaces an extraction with less than half its words
DEFAULT_KNOBS = Knobs()


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Stream-decompress gzip data, refusing output past max_bytes (zip-bomb safe)."""
    out = bytearray()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(data)
    pos = 0
    try:
        while pos < len(view) or d.unconsumed_tail:
            chunk_in = d.unconsumed_tail or view[pos : pos + 65536]
            if not d.unconsumed_tail:
                pos += len(chunk_in)
            out += d.decompress(chunk_in, 1 << 20)
            if len(out) > max_bytes:
                raise BadFile(f"decompressed size over the limit of {max_bytes} bytes")
            if d.eof:
                break
    except zlib.error as exc:
        raise BadFile(f"corrupt gzip data ({exc})") from None
    if not d.eof:
        raise BadFile("truncated gzip data")
    return bytes(out)


def _marked(body: Tag) -> tuple[Tag | None, Tag | None]:
    """Return the element the markup names as the article, and a lone <article> element.

    The first is the itemprop=articleBody element, else the only element typed as a
    schema.org Article (several typed ones are teasers); either overrides the scorer.
    The lone <article> is only a fallback (it is often a teaser box).
    """
    typed, articles = [], []
    for el in tags_below(body):
        if el.get("itemprop") == "articleBody":
            return el, el
        if _ARTICLE_TYPE.search(el.get("itemtype") or ""):
            typed.append(el)
        if el.name == "article":
            articles.append(el)
    lone = articles[0] if len(articles) == 1 else None
    return (typed[0] if len(typed) == 1 else None), (lone or (typed[0] if typed else None))


def _related(a: Tag, b: Tag) -> bool:
    return a is b or any(p is a for p in b.parents) or any(p is b for p in a.parents)


def _attached(el: Tag, body: Tag) -> bool:
    return any(p is body for p in el.parents)


def _main_blocks(body: Tag, strong: Tag | None, knobs: Knobs) -> list[Block]:
    """Score the cleaned page, take the best container and the siblings that continue it."""
    stats = measure(body)
    scores = score(body, stats)
    if not scores:
        return blocks_of(strong if strong is not None else body)
    best = pick(body, scores, knobs)
    if strong is not None and not _related(strong, best) and stats[id(strong)][0] >= STRONG_MIN:
        # The scorer found another block (comments, a teaser list): trust the markup, alone.
        conditional_clean(strong, scores, knobs)
        return blocks_of(strong)
    best_score = scores[id(best)][1] if id(best) in scores else 0.0
    parent = best.parent
    siblings = [c for c in parent.contents if type(c) is Tag] if parent is not None else [best]
    blocks: list[Block] = []
    for sib in siblings:
        if sib is best or keep_sibling(sib, best_score, scores, stats, knobs):
            conditional_clean(sib, scores, knobs)
            blocks.extend(blocks_of(sib))
    return blocks


def _words(paras: list[str]) -> int:
    return sum(len(p.split()) for p in paras)


def _densest(body: Tag) -> list[Block]:
    """Blocks of the element holding the most text of its own (raw text between <br>s)."""
    best, most = None, 0
    for el in tags_below(body):
        own = sum(len(c.strip()) for c in el.contents if type(c) is NavigableString)
        if own > most:
            best, most = el, own
    return blocks_of(best) if best is not None else []


def extract_html(
    data: bytes | str, url: str | None = None, knobs: Knobs = DEFAULT_KNOBS
) -> tuple[str, str, dict]:
    """Return (title, body, meta) for one page; meta has published, author, url, source, summary."""
    text = decode_bytes(data, markup=True) if isinstance(data, bytes) else data
    text = _GIANT_TAG.sub(r"<\1>", _XML_DECL.sub("", text, count=1))
    soup = parse(text)
    page = read_meta(soup, url)
    body = soup.body or soup
    clean_tree(body)
    strong, fallback = _marked(body)
    divs_to_paragraphs(body)
    description = fold(page.description)
    paras, summary = trim(_main_blocks(body, strong, knobs), page.headings, description)
    ld_paras = [p for p in (" ".join(p.split()) for p in page.ld_body.split("\n")) if p]
    if _words(paras) < LD_SHARE * _words(ld_paras):
        paras = ld_paras  # the page shows less than the publisher's own articleBody
    for el in (strong, fallback):
        if not paras and el is not None and _attached(el, body):
            paras, summary = trim(blocks_of(el), page.headings, description)
    if not paras:
        paras, summary = trim(_densest(body), page.headings, description)
    body_text = "\n\n".join(paras)
    meta = {"published": page.published, "author": page.author, "url": page.url,
            "source": page.source, "summary": summary}  # fmt: skip
    return page.title or derive_title(body_text), body_text, meta
