"""The search contract: what goes into a search, what comes out, and what a backend provides.

`SearchRequest` in, `SearchPage` out; `ArticleView` and `Stats` for the other reads. Both
backends (the Whoosh engine and Typesense) implement `Engine` and `Store`; the CLI and the web
app see only these types. The OpenAPI document is derived from them (`web/openapi.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Protocol

from searchsvc.config import Settings
from searchsvc.errors import BadRequest

SORTS = ("relevance", "newest")
# User query syntax `name:value` for exact-match filters (backend-neutral names).
FILTER_NAMES = ("author", "source", "tag", "tags")
SUGGEST_BELOW = 5  # look for a spelling correction when a query finds fewer hits
TOP_TAGS = 50  # tag facet values returned per search
# Dates an index can hold (published days; a query date outside is refused as a 400).
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


@dataclass(frozen=True)
class SearchRequest:
    """A search: query text, paging, sort and filters (see `validate`)."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    source: tuple[str, ...] = ()  # any of these sources (one or several)
    tag: tuple[str, ...] = ()  # any of these tags
    include_undated: bool = False  # a date filter also keeps articles without a date
    copies_of: str | None = None  # only the copies of this article's story (itself included)
    autocorrect: bool = True  # no results as typed: show the spelling correction's instead
    snippets: bool = True
    facets: bool = True
    collapse: bool = True

    def __post_init__(self) -> None:
        for name in ("source", "tag"):  # one value may be given as a plain string
            value = getattr(self, name)
            if value is None or isinstance(value, str):
                object.__setattr__(self, name, (value,) if value else ())
            else:
                object.__setattr__(self, name, tuple(v for v in value if v))

    def validate(self, settings: Settings) -> SearchRequest:
        """Return the request unchanged when it is within the limits; raise BadRequest if not."""
        s = settings
        if self.sort not in SORTS:
            raise BadRequest(
                f"Unknown sort {self.sort!r}.", hint=f"Use one of: {', '.join(SORTS)}."
            )
        if not 1 <= self.page <= s.max_page:
            raise BadRequest(f"Page must be between 1 and {s.max_page}.")
        if not 1 <= self.per_page <= s.max_per_page:
            raise BadRequest(f"Results per page must be between 1 and {s.max_per_page}.")
        for name, day in (("from", self.date_from), ("to", self.date_to)):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise BadRequest(
                    f"The {name!r} date {day.isoformat()} is outside the dates an index holds.",
                    hint=f"Use a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.",
                )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadRequest("The start date is after the end date.", hint="Swap the two dates.")
        return self


@dataclass
class Hit:
    """One result: display fields, score and an HTML-safe snippet with <mark> around matches."""

    id: str
    title: str
    url: str
    published: str | None
    author: str
    source: str
    tags: list[str]
    score: float
    snippet: str  # HTML-escaped text with <mark> tags
    similar: int = 0  # copies of the same story folded into this hit
    similar_ids: list[str] = field(default_factory=list)  # up to 10 of them, oldest first

    @classmethod
    def from_stored(
        cls,
        doc: dict,
        score: float = 0.0,
        similar: int = 0,
        snippet: str = "",
        similar_ids: list[str] | None = None,
    ) -> Hit:
        """Return a Hit from the stored fields of an article (either backend's)."""
        return cls(
            id=doc["id"],
            title=doc.get("title") or "",
            url=doc.get("url") or "",
            published=iso_date(doc.get("published")),
            author=doc.get("author") or "",
            source=doc.get("source") or "",
            tags=tag_list(doc.get("tags")),
            score=round(float(score), 4),
            snippet=snippet,
            similar=similar,
            similar_ids=list(similar_ids or ()),
        )


PERIOD_KEYS = {"period": str, "count": int, "from": str, "to": str}


