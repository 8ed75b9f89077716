"""Atom 1.0 feeds (RFC 4287) of any search: /feed.atom takes the parameters of the results page.

A feed holds the newest FEED_ENTRIES matching stories, newest first, for the query as typed (a
subscription never silently follows a spelling correction). Absolute URLs come only from
SEARCHSVC_PUBLIC_URL, never from the Host header; without it links are relative (resolved
against the feed's own URL by readers) and ids are tag URIs under a fixed placeholder authority.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, Response, request, url_for

from searchsvc.contract import Hit, SearchRequest
from searchsvc.web import engine, settings
from searchsvc.web.metrics import instant
from searchsvc.web.params import parse_search
from searchsvc.web.textutil import safe_url

bp = Blueprint("feed", __name__)
ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
TAG_AUTHORITY = "searchsvc.invalid"  # the tag URI authority while no public URL is configured
TAG_DATE = "2026"  # the date part of every tag URI: never change it, or every id changes
# Parameters of the results page that choose what a feed holds (paging and sort do not).
FEED_PARAMS = ("q", "from", "to", "source", "tag", "undated", "collapse", "copies_of")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot carry at all (C0 controls but tab/newline/CR, surrogates, FFFE/F).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TAGS = re.compile(r"<[^>]*>")


def feed_url() -> str:
    """Return the feed URL of the current results page (its query and filters, no paging)."""
    pairs = [(k, v) for k in FEED_PARAMS for v in request.args.getlist(k) if v.strip()]
    return url_for("feed.feed") + (f"?{urlencode(pairs)}" if pairs else "")


@bp.app_context_processor
def _helpers() -> dict:
    return {"feed_url": feed_url}


def canonical(req: SearchRequest) -> list[tuple[str, str]]:
    """Return the parameters that define a feed, in a fixed order (its id and links use them)."""
    pairs = [("q", req.q)] if req.q else []
    if req.date_from:
        pairs.append(("from", req.date_from.isoformat()))
    if req.date_to:
        pairs.append(("to", req.date_to.isoformat()))
    pairs += [("source", s) for s in sorted(req.source)]
    pairs += [("tag", t) for t in sorted(req.tag)]
    if req.include_undated:
        pairs.append(("undated", "1"))
    if not req.collapse:
        pairs.append(("collapse", "0"))
    if getattr(req, "copies_of", None):
        pairs.append(("copies_of", req.copies_of))
    return pairs


def _absolute(path: str) -> str:
    """Return SEARCHSVC_PUBLIC_URL + path, or the path alone (never built from the Host header)."""
    return settings().public_url.rstrip("/") + path


def tag_uri(specific: str) -> str:
    """Return a tag URI (RFC 4151) under the public URL's host, else the fixed authority."""
    host = urlsplit(settings().public_url).hostname if settings().public_url else None
    return f"tag:{host or TAG_AUTHORITY},{TAG_DATE}:{specific}"


def clean(text: str) -> str:
    """Return text without the characters XML cannot hold."""
    return _NOT_XML.sub("", text or "")


def plain(snippet: str) -> str:
    """Return a snippet (escaped HTML with <mark>) as plain text."""
    return " ".join(html.unescape(_TAGS.sub("", snippet)).split())


def rfc3339(when: datetime) -> str:
    """Return an RFC 3339 time in UTC, seconds precision."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _published(hit: Hit) -> datetime | None:
    try:
        day = date.fromisoformat((hit.published or "")[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _title(req: SearchRequest) -> str:
    return req.q or "Newest articles"


def _subtitle(req: SearchRequest) -> str:
    parts = [f"source {', '.join(req.source)}"] if req.source else []
    if req.tag:
        parts.append(f"tag {', '.join(req.tag)}")
    if req.date_from:
        parts.append(f"from {req.date_from.isoformat()}")
    if req.date_to:
        parts.append(f"to {req.date_to.isoformat()}")
    what = f"matching {req.q!r}" if req.q else "in the index"
    narrowed = f" ({'; '.join(parts)})" if parts else ""
    return f"The newest {FEED_ENTRIES} articles {what}{narrowed} on searchsvc"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = clean(text)
    return el


def _entry(root: ET.Element, hit: Hit, fallback: datetime, q: str) -> None:
    entry = _add(root, "entry")
    _add(entry, "id", tag_uri(f"article/{quote(hit.id, safe='')}"))
    _add(entry, "title", hit.title.strip() or "(untitled)", type="text")
    page = url_for("views.article", article_id=hit.id, **({"q": q} if q else {}))
    _add(entry, "link", rel="alternate", type="text/html", href=_absolute(page))
    original = safe_url(hit.url)
    if original:
        _add(entry, "link", rel="via", href=original)
    published = _published(hit)
    _add(entry, "updated", rfc3339(published or fallback))
    if published:
        _add(entry, "published", rfc3339(published))
    name = hit.author.strip() or hit.source.strip()
    if name:
        _add(_add(entry, "author"), "name", name)
    for tag in hit.tags:
        _add(entry, "category", term=tag)
    _add(entry, "summary", plain(hit.snippet), type="text")


def render(req: SearchRequest, hits: list[Hit], updated: datetime) -> bytes:
    """Return the Atom document of a search's newest hits."""
    query = urlencode(canonical(req))
    suffix = f"?{query}" if query else ""
    page_query = urlencode([*canonical(req), ("sort", "newest")])
    root = ET.Element("feed", xmlns=ATOM)
    _add(root, "id", tag_uri(f"feed{suffix}"))
    _add(root, "title", _title(req), type="text")
    _add(root, "subtitle", _subtitle(req), type="text")
    _add(root, "updated", rfc3339(updated))
    own = _absolute(url_for("feed.feed") + suffix)
    _add(root, "link", rel="self", type="application/atom+xml", href=own)
    alternate = _absolute(url_for("views.search") + f"?{page_query}")
    _add(root, "link", rel="alternate", type="text/html", href=alternate)
    _add(_add(root, "author"), "name", "searchsvc")
    _add(root, "generator", "searchsvc")
    for hit in hits:
        _entry(root, hit, updated, req.q)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@bp.get("/feed.atom")
def feed():
    """Return the Atom feed of a search: newest matching articles first; 304 when unchanged."""
    asked = parse_search(request.args, settings())
    per_page = min(FEED_ENTRIES, settings().max_per_page)
    req = replace(asked, page=1, per_page=per_page, sort="newest", autocorrect=False, facets=False)
    eng = engine()
    found = eng.search(req)
    updated = max([d for d in map(_published, found.hits) if d] or [EPOCH])
    last_update = eng.stats().last_update
    if last_update:
        updated = max(updated, instant(last_update))
    response = Response(render(req, found.hits, updated), mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "no-cache"  # readers revalidate: 304 while unchanged
    response.add_etag()  # a digest of the document itself: it changes exactly when the feed does
    response.last_modified = updated
    return response.make_conditional(request)
