"""Facet counts, timeline and near-duplicate keys over a whole result set, from cached columns."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from whoosh.util.times import long_to_datetime

MONTHLY_SPAN_DAYS = 731  # timeline per month when the result dates span at most ~2 years
TOP_TAGS = 50


def _month_end(y: int, m: int) -> date:
    return date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)


def timeline(day_counts: dict[date, int]) -> list[dict]:
    """Return per-year (or, for spans up to ~2 years, per-month) counts with period bounds."""
    if not day_counts:
        return []
    lo, hi = min(day_counts), max(day_counts)
    monthly = (hi - lo).days <= MONTHLY_SPAN_DAYS
    counts: dict[tuple, int] = {}
    for d, n in day_counts.items():
        key = (d.year, d.month) if monthly else (d.year, 0)
        counts[key] = counts.get(key, 0) + n
    keys, (y, m) = [], ((lo.year, lo.month) if monthly else (lo.year, 0))
    while (y, m) <= max(counts) and len(keys) < 600:
        keys.append((y, m))
        y, m = (y + (m == 12), m % 12 + 1) if monthly else (y + 1, 0)
    out = []
    for y, m in keys:
        start = date(y, m or 1, 1)
        end = _month_end(y, m) if m else date(y, 12, 31)
        period = f"{y}-{m:02d}" if m else str(y)
        out.append(
            {
                "period": period,
                "count": counts.get((y, m), 0),
                "from": start.isoformat(),
                "to": end.isoformat(),
            }
        )
    return out


def columns(reader) -> dict[str, list]:
    """Return per-document dup key, source, raw date and tags; built once, cached on the reader."""
    cache = reader.__dict__.get("_searchsvc_columns")
    if cache is None:
        n = reader.doc_count_all()

        def col(name: str, translate: bool = True) -> list:
            if not reader.has_column(name):
                return [None] * n
            return list(reader.column_reader(name, translate=translate))

        tags: list[tuple] = [()] * n
        for term in reader.lexicon("tags"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            for d in reader.postings("tags", text).all_ids():
                tags[d] = (*tags[d], text)
        cache = {"dup": col("dup"), "source": col("source"), "day": col("published", False)}
        cache["tags"] = tags
        reader.__dict__["_searchsvc_columns"] = cache
    return cache


def facets_and_timeline(cols: dict, docs: list[int]) -> tuple[dict, list]:
    """Return ({source, tags, year: {value: count}}, timeline) over all matching documents."""

    def ordered(c: Counter) -> dict:
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    source, day_raw = cols["source"], cols["day"]
    sources = Counter(source[d] for d in docs if source[d])
    tags = Counter(t for d in docs for t in cols["tags"][d])
    days: dict[date, int] = {}
    for raw, n in Counter(day_raw[d] for d in docs).items():
        try:
            day = long_to_datetime(raw).date()
        except (OverflowError, TypeError, ValueError):
            continue  # undated documents carry the column's out-of-range default
        days[day] = days.get(day, 0) + n
    years: Counter = Counter()
    for d, n in days.items():
        years[str(d.year)] += n
    facets = {
        "source": ordered(sources),
        "tags": dict(list(ordered(tags).items())[:TOP_TAGS]),
        "year": dict(sorted(years.items(), reverse=True)),
    }
    return facets, timeline(days)
