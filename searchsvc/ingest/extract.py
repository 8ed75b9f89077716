"""Main-content extraction from a cleaned BeautifulSoup tree: score containers, pick the article.

The few thresholds live in Knobs; bench/extraction.py chooses them by cross-validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import NavigableString, Tag

from searchsvc.ingest.clean import (
    COMMAS,
    LINKS,
    N_IMG,
    N_LI,
    N_P,
    TEXT,
    attrs_of,
    class_weight,
    drop_tags,
    measure,
    parse,
    tags_below,
)

BLOCKS = frozenset((
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "br", "center",
))  # fmt: skip
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_EMBED = re.compile(r"embed|twitter-tweet|instagram-media", re.I)  # quoted posts are content
_TAG_BONUS = {"div": 5, "article": 10, "pre": 3, "td": 3, "blockquote": 3}
_TAG_MALUS = {"address", "ol", "ul", "dl", "dd", "dt", "li", "form"}


@dataclass(frozen=True)
class Knobs:
    """The cleaner's tunable thresholds (chosen on training pages by bench/extraction.py)."""

    sibling: float = 0.2  # keep a sibling block scoring this share of the best one
    split: float = 0.75  # candidates this close to the best one mean a split article
    links: float = 0.3  # drop a nested block whose text is more links than this


@dataclass
class Block:
    """One paragraph of extracted text with the markup cues the furniture filter reads."""

    text: str
    tag: str
    attrs: str  # class and id of the block element and its ancestors up to the container
    linked: float  # share of the text inside links
    timed: bool = False  # holds a <time> element
    author_link: bool = False  # holds a rel=author / itemprop=author element


