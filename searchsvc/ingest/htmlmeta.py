"""Page metadata from a BeautifulSoup tree: title, date, author, URL, outlet name, description."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from searchsvc.ingest.fields import parse_date
from searchsvc.ingest.sources import clean_name, domain_of, name_from_copyright

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
_SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher",
              "dc.publisher")  # fmt: skip
_COPY_MARK = re.compile(r"©|opyright|\(c\)", re.I)
LD_MAX = 50


@dataclass
class PageMeta:
    """What the page says about itself, before any body extraction."""

    title: str = ""
    headings: set[str] = field(default_factory=set)  # the title and the first <h1>, folded
    published: object = None
    author: str = ""
    url: str = ""
    source: str = ""
    description: str = ""
    ld_body: str = ""  # JSON-LD articleBody, a fallback for the body


def _text(el: Tag) -> str:
    return _WS.sub(" ", el.get_text(" ")).strip()


def _jsonld(scripts: list[Tag]) -> dict:
    """Return the first JSON-LD object that looks like an article (or has a headline)."""
    candidates: list[dict] = []
    for el in scripts:
        try:
            data = json.loads(el.string or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(candidates) < LD_MAX:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item[:LD_MAX])
            elif isinstance(item, dict):
                candidates.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"][:LD_MAX])
    for item in candidates:
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
            return item
    return next((c for c in candidates if "headline" in c), {})


def ld_name(value: object) -> str:
    """Return the name of a JSON-LD value (a string, a {"name": ...} object or a list of them)."""
    if isinstance(value, list):
        return ", ".join(n for n in (ld_name(v) for v in value[:5]) if n)
    if isinstance(value, dict):
        return ld_name(value.get("name", ""))
    return value.strip() if isinstance(value, str) else ""


def _strip_site(title: str, site: str, loose: bool = True) -> tuple[str, str]:
    """Split a " | Site" style suffix (or prefix) off a page title: (title, site part)."""
    parts = _TITLE_SEP.split(title.strip())
    if len(parts) < 2:
        return title.strip(), ""
    if site and parts[0].strip().lower() == site.lower():
        return " - ".join(parts[1:]).strip(), parts[0].strip()
    head = " - ".join(parts[:-1]).strip()
    if site and parts[-1].strip().lower() == site.lower():
        return _strip_site(head, site, loose)[0], parts[-1].strip()
    if loose and len(parts[-1]) < len(head):
        return head, parts[-1].strip()
    return title.strip(), ""


def _copyright_name(soup: BeautifulSoup) -> str:
    """Return the holder of the page's copyright line (searched from the end of the page)."""
    for string in reversed(soup.find_all(string=_COPY_MARK)):
        parent = string.parent
        text = parent.get_text(" ") if parent is not None else str(string)
        name = name_from_copyright(_WS.sub(" ", text if len(text) < 300 else str(string)))
        if name:
            return name
    return ""


def read_meta(soup: BeautifulSoup, url: str | None = None) -> PageMeta:
    """Read title, date, author, URL, outlet name and description from meta tags and JSON-LD."""
    meta: dict[str, str] = {}
    canonical = ""
    scripts, times = [], []
    h1 = page_title = ""
    for el in soup.find_all(("meta", "link", "script", "time", "h1", "title")):
        name = el.name
        if name == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            value = el.get("content")
            if key and value and value.strip() and key not in meta:
                meta[key] = value.strip()
        elif name == "link":
            rel = el.get("rel") or ""
            if not canonical and "canonical" in rel.lower().split() and el.get("href"):
                canonical = el["href"].strip()
        elif name == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json":
                scripts.append(el)
        elif name == "time":
            if len(times) < 3 and el.get("datetime"):
                times.append(el["datetime"])
        elif name == "h1":
            h1 = h1 or _text(el)
        elif not page_title:
            page_title = _text(el)
    ld = _jsonld(scripts)
    page = PageMeta()
    site = meta.get("og:site_name") or ld_name(ld.get("publisher"))
    page.url = canonical if canonical.startswith("http") else ""
    page.url = page.url or meta.get("og:url", "") or (url or "")
    suffix = ""
    for cand, loose in ((meta.get("og:title"), False), (ld_name(ld.get("headline")), False),
                        (h1, False), (page_title, True)):  # fmt: skip
        if cand and cand.strip():
            page.title = _strip_site(_WS.sub(" ", cand), site, loose)[0]
            break
    if page_title:
        suffix = _strip_site(page_title, site or "", True)[1]
    page.headings = {t.casefold() for t in (page.title, h1) if t}
    for cand in [meta.get("article:published_time"), ld.get("datePublished"), *times] + [
        meta.get(k) for k in _DATE_META
    ]:
        page.published = parse_date(cand) if isinstance(cand, str) else None
        if page.published:
            break
    for cand in [meta.get("author"), meta.get("article:author"), ld_name(ld.get("author"))] + [
        meta.get(k) for k in _AUTHOR_META
    ]:
        if cand and not cand.startswith(("http:", "https:")):
            page.author = _BY.sub("", _WS.sub(" ", cand)).strip()
            break
    names = [meta.get(k, "") for k in _SITE_META[:1]] + [ld_name(ld.get("publisher"))]
    names += [meta.get(k, "") for k in _SITE_META[1:]]
    page.source = next((n for n in map(clean_name, names) if n), "")
    page.source = page.source or _copyright_name(soup) or clean_name(suffix) or domain_of(page.url)
    page.description = meta.get("og:description") or meta.get("description") or ""
    body = ld.get("articleBody")
    page.ld_body = body.strip() if isinstance(body, str) else ""
    return page
