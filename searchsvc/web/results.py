"""The results page's model: disjunctive facets, the undated bucket, chips, title and URLs.

Facets behave like InstantSearch refinement lists: several values of one facet are ORed, facets
are ANDed, and the counts of a facet that has a selection come from the same search without
that facet's own selection (one extra search per such facet, per_page=1 and no snippets), so the
other values stay visible with the counts they would add.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from flask import request, url_for

from searchsvc.contract import SearchPage, SearchRequest
from searchsvc.web.params import SEARCH_PARAMS

VISIBLE_OPTIONS = 8  # values a facet shows before "Show more"
DEFAULTS = {"page": "1", "sort": "relevance", "per_page": "10", "collapse": "true"}


def current_args() -> dict[str, list[str]]:
    """Return the search parameters of the current request (repeatable ones as lists)."""
    return {k: [v for v in request.args.getlist(k) if v.strip()] for k in SEARCH_PARAMS}


def search_url(fragment: str = "", base: dict | None = None, **changes) -> str:
    """Return the search URL for the current parameters with `changes` applied (None drops;
    lists for repeatable filters); any change but `page` starts again at page 1."""
    args = dict(base if base is not None else current_args())
    if any(k != "page" for k in changes):
        args["page"] = []
    if "q" in changes:
        args["autocorrect"] = []  # a new query may be corrected again
    for key, value in changes.items():
        if value is None or value == "":
            args[key] = []
        elif isinstance(value, list | tuple):
            args[key] = [str(v) for v in value]
        else:
            args[key] = [str(value)]
    pairs = [
        (k, v)
        for k in SEARCH_PARAMS
        for v in args.get(k, [])
        if not (k in DEFAULTS and v == DEFAULTS[k])
    ]
    query = urlencode(pairs)
    return url_for("views.search") + (f"?{query}" if query else "") + fragment


def state_args() -> dict[str, list[str]]:
    """Return the non-empty search parameters, for links that must come back to this page."""
    return {k: v for k, v in current_args().items() if v}


def anchor(key: str, value: str) -> str:
    """Return a stable element id for a facet value (its toggle link's target on reload)."""
    return f"f-{key}-" + hashlib.sha1(value.encode()).hexdigest()[:10]


@dataclass
class Option:
    """One value of a facet: a toggle link that adds or removes it."""

    label: str
    count: int
    selected: bool
    href: str
    id: str


@dataclass
class Facet:
    """A facet as the page shows it: its options, selected ones first."""

    key: str
    title: str
    options: list[Option]
    role: str = "checkbox"  # "radio" for the year (one year at a time)

    @property
    def visible(self) -> list[Option]:
        """Return the options shown before "Show more" (every selected one included)."""
        n = max(VISIBLE_OPTIONS, sum(o.selected for o in self.options))
        return self.options[:n]

    @property
    def hidden(self) -> list[Option]:
        """Return the options behind "Show more"."""
        return self.options[len(self.visible) :]


def facet_pages(eng, req: SearchRequest, page: SearchPage) -> dict[str, SearchPage]:
    """Return the page each facet counts from: the search without that facet's selection."""
    light = {"page": 1, "per_page": 1, "snippets": False, "facets": True}
    out = {"source": page, "tag": page, "date": page}
    if req.source:
        out["source"] = eng.search(replace(req, source=(), **light))
    if req.tag:
        out["tag"] = eng.search(replace(req, tag=(), **light))
    if req.date_from or req.date_to:
        out["date"] = eng.search(
            replace(req, date_from=None, date_to=None, include_undated=False, **light)
        )
    return out


def undated_count(page: SearchPage) -> int:
    """Return how many of a page's matching stories have no date (total minus dated)."""
    dated = sum((page.facets.get("year") or {}).values())
    return max(0, page.total - dated) if page.facets or not page.total else 0


def year_range(year: str) -> tuple[str, str]:
    """Return the first and last day of a year as ISO dates."""
    return f"{year}-01-01", f"{year}-12-31"


def build_facets(req: SearchRequest, pages: dict[str, SearchPage], undated: int) -> list[Facet]:
    """Return the source, tag and year facets with toggle links and disjunctive counts."""
    out = []
    for key, name, title, chosen in (
        ("source", "source", "Source", req.source),
        ("tag", "tags", "Section", req.tag),
    ):
        counts = dict(pages[key].facets.get(name) or {})
        for value in chosen:
            counts.setdefault(value, 0)
        options = []
        for value, n in counts.items():
            on = value in chosen
            values = [v for v in chosen if v != value] if on else [*chosen, value]
            href = search_url(f"#{anchor(key, value)}", **{key: values})
            options.append(Option(value, n, on, href, anchor(key, value)))
        options.sort(key=lambda o: (not o.selected, -o.count, o.label.casefold()))
        if options:
            out.append(Facet(key, title, options))
    years = pages["date"].facets.get("year") or {}
    selected = chosen_year(req)
    options = []
    for year, n in sorted(years.items(), reverse=True):
        on = year == selected
        lo, hi = year_range(year)
        change = {"from": None, "to": None} if on else {"from": lo, "to": hi}
        href = search_url(f"#{anchor('year', year)}", **change)
        options.append(Option(year, n, on, href, anchor("year", year)))
    if options or undated:  # the template adds the undated bucket
        out.append(Facet("year", "Year", options, role="radio"))
    return out


def chosen_year(req: SearchRequest) -> str | None:
    """Return the year when the date filter is exactly one whole year."""
    if req.date_from and req.date_to and req.date_from.year == req.date_to.year:
        y = req.date_from.year
        if (req.date_from, req.date_to) == (date(y, 1, 1), date(y, 12, 31)):
            return str(y)
    return None


def date_label(req: SearchRequest) -> str | None:
    """Return the date filter in words: 2019, 2019-01-01 to 2019-06-30, From ..., Until ..."""
    lo, hi = req.date_from, req.date_to
    if not (lo or hi):
        return None
    if chosen_year(req):
        text = chosen_year(req) or ""
    elif lo and hi:
        text = f"{lo.isoformat()} to {hi.isoformat()}"
    elif lo:
        text = f"from {lo.isoformat()}"
    else:
        text = f"until {hi.isoformat() if hi else ''}"
    return text + (", and undated" if req.include_undated else "")


def active_filters(req: SearchRequest) -> list[tuple[str, str]]:
    """Return (label, URL without it) for each filter in use; a date range is one chip."""
    out = []
    for value in req.source:
        out.append((f"Source: {value}", search_url(source=[v for v in req.source if v != value])))
    for value in req.tag:
        out.append((f"Section: {value}", search_url(tag=[v for v in req.tag if v != value])))
    when = date_label(req)
    if when:
        out.append((f"Date: {when}", search_url(**{"from": None, "to": None, "undated": None})))
    return out


def count_text(n: int, one: str = "result", many: str = "results") -> str:
    """Return '1 result' or '1,234 results'."""
    return f"{n:,} {one if n == 1 else many}"


def page_title(req: SearchRequest, page: SearchPage, last_page: int, error: str | None) -> str:
    """Return the window title: query, count, page and filters (GOV.UK style)."""
    shown_q = page.results_for or req.q
    parts = [f"‘{shown_q}’: " if shown_q else "", count_text(page.total)]
    if last_page > 1:
        parts.append(f", page {min(page.page, last_page)} of {last_page}")
    labels = [label for label, _ in active_filters(req)]
    if labels:
        parts.append(", " + ", ".join(labels))
    if req.sort == "newest":
        parts.append(", newest first")
    title = "".join(parts)
    return f"Error: {title}" if error else title
