"""The user query parser, backend-neutral: words, "phrases", prefix*, -exclusions, OR, dates.

Forgiving (stray syntax is read as text), bounded (length and term limits), and the same for
both backends; each backend turns a ParsedQuery into its own queries (engine/plan.py,
typesense/query.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from searchsvc.config import Settings
from searchsvc.contract import FILTER_NAMES, FIRST_DAY, LAST_DAY
from searchsvc.errors import BadRequest
from searchsvc.text.analysis import STOP_WORDS, fold, index_terms
from searchsvc.text.dates import period_bounds

FILTER_FIELDS = FILTER_NAMES
DATE_FIELDS = ("after", "before", "year")
PREFIX_CAP = 50  # most frequent expansions kept for one prefix*
_FIELD_RE = re.compile(r"([A-Za-z]+):(?=\S)")
_EDGE_PUNCT = "()[]{},;!?"


@dataclass(frozen=True)
class Clause:
    """One unit of user syntax: a word, "a phrase" or a prefix*, optionally in a field."""

    kind: str  # "word" | "phrase" | "prefix"
    text: str
    field: str | None = None  # None, "title", "author", "source", "tag"


@dataclass
class ParsedQuery:
    """The user's query as groups (alternatives joined by OR), exclusions and a date range."""

    text: str
    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive


def _parse_date(value: str, end: bool) -> date | None:
    """Return the first (or, with end=True, last) day of YYYY, YYYY-MM or YYYY-MM-DD, else None."""
    bounds = period_bounds(value)
    return None if bounds is None else bounds[end]


def _tokens(text: str):
    """Yield (negated, item) where item is a Clause, "OR", or ("date", name, value)."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        neg = False
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            neg, i = True, i + 1
        fm = _FIELD_RE.match(text, i)
        name = fm[1].lower() if fm else ""
        fieldname = None
        if fm and (name in FILTER_FIELDS or name == "title" or name in DATE_FIELDS):
            j = fm.end()
            if text[j] == '"' and '"' in text[j + 1 :]:
                k = text.index('"', j + 1)
                value, i2 = text[j + 1 : k], k + 1
            else:
                k = j
                while k < n and not text[k].isspace():
                    k += 1
                value, i2 = text[j:k].strip(_EDGE_PUNCT), k
            if name in DATE_FIELDS:
                if _parse_date(value, False) is not None:
                    yield neg, ("date", name, value)
                    i = i2
                    continue
            else:
                fieldname, i = ("tag" if name == "tags" else name), fm.end()
        if i < n and text[i] == '"':
            k = text.find('"', i + 1)
            if k >= 0:
                if text[i + 1 : k].strip():
                    yield neg, Clause("phrase", text[i + 1 : k], fieldname)
                i = k + 1
                continue
            i += 1  # unbalanced quote: drop it and read on as plain words
        k = i
        while k < n and not text[k].isspace() and text[k] != '"':
            k += 1
        word, i = text[i:k].strip(_EDGE_PUNCT), k
        if not word:
            continue
        if word == "OR" and not neg and fieldname is None:
            yield False, "OR"
        elif word.endswith("*") and len(word.rstrip("*")) >= 2 and word.rstrip("*").isalnum():
            yield neg, Clause("prefix", word.rstrip("*").lower(), fieldname)
        else:
            yield neg, Clause("word", word, fieldname)


def parse(text: str, settings: Settings | None = None) -> ParsedQuery:
    """Parse user query text; never raises except BadRequest for over-limit input."""
    settings = settings or Settings()
    text = text or ""
    if len(text) > settings.max_query_chars:
        raise BadRequest(
            f"Query too long: {len(text)} characters (the limit is {settings.max_query_chars}).",
            hint="Shorten the query to its most distinctive words.",
        )
    pq = ParsedQuery(text=text)
    pending_or, count = False, 0
    for neg, item in _tokens(text):
        if item == "OR":
            pending_or = bool(pq.groups)
            continue
        count += 1
        if count > settings.max_query_terms:
            raise BadRequest(
                f"Query has too many terms (the limit is {settings.max_query_terms}).",
                hint="Remove some words; the most distinctive ones are enough.",
            )
        if isinstance(item, tuple):
            _, name, value = item
            lo, hi = _parse_date(value, False), _parse_date(value, True)
            if not (lo >= FIRST_DAY and hi <= LAST_DAY):
                raise BadRequest(
                    f"The date in {name}:{value} is outside the dates an index holds.",
                    hint=f"Use a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.",
                )
            if name in ("after", "year") and not neg:
                pq.date_from = max(filter(None, [pq.date_from, lo]))
            if name == "before" and not neg:
                hi = lo - timedelta(days=1)
            if name in ("before", "year") and not neg:
                pq.date_to = min(filter(None, [pq.date_to, hi]))
        elif neg:
            pq.excluded.append(item)
        elif pending_or:
            pq.groups[-1].append(item)
        else:
            pq.groups.append([item])
        pending_or = False
    return pq


def highlight_terms(pq: ParsedQuery) -> set[str]:
    """Return the stems a result should highlight (prefixes as "pre*"), without an index."""
    out: set[str] = set()
    for group in pq.groups:
        for c in group:
            if c.field in FILTER_FIELDS:
                continue
            out.update([c.text + "*"] if c.kind == "prefix" else index_terms(c.text))
    return out


def last_word(prefix: str) -> tuple[str, str, str] | None:
    """Split typed text into (earlier words, leading quote or minus, folded last word), or None."""
    if not prefix or prefix[-1].isspace():
        return None
    head, _, last = prefix.rpartition(" ")
    stem = fold(last).lstrip("-\"'(")
    if not stem or not re.fullmatch(r"\w+", stem):
        return None
    return head, last[: len(last) - len(last.lstrip("-\"'("))], stem


def completions(head: str, keep: str, counted: list[tuple[int, str]], limit: int) -> list[str]:
    """Return whole query strings for (frequency, word) candidates, most frequent first."""
    words = [c for c in counted if c[1] not in STOP_WORDS and len(c[1]) > 1]
    words.sort(key=lambda c: (-c[0], c[1]))
    return [f"{head} {keep}{t}".strip() for _, t in words[:limit]]
