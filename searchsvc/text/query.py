"""User query text to Whoosh queries: a forgiving tokenizer, fields, dates, and a coordinated OR."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from whoosh import query as wq

from searchsvc.config import Settings
from searchsvc.engine.ranking import TEXT_FIELDS, CoordOr
from searchsvc.errors import BadRequest
from searchsvc.text.analysis import english_analyzer, fold

FILTER_FIELDS = {"author": "author_key", "source": "source_key", "tag": "tags", "tags": "tags"}
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
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value)
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    try:
        if d:
            return date(y, mo, d)
        if mo:
            first = date(y, mo, 1)
            return (
                (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
                if end
                else first
            )
        return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError:
        return None


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


def _stems(text: str) -> list[str]:
    """Return the analysed (stemmed, stop-word-free) terms of text."""
    return [t.text for t in english_analyzer()(text)]


def _expand_prefix(reader, fieldname: str, prefix: str) -> list[str]:
    """Return up to PREFIX_CAP indexed terms starting with prefix, most frequent first."""
    found = []
    for i, term in enumerate(reader.expand_prefix(fieldname, prefix)):
        if i >= PREFIX_CAP * 20:
            break
        found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
    found.sort(key=lambda t: -reader.doc_frequency(fieldname, t))
    return found[:PREFIX_CAP]


def _key_terms(reader, fieldname: str, value: str) -> list[str]:
    """Return index terms for an exact-match field: the folded value, else keys containing it."""
    key = fold(value.replace("_", " "))
    if not key:
        return []
    if fieldname == "tags" or reader.doc_frequency(fieldname, key):
        return [key]
    pat = re.compile(r"\b" + re.escape(key) + r"\b")
    return [t for t in reader.field_terms(fieldname) if pat.search(t)][:PREFIX_CAP]


def clause_query(clause: Clause, reader) -> wq.Query | None:
    """Return the Whoosh query for one clause (None when it has no indexable terms)."""
    if clause.field in FILTER_FIELDS:
        fname = FILTER_FIELDS[clause.field]
        keys = _key_terms(reader, fname, clause.text)
        return wq.Or([wq.Term(fname, k) for k in keys]) if keys else wq.NullQuery
    fields = ("title",) if clause.field == "title" else TEXT_FIELDS
    if clause.kind == "prefix":
        terms = [(f, t) for f in fields for t in _expand_prefix(reader, f, fold(clause.text))]
        return wq.Or([wq.Term(f, t) for f, t in terms]) if terms else wq.NullQuery
    stems = _stems(clause.text)
    if not stems:
        return None
    if clause.kind == "phrase" and len(stems) > 1:
        return wq.Or([wq.Phrase(f, stems) for f in fields])
    return wq.Or([wq.Term(f, s) for f in fields for s in stems])


def positive_terms(pq: ParsedQuery, reader=None) -> set[str]:
    """Return the stems a result should highlight (prefixes expanded when a reader is given)."""
    out: set[str] = set()
    for group in pq.groups:
        for c in group:
            if c.field in FILTER_FIELDS:
                continue
            if c.kind == "prefix":
                out.update(_expand_prefix(reader, "body", c.text) if reader else [c.text + "*"])
            else:
                out.update(_stems(c.text))
    return out


@dataclass
class BuiltQuery:
    """What search() runs: a scored coordinated OR, a required filter and an exclusion mask."""

    scored: wq.Query | None
    filter: wq.Query | None
    mask: wq.Query | None

    def __str__(self) -> str:
        return "\n".join(
            f"{name}: {q}"
            for name, q in (
                ("MATCH", self.scored or "ALL"),
                ("FILTER", self.filter),
                ("EXCLUDE", self.mask),
            )
            if q is not None
        )


def build(
    pq: ParsedQuery, reader, date_from=None, date_to=None, source=None, tag=None
) -> BuiltQuery:
    """Return the Whoosh queries for a parsed query plus the request's own filters."""
    groups: Counter = Counter()
    order: dict = {}
    required: list[wq.Query] = []
    for group in pq.groups:
        if all(c.field in FILTER_FIELDS for c in group):
            required.append(wq.Or([clause_query(c, reader) for c in group]))
            continue
        if len(group) == 1 and group[0].kind == "word" and group[0].field != "title":
            parts = [wq.Or([wq.Term(f, s) for f in TEXT_FIELDS]) for s in _stems(group[0].text)]
        else:
            subs = [q for q in (clause_query(c, reader) for c in group) if q is not None]
            parts = [wq.Or(subs)] if subs else []
        for p in parts:
            key = str(p)
            groups[key] += 1
            order.setdefault(key, p)
    lo = max(filter(None, [pq.date_from, date_from]), default=None)
    hi = min(filter(None, [pq.date_to, date_to]), default=None)
    if lo or hi:
        start = datetime.combine(lo, time()) if lo else None
        end = datetime.combine(hi + timedelta(days=1), time()) if hi else None
        required.append(wq.DateRange("published", start, end, endexcl=True))
    if source:
        required.append(clause_query(Clause("word", source, "source"), reader))
    if tag:
        required.append(clause_query(Clause("word", tag, "tag"), reader))
    excluded = [q for q in (clause_query(c, reader) for c in pq.excluded) if q is not None]
    scored = CoordOr([(order[k], float(n)) for k, n in groups.items()]) if groups else None
    return BuiltQuery(
        scored=scored,
        filter=(required[0] if len(required) == 1 else wq.And(required)) if required else None,
        mask=wq.Or(excluded) if excluded else None,
    )
