"""What goes into a search (SearchRequest) and what comes out (SearchPage)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from searchsvc.text.snippets import lead

SORTS = ("relevance", "newest")


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: query text, paging, sort and filters."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    tag: str | None = None
    snippets: bool = True
    facets: bool = True
    collapse: bool = True


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
    snippet: str
    similar: int = 0  # near-duplicates collapsed into this hit


@dataclass
class SearchPage:
    """The one result object that the CLI prints and the web app renders as HTML or JSON."""

    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    sort: str = "relevance"
    total_is_exact: bool = True
    timeline: list[dict] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Return the number of result pages."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict:
        """Return the JSON shape of the API (`/api/search`, `searchsvc search --json`)."""
        return asdict(self)


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


def make_hit(doc: dict, score: float = 0.0, similar: int = 0, snippet: str | None = None) -> Hit:
    """Return a Hit from a stored document of either backend (the snippet defaults to the lead)."""
    return Hit(
        id=doc["id"],
        title=doc.get("title", ""),
        url=doc.get("url", ""),
        published=iso_date(doc.get("published")),
        author=doc.get("author", ""),
        source=doc.get("source", ""),
        tags=tag_list(doc.get("tags")),
        score=round(float(score), 4),
        snippet=lead(doc.get("body", "")) if snippet is None else snippet,
        similar=similar,
    )
