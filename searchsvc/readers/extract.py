"""Main-content extraction from an HTML tree: boilerplate removal and article-container scoring."""

from __future__ import annotations

import re

from lxml import etree, html

_DROP_TAGS = (
    "script", "style", "noscript", "iframe", "svg", "nav", "footer", "aside", "button",
    "select", "textarea", "input", "template", "object", "embed", "canvas", "video", "audio",
    "figcaption", "head", "label", "dialog", "menu", "picture", "source", "map",
)  # fmt: skip
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "ul",
        "br",
        "center",
    ]
)
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
_MAYBE = re.compile(r"and|article|body|column|main|shadow|story|content|post-?text", re.I)
_NEGATIVE = re.compile(
    r"combx|comment|com-|contact|foot|footer|footnote|masthead|media|meta|outbrain|promo|related"
    r"|scroll|shoutbox|sidebar|sponsor|shopping|tags|tool|widget|share|social|newsletter|byline"
    r"|caption|credit|advert|\bad\b|ads\b|recirc|subscribe|signup|teaser|card",
    re.I,
)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|paragraph", re.I
)
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?\"”’)]\s*$")
_BOILER_LINE = re.compile(
    r"^(advertisement|ad|story continues below( advertisement)?|continue reading.*|"
    r"you may also like.*|read more.*|related:?.*|sign up.*|subscribe.*|click here.*|share this.*|"
    r"supported by|skip advertisement|image|photo)$",
    re.I,
)


def _attrs(el) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def _text(el) -> str:
    return _WS.sub(" ", el.text_content()).strip()


def _link_density(el, text_len: int | None = None) -> float:
    total = _text(el) if text_len is None else None
    n = len(total) if total is not None else text_len
    if not n:
        return 0.0
    links = sum(len(_WS.sub(" ", a.text_content()).strip()) for a in el.iter("a"))
    return min(1.0, links / n)


def _class_weight(el) -> int:
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
    return (
        "display:none" in style
        or "visibility:hidden" in style
        or el.get("hidden") is not None
        or el.get("aria-hidden") == "true"
    )


def _drop(el) -> None:
    parent = el.getparent()
    if parent is not None:
        el.drop_tree()


def _ptext_by_ancestor(root) -> dict:
    """Map each element to the length of paragraph text below it (one pass over the <p>s)."""
    sums: dict = {}
    for p in root.iter("p"):
        n = len(_text(p))
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


def _divs_to_paragraphs(root) -> None:
    for el in root.iter("div", "span", "section"):
        if el.tag == "span":
            continue
        if not any(isinstance(c.tag, str) and c.tag in _DIV_BLOCK_CHILDREN for c in el):
            el.tag = "p"


def _score(root) -> dict:
    """Score candidate containers from their paragraphs (Readability-style, 3 ancestor levels)."""
    scores: dict = {}
    for el in root.iter("p", "pre", "td"):
        text = _text(el)
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
        text_len = len(_text(node))
        bonus += _class_weight(node)
        scores[node] = (scores[node] + bonus * min(1.0, text_len / 500)) * (
            1 - _link_density(node, text_len)
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
        text = _text(sib)
        density = _link_density(sib, len(text)) if text else 1.0
        if len(text) > 80 and density < 0.25:
            return True
        if 0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text):
            return True
    return False


def _conditional_clean(node, scores: dict) -> None:
    for el in reversed(list(node.iter("table", "ul", "ol", "div", "section", "dl"))):
        if el is node or el.getparent() is None:
            continue
        weight = _class_weight(el)
        if weight + scores.get(el, 0) < 0:
            el.drop_tree()
            continue
        text = _text(el)
        if text.count(",") >= 10:
            continue
        n_p = len(el.findall(".//p"))
        n_img = len(el.findall(".//img"))
        n_li = len(el.findall(".//li")) - 100
        density = _link_density(el, len(text))
        if (
            (n_img > 1 and n_img > n_p)
            or (n_li > n_p and el.tag not in ("ul", "ol"))
            or (len(text) < 25 and n_img != 1)
            or (weight < 25 and density > 0.3)
            or (weight >= 25 and density > 0.5)
        ):
            el.drop_tree()
    for el in list(node.iter(*_HEADINGS)):
        if el is not node and (_class_weight(el) < 0 or _link_density(el) > 0.33):
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
        if text and not _BOILER_LINE.match(text) and not link_only:
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
    _divs_to_paragraphs(body)
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


def parse(data: bytes | str):
    """Parse HTML with lxml (fast); fall back to BeautifulSoup's html.parser converted to lxml."""
    try:
        root = html.document_fromstring(data)
        if root is not None and len(root):
            return root
    except (etree.ParserError, ValueError):
        pass
    from lxml.html import soupparser

    return soupparser.fromstring(data if isinstance(data, str) else data.decode("utf-8", "replace"))
