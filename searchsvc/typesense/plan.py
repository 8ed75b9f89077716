"""A parsed query for the Typesense backend: scored groups, filters and exclusions.

The same groups as the Whoosh backend's plan (engine/plan.py): a plain word is one group per
stem, words joined by OR are one group, a group repeated in the query weighs that many times;
"phrases", prefix* and title: are leaves of their group. Filters (author/source/tag, dates,
the request's source and tag) and word exclusions become one Typesense `filter_by` (the same
on both collections); phrase exclusions are searched and their documents left out by id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from searchsvc.contract import SearchRequest
from searchsvc.ingest.sources import source_key
from searchsvc.text.analysis import fold, index_terms
from searchsvc.text.query import FILTER_FIELDS, Clause, ParsedQuery
from searchsvc.text.scoring import TEXT_FIELDS
from searchsvc.typesense.docs import EPOCH, UNDATED

KEYS = {"author": "author_key", "source": "source_key", "tag": "tags", "tags": "tags"}


@dataclass(frozen=True)
class Leaf:
    """Index terms scored together: one stem, a phrase's stems, or a prefix (kind says which)."""

    kind: str  # "term" | "phrase" | "prefix"
    fields: tuple[str, ...]  # ("title", "body") or ("title",)
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Alternatives joined by OR (one query word, or words joined by OR), scored together."""

    leaves: tuple[Leaf, ...]
    weight: float = 1.0


@dataclass
class Plan:
    """What a Typesense search runs: groups, a filter_by expression, phrases to leave out."""

    groups: list[Group] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)  # ANDed filter_by clauses
    excluded_phrases: list[Leaf] = field(default_factory=list)

    @property
    def filter_by(self) -> str:
        """Return the filters as one filter_by expression ('' for none)."""
        return " && ".join(self.filters)

    def leaves(self) -> list[Leaf]:
        """Return every distinct leaf of the groups, in query order."""
        return list(dict.fromkeys(leaf for g in self.groups for leaf in g.leaves))


def key_value(name: str, value: str) -> str:
    """Return the indexed key of a filter value: outlet names keyed as at ingest."""
    return source_key(value) if name == "source" else fold(value.replace("_", " "))


def quote(value: str) -> str:
    """Return a filter value in backticks (commas and operators inside it stay literal)."""
    return "`" + value.replace("`", "") + "`"


def ids_filter(ids) -> str:
    """Return a filter_by expression for the articles with the given ids."""
    return f"id:=[{', '.join(quote(i) for i in ids)}]"


def by_ids(ids: list[str], include: str) -> dict:
    """Return the search that fetches the given articles' `include` fields, all on one page."""
    return {"q": "*", "filter_by": ids_filter(ids), "per_page": len(ids), "include_fields": include}


def _values(terms: list[str]) -> str:
    return "[" + ", ".join(quote(t) for t in dict.fromkeys(terms)) + "]"


def has(terms: list[str]) -> str:
    """Return a filter for documents holding any of the stems."""
    return f"terms:={_values(terms)}"


def day(d: date) -> int:
    """Return the `day` field value of a date (days since 1970-01-01)."""
    return (d - EPOCH).days


def clause_leaves(clause: Clause) -> list[Leaf]:
    """Return the leaves of one text clause ([] when it has no indexable terms)."""
    fields = ("title",) if clause.field == "title" else TEXT_FIELDS
    if clause.kind == "prefix":
        return [Leaf("prefix", fields, (fold(clause.text),))]
    stems = index_terms(clause.text)
    if clause.kind == "phrase" and len(stems) > 1:
        return [Leaf("phrase", fields, tuple(stems))]
    return [Leaf("term", fields, (s,)) for s in dict.fromkeys(stems)]


def _key_filter(clauses: list[Clause]) -> str:
    """Return the filter of exact-match clauses joined by OR."""
    by: dict[str, list[str]] = {}
    for c in clauses:
        by.setdefault(KEYS[c.field], []).append(key_value(c.field, c.text))
    ors = [f"{k}:=[{', '.join(quote(v) for v in vs)}]" for k, vs in by.items()]
    return ors[0] if len(ors) == 1 else "(" + " || ".join(ors) + ")"


def plan_query(
    pq: ParsedQuery, req: SearchRequest | None = None, copies_of: str | None = None
) -> Plan:
    """Return the plan of a parsed query plus the request's own filters."""
    req = req or SearchRequest()
    plan = Plan()
    counts: Counter = Counter()
    for group in pq.groups:
        if all(c.field in FILTER_FIELDS for c in group):
            plan.filters.append(_key_filter(group))
            continue
        if len(group) == 1 and group[0].kind == "word" and group[0].field != "title":
            parts = [(Leaf("term", TEXT_FIELDS, (s,)),) for s in index_terms(group[0].text)]
        else:
            clauses = [c for c in group if c.field not in FILTER_FIELDS]
            leaves = tuple(x for c in clauses for x in clause_leaves(c))
            parts = [leaves] if leaves else []
        for leaves in parts:
            counts[leaves] += 1
    plan.groups = [Group(leaves, float(n)) for leaves, n in counts.items()]
    lo = max(filter(None, [pq.date_from, req.date_from]), default=None)
    hi = min(filter(None, [pq.date_to, req.date_to]), default=None)
    if lo or hi:
        span = f"day:[{day(lo) if lo else UNDATED + 1}..{day(hi) if hi else 99999}]"
        plan.filters.append(f"({span} || day:={UNDATED})" if req.include_undated else span)
    if req.source:
        keys = ", ".join(quote(key_value("source", s)) for s in req.source)
        plan.filters.append(f"source_key:=[{keys}]")
    if req.tag:
        keys = ", ".join(quote(fold(t.replace("_", " "))) for t in req.tag)
        plan.filters.append(f"tags:=[{keys}]")
    if copies_of is not None:
        plan.filters.append(f"dup:={quote(copies_of)}")
    words: list[str] = []
    for c in pq.excluded:
        if c.field in FILTER_FIELDS:
            plan.filters.append(f"{KEYS[c.field]}:!={quote(key_value(c.field, c.text))}")
            continue
        for leaf in clause_leaves(c):
            if leaf.kind == "phrase":
                plan.excluded_phrases.append(leaf)
            else:  # a prefix is left out as its own stem (no expansions)
                words += leaf.terms
    if words:
        plan.filters.append(f"terms:!={_values(words)}")
    return plan


def match_filter(leaves: list[Leaf], expansions: dict[Leaf, list[str]]) -> str:
    """Return a filter_by expression for documents holding any of the leaves' terms.

    A phrase is approximated by all its stems; a title: word by the stem anywhere.
    """
    terms: list[str] = []
    alls: list[str] = []
    for leaf in leaves:
        if leaf.kind == "term":
            terms += leaf.terms
        elif leaf.kind == "prefix":
            terms += expansions.get(leaf, [])
        else:
            alls.append("(" + " && ".join(has([t]) for t in leaf.terms) + ")")
    if terms:
        alls.insert(0, has(terms))
    if not alls:
        return f"id:={quote('-')}"  # nothing: an id no document has
    return alls[0] if len(alls) == 1 else "(" + " || ".join(alls) + ")"
