"""Boilerplate removal for HTML trees: scripts, navigation, hidden and boilerplate-named blocks."""

from __future__ import annotations

import re

from lxml import etree

_WS = re.compile(r"\s+")
_DROP_TAGS = (
    "script", "style", "noscript", "iframe", "svg", "nav", "footer", "aside", "button",
    "select", "textarea", "input", "template", "object", "embed", "canvas", "video", "audio",
    "figcaption", "head", "label", "dialog", "menu", "picture", "source", "map",
)  # fmt: skip
_DIV_BLOCK_CHILDREN = frozenset(
    ["blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul", "section", "article"]
)
_UNLIKELY = re.compile(
    r"combx|comment|community|disqus|extra|foot|header|menu|remark|rss|shoutbox|sidebar|sponsor"
    r"|ad-break|agegate|pagination|pager\b|popup|share|social|related|newsletter"
    r"|subscribe|promo|cookie|breadcrumb|signup|recirc|outbrain|taboola|most-?popular|trending"
    r"|banner|modal|paywall|byline|caption|toolbar|tags\b|author-bio|read-?more|recommend"
    r"|credit|rollover|tooltip|popover|hovercard",
    re.I,
)
_MAYBE = re.compile(
    r"and|article|body|column|main|shadow|story|content|post-?text|embed|twitter-tweet|instagram-media",
    re.I,
)
_NEGATIVE = re.compile(
    r"combx|comment|com-|contact|foot|footer|footnote|masthead|media|meta|outbrain|promo|related"
    r"|scroll|shoutbox|sidebar|sponsor|shopping|tags|tool|widget|share|social|newsletter|byline"
    r"|caption|credit|advert|\bad\b|ads\b|recirc|subscribe|signup|teaser|card",
    re.I,
)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|paragraph", re.I
)


def _attrs(el) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def text_of(el) -> str:
    """Return an element's text with whitespace collapsed."""
    return _WS.sub(" ", el.text_content()).strip()


def link_density(el, text_len: int | None = None) -> float:
    """Return the share of an element's text that sits inside links (0..1)."""
    total = text_of(el) if text_len is None else None
    n = len(total) if total is not None else text_len
    if not n:
        return 0.0
    links = sum(len(_WS.sub(" ", a.text_content()).strip()) for a in el.iter("a"))
    return min(1.0, links / n)


def class_weight(el) -> int:
    """Return +25/-25 per class/id that looks like content or like boilerplate."""
    weight = 0
    for attr in (el.get("class"), el.get("id")):
        if attr:
            if _NEGATIVE.search(attr):
                weight -= 25
            if _POSITIVE.search(attr):
                weight += 25
    return weight


def _is_hidden(el) -> bool:
    style = el.get("style", "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None


def _drop(el) -> None:
    parent = el.getparent()
    if parent is not None:
        el.drop_tree()


def _ptext_by_ancestor(root) -> dict:
    """Map each element to the length of paragraph text below it (one pass over the <p>s)."""
    sums: dict = {}
    for p in root.iter("p"):
        n = len(text_of(p))
        node = p.getparent()
        while node is not None:
            sums[node] = sums.get(node, 0) + n
            node = node.getparent()
    return sums


def _holds_article(el, share: float) -> bool:
    """True when an element named like boilerplate still wraps the article (keep it)."""
    if share > 0.5:
        return True
    return el.find(".//article") is not None or bool(el.xpath(".//*[@itemprop='articleBody']"))


def clean_tree(root) -> None:
    """Remove comments, scripts, navigation, hidden and unlikely (boilerplate-named) elements."""
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
    for el in list(root.iter("form", "header")):
        # ASP.NET pages wrap the whole page in one form: keep forms holding real paragraphs.
        if len(el.findall(".//p")) < 3:
            _drop(el)
    ptext = _ptext_by_ancestor(root)
    total = max(ptext.get(root, 0), 1)
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        if el.getparent() is None or _is_hidden(el):
            if el.getparent() is not None:
                _drop(el)
            continue
        attrs = _attrs(el)
        unlikely = len(attrs) > 1 and _UNLIKELY.search(attrs) and not _MAYBE.search(attrs)
        if unlikely and el.tag != "a" and not _holds_article(el, ptext.get(el, 0) / total):
            _drop(el)


def divs_to_paragraphs(root) -> None:
    """Turn leaf <div>/<section> elements (no block children) into paragraphs for scoring."""
    for el in root.iter("div", "span", "section"):
        if el.tag == "span":
            continue
        if not any(isinstance(c.tag, str) and c.tag in _DIV_BLOCK_CHILDREN for c in el):
            el.tag = "p"
