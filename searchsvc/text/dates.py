"""Dates in queries and results: partial dates as day ranges, and timeline periods."""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTHLY_SPAN_DAYS = 731  # a timeline is per month when its dates span at most ~2 years
MAX_PERIODS = 600
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def period_bounds(text: str) -> tuple[date, date] | None:
    """Return the first and last day of YYYY, YYYY-MM or YYYY-MM-DD; None if it is not one."""
    m = _PARTIAL.fullmatch(text.strip())
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    try:
        if d:
            day = date(y, mo, d)
            return day, day
        if mo:
            return date(y, mo, 1), month_end(y, mo)
        return date(y, 1, 1), date(y, 12, 31)
    except ValueError:  # year 0, month 13, 31 February...
        return None


def periods(first: date, monthly: bool, counts: dict[tuple[int, int], int]) -> list[dict]:
    """Return timeline rows from the period of `first` to the last period counted.

    `counts` maps (year, month) to a count, month 0 for whole years; every period in between
    gets a row (count 0 where nothing matched): {period, count, from, to}.
    """
    if not counts:
        return []
    last = max(counts)
    y, m = (first.year, first.month) if monthly else (first.year, 0)
    out: list[dict] = []
    while (y, m) <= last and len(out) < MAX_PERIODS:
        start, end = (date(y, m, 1), month_end(y, m)) if m else (date(y, 1, 1), date(y, 12, 31))
        out.append(
            {
                "period": f"{y}-{m:02d}" if m else str(y),
                "count": counts.get((y, m), 0),
                "from": start.isoformat(),
                "to": end.isoformat(),
            }
        )
        y, m = (y + (m == 12), m % 12 + 1) if monthly else (y + 1, 0)
    return out


def timeline(day_counts: dict[date, int]) -> list[dict]:
    """Return per-year (or, for spans up to ~2 years, per-month) counts of dated matches."""
    if not day_counts:
        return []
    lo, hi = min(day_counts), max(day_counts)
    monthly = (hi - lo).days <= MONTHLY_SPAN_DAYS
    counts: dict[tuple[int, int], int] = {}
    for d, n in day_counts.items():
        key = (d.year, d.month) if monthly else (d.year, 0)
        counts[key] = counts.get(key, 0) + n
    return periods(lo, monthly, counts)