def score(root: Tag, stats: dict[int, list[int]]) -> dict[int, tuple[Tag, float]]:
    """Score candidate containers from their paragraphs (Readability-style, 3 ancestor levels)."""
    raw: dict[int, list] = {}
    for el in tags_below(root):
        if el.name not in ("p", "pre", "td"):
            continue
        s = stats[id(el)]
        if s[TEXT] < 25:
            continue
        points = 1 + s[COMMAS] + min(s[TEXT] // 100, 3)
        node, level = el.parent, 0
        while node is not None and level < 3:
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            raw.setdefault(id(node), [node, 0.0])[1] += points / divider
            if node is root:
                break
            node, level = node.parent, level + 1
    scores = {}
    for key, (node, points) in raw.items():
        s = stats[key]
        bonus = _TAG_BONUS.get(node.name, 0) + class_weight(node)
        if node.name in _TAG_MALUS:
            bonus -= 3
        elif node.name in HEADINGS or node.name == "th":
            bonus -= 5
        density = s[LINKS] / s[TEXT] if s[TEXT] else 0.0
        scores[key] = (node, (points + bonus * min(1.0, s[TEXT] / 500)) * (1 - density))
    return scores


def _is_ancestor(node: Tag, el: Tag) -> bool:
    return any(p is node for p in el.parents)


def pick(body: Tag, scores: dict[int, tuple[Tag, float]], knobs: Knobs) -> Tag:
    """Choose the top candidate, promoting it to a shared ancestor when the article is split."""
    ranked = sorted(scores.values(), key=lambda ns: ns[1], reverse=True)
    best, top = ranked[0]
    # Strong candidates that are neither inside nor around the best one: a split article.
    others = [
        n
        for n, sc in ranked[1:6]
        if sc >= knobs.split * top and not _is_ancestor(n, best) and not _is_ancestor(best, n)
    ]
    if others:
        for node in best.parents:
            if node is body or node.name == "[document]":
                break
            if any(_is_ancestor(node, n) for n in others):
                best = node
                break
    while best.parent is not None and best.parent is not body and best.parent.name != "[document]":
        if sum(1 for c in best.parent.contents if type(c) is Tag) != 1:
            break
        best = best.parent
    return best


def keep_sibling(sib: Tag, best_score: float, scores: dict, stats: dict, knobs: Knobs) -> bool:
    """True for a sibling of the best container that continues the article."""
    threshold = max(10.0, best_score * knobs.sibling)
    if id(sib) in scores and scores[id(sib)][1] >= threshold:
        return True
    if sib.name == "p":
        s = stats[id(sib)]
        density = s[LINKS] / s[TEXT] if s[TEXT] else 1.0
        if s[TEXT] > 80 and density < 0.25:
            return True
        text = sib.get_text()
        if 0 < s[TEXT] <= 80 and density == 0 and re.search(r"\.( |$)", text):
            return True
    return False


def conditional_clean(node: Tag, scores: dict, knobs: Knobs) -> None:
    """Drop nested lists, tables and divs that look like link lists, galleries or widgets."""
    stats = measure(node)
    for el in reversed(tags_below(node)):
        if el.name not in ("table", "ul", "ol", "div", "section", "dl") or el.parent is None:
            continue
        if _EMBED.search(attrs_of(el)):
            continue
        weight = class_weight(el)
        if weight + (scores[id(el)][1] if id(el) in scores else 0) < 0:
            el.extract()
            continue
        s = stats[id(el)]
        if s[COMMAS] >= 10:
            continue
        n_p, n_img, n_li = s[N_P], s[N_IMG], s[N_LI] - 100
        density = s[LINKS] / s[TEXT] if s[TEXT] else 0.0
        if (
            (n_img > 1 and n_img > n_p)
            or (n_li > n_p and el.name not in ("ul", "ol"))
            or (s[TEXT] < 25 and n_img != 1)
            or (weight < 25 and density > knobs.links)
            or (weight >= 25 and density > 0.5)
        ):
            el.extract()
    for el in tags_below(node):
        if el.name in HEADINGS and el.parent is not None:
            s = stats[id(el)]
            if class_weight(el) < 0 or (s[TEXT] and s[LINKS] / s[TEXT] > 0.33):
                el.extract()


def blocks_of(node: Tag) -> list[Block]:
    """Flatten a container into blocks of text, one per block element run (iterative walk)."""
    out: list[Block] = []
    buf: list[str] = []
    state = {"linked": 0, "timed": False, "author": False}
    ctx: list[Tag] = [node]

    def flush() -> None:
        """Close the current block: append its text (if any) and reset the buffers."""
        raw = "".join(buf)
        text = " ".join(raw.split())
        if text:
            top = ctx[-1]
            attrs = " ".join(attrs_of(t) for t in ctx[-2:] if t is not node)
            share = state["linked"] / max(len(raw.strip()), 1)
            out.append(Block(text, top.name, attrs, min(share, 1.0), state["timed"],
                             state["author"]))  # fmt: skip
        buf.clear()
        state.update(linked=0, timed=False, author=False)

    # An explicit stack of (element, entering, in_link) replaces recursion.
    stack: list[tuple[object, bool, bool]] = [(node, True, False)]
    while stack:
        el, entering, in_link = stack.pop()
        if type(el) is NavigableString:
            buf.append(str(el))
            if in_link:
                state["linked"] += len(el.strip())
            continue
        if type(el) is not Tag:
            continue
        block = el.name in BLOCKS
        if not entering:
            if block:
                flush()
                ctx.pop()
            continue
        if block:
            flush()
            ctx.append(el)
        if el.name == "time":
            state["timed"] = True
        rel = el.get("rel") or ""
        if "author" in (rel if isinstance(rel, str) else " ".join(rel)).lower().split() or (
            el.get("itemprop") == "author"
        ):
            state["author"] = True
        stack.append((el, False, in_link))
        link = in_link or el.name == "a"
        stack.extend((c, True, link) for c in reversed(el.contents))
    flush()
    return out


# Markup that makes a stored text HTML: a block element opened or closed, or a line break.
_MARKUP = re.compile(
    r"</?(?:p|div|br|h[1-6]|li|ul|ol|blockquote|section|article|table)\b[^<>]*>", re.I
)


def looks_like_html(text: str) -> bool:
    """Return True when a text holds block-level HTML markup (a CMS export's article body)."""
    return _MARKUP.search(text) is not None


def fragment_text(markup: str) -> str:
    """Return the text of an HTML fragment: one paragraph per block, scripts and styles gone."""
    root = parse(markup)
    drop_tags(root)
    body = root.body
    return "\n\n".join(b.text for b in blocks_of(body)) if body is not None else ""
