"""HTML article reader: charset detection, safe gunzip, metadata and main-text extraction."""

from __future__ import annotations

import json
import re
import zlib

from lxml import etree

from searchsvc.ingest.decode import decode_bytes
from searchsvc.ingest.extract import extract_body, parse
from searchsvc.ingest.fields import BadFile, derive_title, parse_date
from searchsvc.ingest.sources import domain_of

_XML_DECL = re.compile(r"^\s*<\?xml[^>]{0,200}\?>", re.I)
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|·|»)\s+")
_WS = re.compile(r"\s+")
_BY = re.compile(r"^\s*by\s+", re.I)
_ARTICLE_TYPES = ("article", "newsarticle", "blogposting", "reportagenewsarticle", "report")
_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "publish_date", "dc.date", "dc.date.issued", "dcterms.date",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "article.published", "citation_date",
    "cxenseparse:recs:publishtime", "displaydate", "datecreated", "originalpublicationdate",
)  # fmt: skip
_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
)


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


def _meta(root) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value and value.strip() and key not in found:
            found[key] = value.strip()
    return found


def _jsonld(root) -> dict:
    """Return the first JSON-LD object that looks like an article (or has a headline)."""
    candidates: list[dict] = []
    for el in root.iter("script"):
        if (el.get("type") or "").lower() != "application/ld+json" or not el.text:
            continue
        try:
            data = json.loads(el.text)
        except ValueError:
            continue
        stack = [data]
        while stack and len(candidates) < 50:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                candidates.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    for item in candidates:
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
            return item
    return next((c for c in candidates if "headline" in c), {})


def _name(value) -> str:
    if isinstance(value, list):
        return ", ".join(n for n in (_name(v) for v in value[:5]) if n)
    if isinstance(value, dict):
        return _name(value.get("name", ""))
    return value.strip() if isinstance(value, str) else ""


def _strip_site(title: str, site: str, loose: bool = True) -> str:
    """Drop a " | Site" style suffix (or prefix) from a page title."""
    parts = _TITLE_SEP.split(title.strip())
    if len(parts) < 2:
        return title.strip()
    if site and parts[0].strip().lower() == site.lower():
        return " - ".join(parts[1:]).strip()
    head = " - ".join(parts[:-1]).strip()
    if site and parts[-1].strip().lower() == site.lower():
        return _strip_site(head, site, loose)
    if loose and len(parts[-1]) < len(head):
        return head
    return title.strip()


def _metadata(root, url: str | None) -> dict:
    meta = _meta(root)
    ld = _jsonld(root)
    site = meta.get("og:site_name") or _name(ld.get("publisher")) or ""
    canonical = ""
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    page_url = canonical if canonical.startswith("http") else ""
    page_url = page_url or meta.get("og:url", "") or (url or "")
    h1 = next((_WS.sub(" ", h.text_content()).strip() for h in root.iter("h1")), "")
    title_el = root.find(".//title")
    page_title = _WS.sub(" ", title_el.text_content()).strip() if title_el is not None else ""
    title = ""
    for cand, loose in ((meta.get("og:title"), False), (_name(ld.get("headline")), False),
                        (h1, False), (page_title, True)):  # fmt: skip
        if cand and cand.strip():
            title = _strip_site(_WS.sub(" ", cand), site, loose)
            break
    published = None
    for cand in (
        [meta.get("article:published_time"), ld.get("datePublished")]
        + [t.get("datetime") for t in root.iter("time")][:3]
        + [meta.get(k) for k in _DATE_META]
    ):
        published = parse_date(cand) if isinstance(cand, str) else None
        if published:
            break
    author = ""
    for cand in [meta.get("author"), meta.get("article:author"), _name(ld.get("author"))] + [
        meta.get(k) for k in _AUTHOR_META
    ]:
        if cand and not cand.startswith(("http:", "https:")):
            author = _BY.sub("", _WS.sub(" ", cand)).strip()
            break
    source = site or domain_of(page_url)
    return {"title": title, "h1": h1, "published": published, "author": author, "url": page_url,
            "source": source}  # fmt: skip


def extract_html(data: bytes | str, url: str | None = None) -> tuple[str, str, dict]:
    """Return (title, body, meta) for one HTML page; meta has published, author, url, source."""
    text = decode_bytes(data, markup=True) if isinstance(data, bytes) else data
    text = _XML_DECL.sub("", text, count=1)
    try:
        root = parse(text)
    except (etree.ParserError, ValueError) as exc:
        raise BadFile(f"unparsable HTML ({exc})") from None
    meta = _metadata(root, url)
    headings = {meta["title"].casefold(), meta.pop("h1").casefold()}
    body = extract_body(root)
    first, _sep, rest = body.partition("\n\n")
    if first.casefold() in headings:
        body = rest  # the headline is the title, not the first paragraph
    title = meta.pop("title") or derive_title(body)
    return title, body, meta
