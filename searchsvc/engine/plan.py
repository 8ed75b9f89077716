"""A parsed query made concrete for one index: scored groups, required filters, exclusions.

The plan names index terms only (stems, prefix expansions, exact-match keys): ranking reads
them as posting arrays, and the filters and exclusions become document sets the same way.
`str(plan)` is what `searchsvc search --explain` prints.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from searchsvc.contract import SearchRequest
from searchsvc.errors import BadRequest
from searchsvc.text.analysis import fold, index_terms
from searchsvc.text.query import Clause, ParsedQuery
from searchsvc.text.scoring import SHORT_QUERY, TEXT_FIELDS

# User filter names -> the exact-match index fields they search.
KEY_FIELDS = {"author": "author_key", "source": "source_key", "tag": "tags", "tags": "tags"}
PREFIX_CAP = 50  # most frequent expansions kept for one prefix*
PREFIX_SCAN = PREFIX_CAP * 20  # lexicon entries looked at for one prefix
EXPANSION_BUDGET = 400  # expansions for all the prefixes of one query (shared out evenly)
MAX_PHRASES = 20  # phrases in one query (each one reads positions)


@dataclass(frozen=True)
class Leaf:
    """Index terms read together: a term, a phrase, prefix expansions, or exact-match keys.

    kind "term": one stem in `fields`; "phrase": stems in order; "any": expansions of a
    prefix (scored as their sum); "key": exact-match values (matched, never scored);
    "source": an outlet name as typed, matched by its canonical name (engine/sources.py).
    """

    kind: str
    fields: tuple[str, ...]
    terms: tuple[str, ...]

    def __str__(self) -> str:
        if not self.terms:
            return "NOTHING"
        if self.kind == "phrase":
            text = " ".join(self.terms)
            return " OR ".join(f'{f}:"{text}"' for f in self.fields)
        return " OR ".join(f"{f}:{t}" for t in self.terms for f in self.fields)


@dataclass(frozen=True)
class Group:
    """Alternatives joined by OR (one query word, or words joined by OR), scored together."""

    leaves: tuple[Leaf, ...]
    weight: float = 1.0  # how many times the query repeats the group

    def __str__(self) -> str:
        inner = " OR ".join(str(leaf) for leaf in self.leaves)
        return f"({inner})" + (f"^{self.weight:g}" if self.weight != 1 else "")


@dataclass(frozen=True)
class DateRange:
    """Published between two days, both inclusive (None: open); or undated, if asked."""

    lo: date | None
    hi: date | None
    undated: bool = False

    def __str__(self) -> str:
        lo = self.lo.isoformat() if self.lo else ""
        hi = self.hi.isoformat() if self.hi else ""
        return f"published:[{lo}..{hi}]" + (" OR undated" if self.undated else "")


@dataclass(frozen=True)
class CopiesOf:
    """The copies of one article's story (the article itself included)."""

    article_id: str

    def __str__(self) -> str:
        return f"copies_of:{self.article_id}"


@dataclass
class QueryPlan:
    """What a search runs: scored groups, required filters (ANDed) and exclusions."""

    groups: list[Group] = field(default_factory=list)
    required: list[tuple[Leaf, ...] | DateRange | CopiesOf] = field(default_factory=list)
    excluded: list[Leaf] = field(default_factory=list)
    highlight: set[str] = field(default_factory=set)  # stems (and expansions) for snippets

    def __str__(self) -> str:
        mode = "tiered" if len(self.groups) <= SHORT_QUERY else "summed"
        lines = [f"MATCH: Coord[{mode}]({' '.join(str(g) for g in self.groups)})"]
        if not self.groups:
            lines = ["MATCH: ALL"]
        if self.required:
            parts = [_any(r) if isinstance(r, tuple) else str(r) for r in self.required]
            lines.append("FILTER: " + " AND ".join(parts))
        if self.excluded:
            lines.append("EXCLUDE: " + " OR ".join(f"({leaf})" for leaf in self.excluded))
        return "\n".join(lines)


def _any(leaves: tuple[Leaf, ...]) -> str:
    return "(" + " OR ".join(str(leaf) for leaf in leaves) + ")"


def expand_prefix(lexicon, fieldname: str, prefix: str, cap: int = PREFIX_CAP) -> list[str]:
    """Return up to `cap` indexed terms starting with prefix, most frequent first."""
    fast = getattr(lexicon, "prefix_terms", None)
    if fast is not None and (got := fast(fieldname, prefix, cap)) is not None:
        return got
    found = []
    for i, term in enumerate(lexicon.expand_prefix(fieldname, prefix)):
        if i >= PREFIX_SCAN:
            break
        found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
    found.sort(key=lambda t: -lexicon.doc_frequency(fieldname, t))
    return found[:cap]


