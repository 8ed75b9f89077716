"""Main-content extraction from an HTML tree: score block containers, pick the article."""

from __future__ import annotations

import re

from lxml import etree, html

from searchsvc.ingest.clean import (
    class_weight,
    clean_tree,
    divs_to_paragraphs,
    link_density,
    text_of,
)

_BLOCKS = frozenset((
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "br", "center",
))  # fmt: skip
_EMBED = re.compile(r"embed|twitter-tweet|instagram-media", re.I)  # quoted posts are content
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_WS = re.compile(r"\s+")
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
SHORT_LINE = 160


def _score(root) -> dict:
    """Score candidate containers from their paragraphs (Readability-style, 3 ancestor levels)."""
    scores: dict = {}
    for el in root.iter("p", "pre", "td"):
        text = text_of(el)
        if len(text) < 25:
            continue
        score = 1 + text.count(",") + text.count("，") + text.count("、") + min(len(text) // 100, 3)
        node, level = el.getparent(), 0
        while node is not None and level < 3 and isinstance(node.tag, str):
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            scores[node] = scores.get(node, 0.0) + score / divider
            node, level = node.getparent(), level + 1
    for node in scores:
        tag = node.tag
        bonus = {"div": 5, "article": 10, "pre": 3, "td": 3, "blockquote": 3}.get(tag, 0)
        if tag in ("address", "ol", "ul", "dl", "dd", "dt", "li", "form"):
            bonus -= 3
        elif tag in _HEADINGS or tag == "th":
            bonus -= 5
        text_len = len(text_of(node))
        bonus += class_weight(node)
        scores[node] = (scores[node] + bonus * min(1.0, text_len / 500)) * (
            1 - link_density(node, text_len)
        )
    return scores


MIN_SPLIT = 1
CLIMB = False


def _pick(body, scores: dict):
    """Choose the top candidate, promoting it to a shared ancestor when the article is split."""
    ranked = sorted(scores, key=scores.get, reverse=True)
    best = ranked[0]
    top = scores[best]
    # Strong candidates that are neither inside nor around the best one: a split article.
    alternatives = [
        c
        for c in ranked[1:6]
        if scores[c] >= 0.75 * top and not _is_ancestor(c, best) and not _is_ancestor(best, c)
    ]
    if len(alternatives) >= MIN_SPLIT:
        node = best.getparent()
        while node is not None and node is not body:
            if sum(1 for c in alternatives if _is_ancestor(node, c)) >= MIN_SPLIT:
                best = node
                break
            node = node.getparent()
    # Climb while a parent scores higher than the last one seen (the article is wider).
    parent, last = best.getparent(), scores.get(best, top)
    while CLIMB and parent is not None and parent is not body:
        if parent not in scores:
            parent = parent.getparent()
            continue
        if scores[parent] < top / 3:
            break
        if scores[parent] > last:
            best = parent
            break
        last = scores[parent]
        parent = parent.getparent()
    while (
        best.getparent() is not None and best.getparent() is not body and len(best.getparent()) == 1
    ):
        best = best.getparent()
    return best


def _is_ancestor(node, el) -> bool:
    el = el.getparent()
    while el is not None:
        if el is node:
            return True
        el = el.getparent()
    return False


def _keep_sibling(sib, best_score: float, scores: dict) -> bool:
    threshold = max(10.0, best_score * 0.2)
    if scores.get(sib, -1e9) >= threshold:
        return True
    if sib.tag == "p":
        text = text_of(sib)
        density = link_density(sib, len(text)) if text else 1.0
        if len(text) > 80 and density < 0.25:
            return True
        if 0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text):
            return True
    return False