@dataclass
class SearchPage:
    """The one result object that the CLI prints and the web app renders as HTML or JSON."""

    query: str
    total: int  # matching stories (folded copies count once)
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # source, tags, year
    suggestion: str | None = None
    sort: str = "relevance"
    timeline: list[dict] = field(default_factory=list)  # Period rows, oldest first
    notes: list[str] = field(default_factory=list)  # what to know: backend differences, filters
    results_for: str | None = None  # the corrected query shown instead (absent: as typed)

    @property
    def pages(self) -> int:
        """Return the number of result pages."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict:
        """Return the JSON shape of the API (`/api/search`, `searchsvc search --json`)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["hits"] = [{f.name: getattr(h, f.name) for f in fields(h)} for h in self.hits]
        if self.results_for is None:
            del out["results_for"]  # only present when the results are a correction's
        return out


@dataclass
class ArticleView:
    """One stored article as the article page and `/api/articles/<id>` show it."""

    id: str
    title: str
    body: str  # paragraphs separated by one blank line
    published: str | None = None
    author: str = ""
    source: str = ""
    url: str = ""
    tags: list[str] = field(default_factory=list)
    summary: str = ""

    @classmethod
    def from_stored(cls, doc: dict) -> ArticleView:
        """Return the view of an article from its stored fields (either backend's)."""
        return cls(
            id=doc["id"],
            title=doc.get("title") or "",
            body=doc.get("body") or "",
            published=iso_date(doc.get("published")),
            author=doc.get("author") or "",
            source=doc.get("source") or "",
            url=doc.get("url") or "",
            tags=tag_list(doc.get("tags")),
            summary=doc.get("summary") or "",
        )

    def to_dict(self) -> dict:
        """Return the JSON shape of `/api/articles/<id>`."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class TagCount:
    """A tag and the number of articles carrying it."""

    tag: str
    count: int


@dataclass
class Stats:
    """What an index holds: size, freshness, sources, dates and the most used tags."""

    documents: int
    generation: str
    backend: str
    last_update: str | None = None  # ISO 8601, UTC
    index_bytes: int | None = None  # None where the backend cannot tell
    sources: dict[str, int] = field(default_factory=dict)
    date_span: list[str | None] = field(default_factory=lambda: [None, None])
    undated: int = 0  # live articles without a date
    top_tags: list[TagCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the JSON shape of `/api/stats` and `searchsvc stats --json`."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["top_tags"] = [{"tag": t.tag, "count": t.count} for t in self.top_tags]
        out["sources"] = dict(self.sources)
        out["date_span"] = list(self.date_span)
        return out


def iso_date(value) -> str | None:
    """Return YYYY-MM-DD for a datetime, a date or such a string, else None."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) and value else None


def tag_list(value) -> list[str]:
    """Return stored tags (a comma-separated string or a sequence) as a list."""
    if isinstance(value, str) or value is None:
        return [t for t in (value or "").split(",") if t]
    return list(value)


class Store(Protocol):
    """The live index of a backend, as the web app's health check and the CLI see it."""

    def exists(self) -> bool:
        """Return True when a complete index is live."""
        ...

    @property
    def generation(self) -> str:
        """Return the name of the live index generation (changes with every update)."""
        ...

    @property
    def version(self) -> str:
        """Return what identifies the searchable content (changes with every write): HTTP
        validators (ETags) are derived from it."""
        ...


class Engine(Protocol):
    """The search API used by the web app and the CLI; both backends implement it."""

    store: Store
    settings: Settings

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search."""
        ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return whole queries completing what was typed."""
        ...

    def article(self, article_id: str) -> ArticleView:
        """Return one article; raise NotFound for an unknown id."""
        ...

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Return articles like this one (never its near-duplicates)."""
        ...

    def newest(self, limit: int = 10) -> list[Hit]:
        """Return the most recently published articles."""
        ...

    def stats(self) -> Stats:
        """Return what the index holds."""
        ...

    def explain(self, q: str) -> str:
        """Return a printable form of the query as the backend runs it."""
        ...

    def warm(self) -> str | None:
        """Make the live index ready for its first search; return its generation, if local."""
        ...