def key_terms(lexicon, fieldname: str, value: str) -> list[str]:
    """Return index terms for an exact-match field: the folded value, else keys containing it."""
    key = fold(value.replace("_", " "))
    if not key:
        return []
    if fieldname == "tags" or lexicon.doc_frequency(fieldname, key):
        return [key]
    pat = re.compile(r"\b" + re.escape(key) + r"\b")
    return [t for t in lexicon.field_terms(fieldname) if pat.search(t)][:PREFIX_CAP]


def clause_leaves(clause: Clause, lexicon, cap: int = PREFIX_CAP) -> list[Leaf]:
    """Return the leaves of one clause ([] when it has no indexable terms).

    `cap`: the most expansions a prefix may have (the query's budget shared out).
    """
    if clause.field == "source":
        return [Leaf("source", ("source",), (clause.text,))]
    if clause.field in KEY_FIELDS:
        fname = KEY_FIELDS[clause.field]
        return [Leaf("key", (fname,), tuple(key_terms(lexicon, fname, clause.text)))]
    fields = ("title",) if clause.field == "title" else TEXT_FIELDS
    if clause.kind == "prefix":
        terms = {t: None for f in fields for t in expand_prefix(lexicon, f, fold(clause.text), cap)}
        return [Leaf("any", fields, tuple(terms))]
    stems = index_terms(clause.text)
    if clause.kind == "phrase" and len(stems) > 1:
        return [Leaf("phrase", fields, tuple(stems))]
    return [Leaf("term", fields, (s,)) for s in dict.fromkeys(stems)]


def plan_query(pq: ParsedQuery, lexicon, req: SearchRequest | None = None) -> QueryPlan:
    """Return the plan of a parsed query plus the request's own filters, for one index."""
    req = req or SearchRequest()
    clauses = [c for g in pq.groups for c in g] + pq.excluded
    phrases = sum(1 for c in clauses if c.kind == "phrase")
    if phrases > MAX_PHRASES:
        raise BadRequest(
            f"Query has {phrases} phrases (the limit is {MAX_PHRASES}).",
            hint="Quote only the word groups that must stand together.",
        )
    prefixes = sum(1 for c in clauses if c.kind == "prefix")
    cap = max(1, min(PREFIX_CAP, EXPANSION_BUDGET // max(1, prefixes)))
    plan = QueryPlan()
    counts: Counter = Counter()
    for group in pq.groups:
        if all(c.field in KEY_FIELDS for c in group):
            plan.required.append(tuple(x for c in group for x in clause_leaves(c, lexicon)))
            continue
        if len(group) == 1 and group[0].kind == "word" and group[0].field != "title":
            # a group per stem: "U.S.-Japan" is two words, each with its own weight
            parts = [(Leaf("term", TEXT_FIELDS, (s,)),) for s in index_terms(group[0].text)]
        else:
            leaves = tuple(x for c in group for x in clause_leaves(c, lexicon, cap))
            parts = [leaves] if leaves else []
        for leaves in parts:
            counts[leaves] += 1
    plan.groups = [Group(leaves, float(n)) for leaves, n in counts.items()]
    lo = max(filter(None, [pq.date_from, req.date_from]), default=None)
    hi = min(filter(None, [pq.date_to, req.date_to]), default=None)
    if lo or hi:
        plan.required.append(DateRange(lo, hi, req.include_undated))
    for name, values in (("source", req.source), ("tag", req.tag)):
        if values:  # any of the values
            leaves = (x for v in values for x in clause_leaves(Clause("word", v, name), lexicon))
            plan.required.append(tuple(leaves))
    if req.copies_of:
        plan.required.append(CopiesOf(req.copies_of))
    plan.excluded = [x for c in pq.excluded for x in clause_leaves(c, lexicon, cap) if x.terms]
    plan.highlight = highlight_terms(pq, lexicon, cap)
    return plan


def highlight_terms(pq: ParsedQuery, lexicon, cap: int = PREFIX_CAP) -> set[str]:
    """Return the stems a result should highlight, prefixes expanded over the body's terms."""
    out: set[str] = set()
    for group in pq.groups:
        for c in group:
            if c.field in KEY_FIELDS:
                continue
            if c.kind == "prefix":
                out.update(expand_prefix(lexicon, "body", c.text, cap))
            else:
                out.update(index_terms(c.text))
    return out
