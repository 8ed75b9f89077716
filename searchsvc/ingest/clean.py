"""Boilerplate removal on a BeautifulSoup tree: scripts, navigation, hidden and unlikely blocks.

Every walk here is iterative: a hostile page may nest 100,000 elements.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

DROP_TAGS = frozenset((
    "script", "style", "noscript", "iframe", "svg", "nav", "footer", "aside", "button",
    "select", "textarea", "input", "template", "object", "embed", "canvas", "video", "audio",
    "figcaption", "head", "label", "dialog", "menu", "picture", "source", "map", "link", "meta",
    "title",
))  # fmt: skip
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
    r"and|article|body|column|main|shadow|story|content|post-?text|embed|twitter-tweet"
    r"|instagram-media",
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
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def parse(text: str) -> BeautifulSoup:
    """Parse HTML into a BeautifulSoup tree with lxml as its parser (class stays one string)."""
    return BeautifulSoup(text, "lxml", multi_valued_attributes=None)


def tags_below(root: Tag) -> list[Tag]:
    """Return every element below root in document order (iterative, any depth)."""
    return [el for el in root.descendants if type(el) is Tag]


def attrs_of(el: Tag) -> str:
    """Return an element's class and id as one string."""
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def class_weight(el: Tag) -> int:
    """Return +25/-25 per class/id that looks like content or like boilerplate."""
    weight = 0
    for attr in (el.get("class"), el.get("id")):
        if attr:
            if _NEGATIVE.search(attr):
                weight -= 25
            if _POSITIVE.search(attr):
                weight += 25
    return weight


# measure() columns
TEXT, LINKS, COMMAS, PTEXT, N_P, N_IMG, N_LI, N_ARTICLE = range(8)
_COUNTED = {"p": N_P, "img": N_IMG, "li": N_LI, "article": N_ARTICLE}


def measure(root: Tag) -> dict[int, list[int]]:
    """Map id(element) to its counts below it (text, link text, commas, <p> text, p, img, li...)."""
    stats: dict[int, list[int]] = {}
    for el in reversed([root, *tags_below(root)]):
        row = [0] * 8
        for child in el.contents:
            if type(child) is Tag:
                for i, v in enumerate(stats[id(child)]):
                    row[i] += v
            elif type(child) is NavigableString:
                row[TEXT] += len(child.strip())
                row[COMMAS] += child.count(",") + child.count("，") + child.count("、")
        name = el.name
        if name == "a":
            row[LINKS] = row[TEXT]
        elif name == "p":
            row[PTEXT] = row[TEXT]
        if name in _COUNTED:
            row[_COUNTED[name]] += 1
        if el.get("itemprop") == "articleBody":
            row[N_ARTICLE] += 1
        stats[id(el)] = row
    return stats


def _hidden(el: Tag) -> bool:
    style = el.get("style")
    return (style is not None and bool(_HIDDEN.search(style))) or el.get("hidden") is not None


def drop_tags(root: Tag) -> None:
    """Remove comments and the like, and the elements that never hold text (DROP_TAGS)."""
    for el in list(root.descendants):
        if type(el) is not Tag and type(el) is not NavigableString and el.parent is not None:
            el.extract()  # comments, doctype, CDATA, processing instructions, script text
    for el in tags_below(root):
        if el.name in DROP_TAGS and el.parent is not None:
            el.extract()


def clean_tree(root: Tag) -> None:
    """Remove scripts, navigation, hidden and unlikely (boilerplate-named) elements below root."""
    drop_tags(root)
    stats = measure(root)
    total = max(stats[id(root)][PTEXT], 1)
    gone: set[int] = set()
    for el in tags_below(root):
        if id(el.parent) in gone:
            gone.add(id(el))
            continue
        row = stats[id(el)]
        if el.name in ("form", "header") and row[N_P] < 3:
            drop = True  # ASP.NET wraps whole pages in one form: keep forms with paragraphs
        elif _hidden(el):
            drop = True
        elif el.name == "a":
            drop = False
        else:
            attrs = attrs_of(el)
            drop = bool(
                len(attrs) > 1
                and _UNLIKELY.search(attrs)
                and not _MAYBE.search(attrs)
                and row[PTEXT] / total <= 0.5
                and not row[N_ARTICLE]  # it still wraps the article's own markup
            )
        if drop:
            gone.add(id(el))
            el.extract()


def divs_to_paragraphs(root: Tag) -> None:
    """Turn leaf <div>/<section> elements (no block children) into paragraphs for scoring."""
    for el in tags_below(root):
        if el.name in ("div", "section") and not any(
            type(c) is Tag and c.name in _DIV_BLOCK_CHILDREN for c in el.contents
        ):
            el.name = "p"
