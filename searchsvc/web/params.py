"""Parse query-string parameters into a SearchRequest: strictly for the API (400 on anything
bad), forgivingly for the HTML page (clamped paging, a date error shown next to the form)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from searchsvc.config import Settings
from searchsvc.contract import FIRST_DAY, LAST_DAY, SORTS, SearchRequest
from searchsvc.errors import BadRequest

DEFAULT_PER_PAGE = 10
MAX_FILTER_CHARS = 200
MAX_FILTER_VALUES = 50  # values of one repeatable filter (source=a&source=b...)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^[0-9]{1,9}$")
# Article ids: letters of any script, digits, marks and . _ - from file names (model.make_id),
# or what a JSON Lines file or the write API names; never a slash, a control character or "..".
ID_PATTERN = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,300}$")
SEARCH_PARAMS = (
    "q",
    "page",
    "per_page",
    "sort",
    "from",
    "to",
    "source",
    "tag",
    "undated",
    "collapse",
    "copies_of",
    "autocorrect",
)


def _text(args: Mapping[str, str], name: str, limit: int) -> str:
    value = args.get(name, "") or ""
    if "\x00" in value:
        raise BadRequest(f"Parameter {name!r} must not contain NUL bytes.")
    if len(value) > limit:
        raise BadRequest(
            f"Parameter {name!r} is too long ({len(value)} characters; the limit is {limit})."
        )
    return value.strip()


def _int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if raw == "":
        return default
    if not _INT.match(raw):
        raise BadRequest(f"Parameter {name!r} must be a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"Parameter {name!r} must be between {low} and {high} (got {value}).")
    return value


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if raw == "":
        return None
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"Parameter {name!r} must be a date written YYYY-MM-DD.", hint="For example 1987-03-01."
        ) from None


def parse_search(args: Mapping[str, str], settings: Settings) -> SearchRequest:
    """Return the SearchRequest for these query parameters, or raise BadRequest."""
    for key, value in args.items():
        if "\x00" in key or "\x00" in (value or ""):
            raise BadRequest("Parameters must not contain NUL bytes.")
    q = _text(args, "q", settings.max_query_chars)
    page = _int(args, "page", 1, 1, settings.max_page)
    per_page = _int(args, "per_page", DEFAULT_PER_PAGE, 1, settings.max_per_page)
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise BadRequest(f"Parameter 'sort' must be one of: {', '.join(SORTS)}.")
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest("The 'from' date must not be after the 'to' date.")
    return SearchRequest(
        q=q,
        page=page,
        per_page=per_page,
        sort=sort,
        date_from=date_from,
        date_to=date_to,
        source=_values(args, "source"),
        tag=_values(args, "tag"),
        include_undated=_flag(args, "undated", False),
        copies_of=_text(args, "copies_of", 300) or None,
        autocorrect=_flag(args, "autocorrect", True),
        collapse=_flag(args, "collapse", True),
    ).validate(settings)


def _values(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Return the distinct values of a repeatable filter parameter (source=a&source=b)."""
    raw = args.getlist(name) if hasattr(args, "getlist") else [args.get(name) or ""]
    if len(raw) > MAX_FILTER_VALUES:
        raise BadRequest(
            f"Parameter {name!r} is given too often (the limit is {MAX_FILTER_VALUES})."
        )
    out: dict[str, None] = {}
    for value in raw:
        value = (value or "").strip()
        if len(value) > MAX_FILTER_CHARS:
            raise BadRequest(
                f"Parameter {name!r} is too long ({len(value)} characters; "
                f"the limit is {MAX_FILTER_CHARS})."
            )
        if value:
            out[value] = None
    return tuple(out)


def _flag(args: Mapping[str, str], name: str, default: bool) -> bool:
    """Return a yes/no parameter: 1/true/yes/on or 0/false/no/off (else a 400)."""
    raw = (args.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"Parameter {name!r} must be true or false.")


def parse_suggest(args: Mapping[str, str], settings: Settings) -> str:
    """Return the validated prefix of a suggestion request."""
    return _text(args, "q", settings.max_query_chars)


def valid_id(article_id: str) -> bool:
    """Return True when `article_id` could be an article id (no slashes, no dot-dot)."""
    return (
        bool(ID_PATTERN.match(article_id)) and ".." not in article_id and article_id.isprintable()
    )