def _conditional_clean(node, scores: dict) -> None:
    for el in reversed(list(node.iter("table", "ul", "ol", "div", "section", "dl"))):
        if el is node or el.getparent() is None or _EMBED.search(el.get("class", "")):
            continue
        weight = class_weight(el)
        if weight + scores.get(el, 0) < 0:
            el.drop_tree()
            continue
        text = text_of(el)
        if text.count(",") >= 10:
            continue
        n_p = len(el.findall(".//p"))
        n_img = len(el.findall(".//img"))
        n_li = len(el.findall(".//li")) - 100
        density = link_density(el, len(text))
        if (
            (n_img > 1 and n_img > n_p)
            or (n_li > n_p and el.tag not in ("ul", "ol"))
            or (len(text) < 25 and n_img != 1)
            or (weight < 25 and density > 0.3)
            or (weight >= 25 and density > 0.5)
        ):
            el.drop_tree()
    for el in list(node.iter(*_HEADINGS)):
        if el is not node and (class_weight(el) < 0 or link_density(el) > 0.33):
            el.drop_tree()


LINK_ONLY_MAX = 150


def _paragraphs(node) -> list[str]:
    """Flatten a container to paragraphs; drop boilerplate lines and short link-only lines."""
    out: list[str] = []
    buf: list[str] = []
    linked = [0]  # characters of buf that sit inside <a>

    def flush() -> None:
        raw = "".join(buf)
        text = _WS.sub(" ", raw).strip()
        link_only = (
            len(text) < LINK_ONLY_MAX
            and linked[0] >= 0.9 * len(raw.strip())
            and not text.startswith(("http:", "https:", "www."))  # a bare URL is content
        )
        buf.clear()
        linked[0] = 0
        short_furniture = len(text) < SHORT_LINE and _BOILER_SHORT.search(text)
        if text and not _BOILER_LINE.match(text) and not link_only and not short_furniture:
            out.append(text)

    def walk(el, in_link: bool) -> None:
        if not isinstance(el.tag, str):
            return
        block = el.tag in _BLOCKS
        in_link = in_link or el.tag == "a"
        if block:
            flush()
        for piece in [el.text] if el.text else []:
            buf.append(piece)
            linked[0] += len(piece.strip()) if in_link else 0
        for child in el:
            walk(child, in_link)
            if child.tail:
                buf.append(child.tail)
                linked[0] += len(child.tail.strip()) if in_link else 0
        if block:
            flush()

    walk(node, False)
    flush()
    return out


def extract_body(root) -> str:
    """Return the main article text of a parsed page, paragraphs separated by blank lines."""
    body = root.find("body")
    if body is None:
        body = root
    clean_tree(body)
    divs_to_paragraphs(body)
    scores = _score(body)
    if not scores:
        return "\n\n".join(_paragraphs(body))
    best = _pick(body, scores)
    best_score = scores.get(best, 0.0)
    parent = best.getparent()
    parts = []
    siblings = list(parent) if parent is not None else [best]
    for sib in siblings:
        if not isinstance(sib.tag, str):
            continue
        if sib is best or _keep_sibling(sib, best_score, scores):
            parts.append(sib)
    texts: list[str] = []
    for part in parts:
        _conditional_clean(part, scores)
        texts.extend(_paragraphs(part))
    return "\n\n".join(texts)


# A start tag this long carries thousands of attributes; lxml's duplicate-attribute check is
# quadratic in their number, so such a tag is cut down to its name before parsing.
_GIANT_TAG = (
    re.compile(rb"<([A-Za-z][\w:-]{0,30})[^<>]{20000,}>"),
    re.compile(r"<([A-Za-z][\w:-]{0,30})[^<>]{20000,}>"),
)


def parse(data: bytes | str):
    """Parse HTML with lxml (fast); fall back to BeautifulSoup's html.parser converted to lxml."""
    giant = _GIANT_TAG[isinstance(data, str)]
    data = giant.sub(r"<\1>" if isinstance(data, str) else rb"<\1>", data)
    try:
        root = html.document_fromstring(data)
        if root is not None and len(root):
            return root
    except (etree.ParserError, ValueError):
        pass
    from lxml.html import soupparser

    return soupparser.fromstring(data if isinstance(data, str) else data.decode("utf-8", "replace"))
