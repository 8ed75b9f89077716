"""Snippets: the best passages of an article for the query terms, HTML-escaped, matches in <mark>.

Small parts with defaults, passed in rather than subclassed (Whoosh's highlight pipeline in
spirit): `find_matches` (tokens via the index analyzer, so stems match), a fragmenter that
turns matches into candidate passages, a scorer that ranks passages, a formatter that escapes
text and marks matches. Works on any length of text (no 32K cut-off).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from searchsvc.text.analysis import TOKEN_PATTERN, english_analyzer, index_terms, stem_many
from searchsvc.text.variants import spellings_of

ELLIPSIS = "…"
SNIPPET_CHARS = 240
LEAD_CHARS = 200
_RUN_CHAR = r"[\w'’.,]"  # every character TOKEN_PATTERN can put in a token
_ASCII_RUN_CHAR = r"[0-9a-z_'.,]"  # the same on lower-case ASCII text


@dataclass(frozen=True)
class Match:
    """One matching token: character span and the analysed term."""

    start: int
    end: int
    term: str


@dataclass
class Passage:
    """A candidate passage: character span and the matches inside it."""

    start: int
    end: int
    matches: list[Match]


STEM_CACHE = 200_000  # words whose analysed form is remembered across snippets
_stems: dict[str, str | None] = {}


def _stem_of(word: str) -> str | None:
    """Return the index term of one lower-case word (None for a stop word), memoised."""
    found = _stems.get(word, "")
    if found == "":
        if len(_stems) >= STEM_CACHE:
            _stems.clear()
        found = _stems[word] = next(iter(index_terms(word)), None)
    return found


@lru_cache(maxsize=4096)
def _normalize(terms: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    stems, prefixes = set(), []
    for t in sorted(terms):
        if t.endswith("*") and len(t) > 2:
            prefixes.append(t.rstrip("*").lower())
            continue
        stems.add(t.lower())
        stems.update(tok.text for tok in english_analyzer()(t))
    return frozenset(stems), tuple(prefixes)


def normalize_terms(terms: Iterable[str] | str) -> tuple[set[str], tuple[str, ...]]:
    """Return (stems, prefixes) for query words, stems or a whole query string."""
    if isinstance(terms, str):
        from searchsvc.config import Settings
        from searchsvc.text.query import highlight_terms, parse

        loose = Settings(max_query_chars=len(terms), max_query_terms=len(terms) + 1)
        terms = highlight_terms(parse(terms, loose))
    stems, prefixes = _normalize(frozenset(terms))
    return set(stems), prefixes


def find_matches(text: str, stems: set[str], prefixes: tuple[str, ...] = ()) -> list[Match]:
    """Return the tokens of text whose stem (or lower-case word, for prefixes) matches.

    Tokens come from the index analyzer's own pattern; only words sharing their first letters
    with a wanted stem are run through the analyzer (memoised), so long articles stay fast.
    """
    if not stems and not prefixes:
        return []
    heads = _heads(frozenset(stems), prefixes)
    lower = text.lower()
    if len(lower) != len(text) or not lower.isascii():
        return _matches(text, None, stems, prefixes, heads)
    # Only the runs of token characters holding a head (the first two letters of a wanted
    # stem) can match; tokenizing each such run alone gives the same tokens as the whole text.
    if all(_RUN.fullmatch(h) for h in heads):
        spans = _head_runs(lower, heads)
    else:  # a head with other characters: the general pattern
        spans = [run.span() for run in _runs(frozenset(heads)).finditer(lower)]
    out: list[Match] = []
    for span in spans:  # maximal runs, in text order
        out += _matches(lower, span, stems, prefixes, heads)
    return out


@lru_cache(maxsize=1024)  # a page's ten snippets share one query's terms
def _heads(stems: frozenset[str], prefixes: tuple[str, ...]) -> frozenset[str]:
    """Return the heads of the stems and prefixes wanted (see _head)."""
    # a stem's other spellings ("favourit" for "favorit") have heads of their own
    heads = {_head(v) for s in stems for v in spellings_of(s, stem_many)}
    return frozenset(heads | {p[:2] for p in prefixes})


def _head(stem: str) -> str:
    """Return the start every ASCII word with this stem begins with (checked on Reuters and BBC).

    Snowball changes at most a word's last stem letter (y -> i, "dying" -> "die"), so for
    alphabetic stems all but the last letter (up to 5) will do; others keep two characters.
    The longer the head, the fewer runs of the text are analysed.
    """
    return stem[: max(2, min(len(stem) - 1, 5))] if stem.isalpha() and stem.isascii() else stem[:2]


_RUN = re.compile(_ASCII_RUN_CHAR + "+")
_RUN_TAIL = re.compile(_ASCII_RUN_CHAR + "*")


def _head_runs(lower: str, heads: set[str]) -> list[tuple[int, int]]:
    """Return the spans of the maximal runs holding a head, in text order (heads: run chars).

    str.find jumps between head occurrences; each is widened to its run both ways.
    """
    spans = set()
    rev, n = lower[::-1], len(lower)
    tail, find = _RUN_TAIL.match, lower.find
    for h in heads:
        i = find(h)
        while i >= 0:
            end = tail(lower, i).end()
            spans.add((i - tail(rev, n - i).end() + (n - i), end))
            i = find(h, end)
    return sorted(spans)


@lru_cache(maxsize=4096)
def _runs(heads: frozenset[str]) -> re.Pattern:
    """Return a pattern for whole runs of token characters that contain any of `heads`.

    Only used on lower-case ASCII text, where _RUN_CHAR is _ASCII_RUN_CHAR (3x cheaper to compile).
    """
    alt = "|".join(re.escape(h) for h in sorted(heads, key=lambda h: (-len(h), h)))
    c = _ASCII_RUN_CHAR
    return re.compile(rf"(?<!{c}){c}*?(?:{alt}){c}*")


def _matches(text, span, stems, prefixes, heads) -> list[Match]:
    """Return the matches among the tokens of text (only within span, lower-case, if given)."""
    out = []
    tokens = TOKEN_PATTERN.finditer(text, *span) if span else TOKEN_PATTERN.finditer(text)
    for m in tokens:
        word = m.group() if span else m.group().lower()
        if prefixes and word.startswith(prefixes):
            out.append(Match(m.start(), m.end(), word))
            continue
        if not word.startswith(tuple(heads)) and word.isascii():
            continue
        term = _stem_of(word)
        if term in stems:
            out.append(Match(m.start(), m.end(), term))
    return out


def fragment(text: str, matches: list[Match], width: int = SNIPPET_CHARS) -> list[Passage]:
    """Default fragmenter: greedy runs of matches that fit in `width` characters."""
    passages: list[Passage] = []
    for m in matches:
        if passages and m.end - passages[-1].start <= width:
            passages[-1].matches.append(m)
            passages[-1].end = m.end
        else:
            passages.append(Passage(m.start, m.end, [m]))
    return passages


def score_passage(p: Passage) -> float:
    """Default scorer: distinct terms count most, then the number of matches."""
    return len({m.term for m in p.matches}) * 10 + len(p.matches)


def _cut(text: str, start: int, end: int) -> tuple[int, int]:
    """Move start/end outwards to word boundaries (within a few characters)."""
    n = len(text)
    s = max(0, start)
    while s > 0 and s > start - 15 and not text[s - 1].isspace():
        s -= 1
    if s > 0 and not text[s - 1].isspace():
        while s < n and not text[s].isspace():
            s += 1
    e = min(n, end)
    while e < n and e < end + 15 and not text[e].isspace():
        e += 1
    return s, e


def format_passage(text: str, start: int, end: int, matches: list[Match]) -> str:
    """Default formatter: escape everything, wrap matches in <mark>, "…" where text was cut."""
    out, pos = [], start
    for m in matches:
        if m.start < pos or m.end > end:
            continue
        out.append(html.escape(text[pos : m.start]))
        out.append(f"<mark>{html.escape(text[m.start : m.end])}</mark>")
        pos = m.end
    out.append(html.escape(text[pos:end]))
    body = "".join(out).strip()
    pre = ELLIPSIS if text[:start].strip() else ""
    post = ELLIPSIS if text[end:].strip() else ""
    return f"{pre}{body}{post}"


def opening(text: str, chars: int) -> str:
    """Return the first `chars` characters of text, cut back to a word boundary if one is near."""
    if len(text) <= chars:
        return text
    cut = text.rfind(" ", 0, chars + 1)
    return text[: cut if cut > chars // 2 else chars]


def lead(text: str, chars: int = LEAD_CHARS) -> str:
    """Return the escaped opening of text, cut at a word boundary with "…"."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return html.escape(text)
    return html.escape(opening(text, chars).rstrip(" ,;:")) + ELLIPSIS