def has_filters(req: SearchRequest) -> bool:
    """Return True when the request narrows by date, source or tag."""
    return bool(req.date_from or req.date_to or req.source or req.tag or req.copies_of)


@dataclass
class PageArgs:
    """What the HTML search page makes of its parameters: the request it can run, the
    parameters it had to correct (the page redirects to them) and a date error to show."""

    req: SearchRequest
    fixes: dict[str, str] = field(default_factory=dict)  # parameter -> corrected value ("" drops)
    date_error: str | None = None
    date_field: str | None = None  # "from" or "to": the field the error belongs to
    date_input: dict[str, str] = field(default_factory=dict)  # as typed, kept in the form

    def input_type(self, name: str) -> str:
        """Return "date" for a date field, or "text" when its input is no date (a date input
        would blank it, and the user's text must stay in the form)."""
        raw = self.date_input.get(name, "")
        if not raw:
            return "date"
        try:
            return "date" if _DATE.match(raw) and date.fromisoformat(raw) else "text"
        except ValueError:
            return "text"


def _lenient_int(args, name: str, default: int, low: int, high: int, fixes: dict) -> int:
    raw = (args.get(name) or "").strip()
    if raw == "":
        return default
    value = int(raw) if re.fullmatch(r"-?[0-9]{1,9}", raw) else default
    clamped = min(max(value, low), high)
    if str(clamped) != raw:
        fixes[name] = "" if clamped == default else str(clamped)
    return clamped


def _lenient_flag(args, name: str, default: bool, fixes: dict) -> bool:
    try:
        return _flag(args, name, default)
    except BadRequest:
        fixes[name] = ""
        return default


def _page_dates(args: Mapping[str, str], out: PageArgs) -> tuple[date | None, date | None]:
    """Return the valid date range, or (None, None) with out.date_error set."""
    raw = {name: (args.get(name) or "").strip()[:MAX_FILTER_CHARS] for name in ("from", "to")}
    out.date_input = raw
    days: dict[str, date | None] = {}
    labels = {"from": "From", "to": "To"}
    for name in ("from", "to"):
        try:
            days[name] = _date(args, name)
        except BadRequest:
            out.date_error = f"‘{labels[name]}’ must be a real date, like 2005-03-01."
            out.date_field = name
            return None, None
        day = days[name]
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            out.date_error = (
                f"‘{labels[name]}’ must be between {FIRST_DAY.isoformat()} "
                f"and {LAST_DAY.isoformat()}."
            )
            out.date_field = name
            return None, None
    if days["from"] and days["to"] and days["from"] > days["to"]:
        out.date_error = "‘From’ must be the same as or before ‘To’."
        out.date_field = "from"
        return None, None
    return days["from"], days["to"]


def parse_page(args: Mapping[str, str], settings: Settings) -> PageArgs:
    """Return the HTML page's reading of its parameters: paging and sort are clamped (listed in
    `fixes`), a bad date range becomes a message; NULs and oversized text are still a 400."""
    for key, value in args.items():
        if "\x00" in key or "\x00" in (value or ""):
            raise BadRequest("Parameters must not contain NUL bytes.")
    fixes: dict[str, str] = {}
    q = _text(args, "q", settings.max_query_chars)
    page = _lenient_int(args, "page", 1, 1, settings.max_page, fixes)
    per_page = _lenient_int(args, "per_page", DEFAULT_PER_PAGE, 1, settings.max_per_page, fixes)
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        fixes["sort"] = ""
        sort = "relevance"
    out = PageArgs(req=SearchRequest(), fixes=fixes)
    date_from, date_to = _page_dates(args, out)
    out.req = SearchRequest(
        q=q,
        page=page,
        per_page=per_page,
        sort=sort,
        date_from=date_from,
        date_to=date_to,
        source=_values(args, "source"),
        tag=_values(args, "tag"),
        include_undated=_lenient_flag(args, "undated", False, fixes),
        collapse=_lenient_flag(args, "collapse", True, fixes),
        copies_of=_text(args, "copies_of", 300) or None,
        autocorrect=_lenient_flag(args, "autocorrect", True, fixes),
    ).validate(settings)
    return out
