"""Check an Atom document against the MUSTs of RFC 4287 (sections 3 and 4), element by element.

No maintained package ships the RFC's RELAX NG schema, so its rules are written out here: the
cardinalities of feed and entry children, the constructs (text, person, date), absolute ids,
links with href, one alternate link per type and hreflang, and no unknown Atom elements.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

NS = "http://www.w3.org/2005/Atom"
A = f"{{{NS}}}"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TEXT = {"title", "subtitle", "rights", "summary"}
PERSON = {"author", "contributor"}
DATES = {"updated", "published"}
FEED_CHILDREN = {
    "author", "category", "contributor", "generator", "icon", "id", "link", "logo", "rights",
    "subtitle", "title", "updated", "entry",
}  # fmt: skip
ENTRY_CHILDREN = {
    "author", "category", "content", "contributor", "id", "link", "published", "rights",
    "source", "summary", "title", "updated",
}  # fmt: skip
FEED_ONCE = {"id": 1, "title": 1, "updated": 1}
FEED_AT_MOST_ONCE = {"generator", "icon", "logo", "rights", "subtitle"}
ENTRY_ONCE = {"id": 1, "title": 1, "updated": 1}
ENTRY_AT_MOST_ONCE = {"content", "published", "rights", "source", "summary"}
LINK_RELS = {"alternate", "related", "self", "enclosure", "via"}


def problems(document: bytes) -> list[str]:
    """Return every way `document` breaks RFC 4287 (empty when it is a valid Atom feed)."""
    out: list[str] = []
    root = ET.fromstring(document)
    if root.tag != A + "feed":
        return [f"root element is {root.tag}, not atom:feed"]
    _children(root, "feed", FEED_CHILDREN, FEED_ONCE, FEED_AT_MOST_ONCE, out)
    entries = root.findall(A + "entry")
    feed_author = root.find(A + "author") is not None
    for n, entry in enumerate(entries):
        where = f"entry {n}"
        _children(entry, where, ENTRY_CHILDREN, ENTRY_ONCE, ENTRY_AT_MOST_ONCE, out)
        if not feed_author and entry.find(A + "author") is None:
            out.append(f"{where}: no atom:author, and the feed has none (4.1.2)")
        if entry.find(A + "content") is None and not _rels(entry)["alternate"]:
            out.append(f"{where}: neither atom:content nor an alternate link (4.1.2)")
    if not feed_author and not entries:
        out.append("feed: no atom:author (4.1.1)")
    ids = Counter(e.findtext(A + "id") for e in entries)
    out += [f"entry id {i!r} appears {c} times" for i, c in ids.items() if c > 1]
    return out


def _rels(parent: ET.Element) -> Counter:
    return Counter(link.get("rel", "alternate") for link in parent.findall(A + "link"))


def _children(el, where, allowed, once, at_most_once, out) -> None:
    counts = Counter(c.tag.removeprefix(A) for c in el if c.tag.startswith(A))
    out += [f"{where}: unknown Atom element atom:{t}" for t in counts if t not in allowed]
    for tag, n in once.items():
        if counts[tag] != n:
            out.append(f"{where}: {counts[tag]} atom:{tag} (exactly {n} required)")
    out += [f"{where}: {counts[t]} atom:{t} (at most one)" for t in at_most_once if counts[t] > 1]
    alternates = Counter(
        (link.get("type"), link.get("hreflang"))
        for link in el.findall(A + "link")
        if link.get("rel", "alternate") == "alternate"
    )
    out += [f"{where}: two alternate links for {k}" for k, c in alternates.items() if c > 1]
    for child in el:
        tag = child.tag.removeprefix(A)
        if tag in TEXT:
            _text(child, f"{where}/{tag}", out)
        elif tag in PERSON:
            _person(child, f"{where}/{tag}", out)
        elif tag in DATES and not DATE.match((child.text or "").strip()):
            out.append(f"{where}/{tag}: {child.text!r} is not an RFC 3339 date-time (3.3)")
        elif tag == "id" and not _absolute_iri(child.text or ""):
            out.append(f"{where}/id: {child.text!r} is not an absolute IRI (4.2.6)")
        elif tag == "link":
            _link(child, where, out)
        elif tag == "category" and not child.get("term"):
            out.append(f"{where}/category: no term attribute (4.2.2)")


def _text(el, where, out) -> None:
    kind = el.get("type", "text")
    if kind not in ("text", "html", "xhtml"):
        out.append(f"{where}: type {kind!r} is not text, html or xhtml (3.1.1)")
    if kind in ("text", "html") and len(el):
        out.append(f"{where}: a {kind} construct holds child elements (3.1.1)")


def _person(el, where, out) -> None:
    counts = Counter(c.tag.removeprefix(A) for c in el)
    if counts["name"] != 1 or not (el.findtext(A + "name") or "").strip():
        out.append(f"{where}: needs exactly one non-empty atom:name (3.2.1)")
    out += [f"{where}: {counts[t]} atom:{t}" for t in ("uri", "email") if counts[t] > 1]


def _link(el, where, out) -> None:
    if not el.get("href"):
        out.append(f"{where}/link: no href (4.2.7.1)")
    rel = el.get("rel", "alternate")
    if rel not in LINK_RELS and not _absolute_iri(rel):
        out.append(f"{where}/link: rel {rel!r} is neither registered nor an IRI (4.2.7.2)")


def _absolute_iri(text: str) -> bool:
    text = text.strip()
    return bool(text) and not re.search(r"\s", text) and bool(urlsplit(text).scheme)