def make_snippet(
    text: str,
    terms: Iterable[str] | str,
    *,
    max_chars: int = SNIPPET_CHARS,
    max_passages: int = 3,
    fragmenter: Callable[[str, list[Match], int], list[Passage]] = fragment,
    scorer: Callable[[Passage], float] = score_passage,
    formatter: Callable[[str, int, int, list[Match]], str] = format_passage,
) -> str:
    """Return an HTML-safe snippet: the best 1-3 passages with <mark>ed matches, else the lead."""
    stems, prefixes = normalize_terms(terms)
    matches = find_matches(text, stems, prefixes)
    if not matches:
        return lead(text)
    ranked = sorted(fragmenter(text, matches, max_chars), key=scorer, reverse=True)
    chosen, covered = [ranked[0]], {m.term for m in ranked[0].matches}
    for p in ranked[1:]:
        if len(chosen) >= max_passages:
            break
        new = {m.term for m in p.matches} - covered
        if new:
            chosen.append(p)
            covered |= new
    chosen.sort(key=lambda p: p.start)
    budget = max_chars // len(chosen)
    parts = []
    for p in chosen:
        span = p.end - p.start
        if span >= budget:
            start, end = p.start, p.start + budget
        else:
            pad = budget - span
            start = max(0, p.start - pad // 3)
            end = min(len(text), p.end + (pad - (p.start - start)))
        start, end = _cut(text, start, end)
        frag = formatter(text, start, end, p.matches)
        parts.append(frag)
    joined = " ".join(parts)
    return joined.replace(ELLIPSIS + " " + ELLIPSIS, " " + ELLIPSIS + " ")


def highlight(text: str, terms: Iterable[str] | str) -> str:
    """Return the whole text HTML-escaped with <mark> around words matching the query terms."""
    stems, prefixes = normalize_terms(terms)
    return format_passage(text, 0, len(text), find_matches(text, stems, prefixes))
