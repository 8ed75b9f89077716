"""The report of the query log: top, zero-result and paged queries, and search times."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

REPORT_ROWS = 20
PERCENTILES = (50, 90, 95, 99)
_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Return the instant `text` names: 7d, 12h, 30m, 2w, 90s ago, or an ISO date/time (UTC)."""
    now = now or datetime.now(UTC)
    m = _SINCE.match(text or "")
    if m:
        return now - timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a time: use 7d, 12h, 30m, 2w or a date like 2026-01-31"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def report(records: Iterable[dict], rows: int = REPORT_ROWS) -> dict:
    """Return top, zero-result and paged queries ({query, count} lists) and latency percentiles.

    A query counts once per first-page search; `paged_queries` counts requests for its pages 2
    and beyond. Searches with an empty query (filters only) count in `searches` and latency.
    """
    top: Counter[str] = Counter()
    zero: Counter[str] = Counter()
    paged: Counter[str] = Counter()
    took: list[float] = []
    first = last = None
    for r in records:
        first = first or r["ts"]
        last = r["ts"]
        took.append(float(r.get("took_ms") or 0.0))
        norm = r.get("norm") or ""
        if not norm:
            continue
        if int(r.get("page") or 1) >= 2:
            paged[norm] += 1
            continue
        top[norm] += 1
        if not r.get("hits"):
            zero[norm] += 1
    return {
        "searches": len(took),
        "first": first,
        "last": last,
        "top_queries": _rows(top, rows),
        "zero_result_queries": _rows(zero, rows),
        "paged_queries": _rows(paged, rows),
        "latency_ms": latency(took),
    }


def _rows(counts: Counter[str], rows: int) -> list[dict]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:rows]
    return [{"query": q, "count": n} for q, n in ranked]


def latency(values: list[float]) -> dict:
    """Return count, p50/p90/p95/p99 (nearest rank) and max of search times in ms."""
    ordered = sorted(values)
    out: dict = {"count": len(ordered)}
    for p in PERCENTILES:
        out[f"p{p}"] = ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else None
    out["max"] = ordered[-1] if ordered else None
    return out


def format_report(rep: dict, where: str = "") -> str:
    """Return the report as the text `searchsvc stats --queries` prints."""
    lat = rep["latency_ms"]
    span = f" ({rep['first']} .. {rep['last']})" if rep["searches"] else ""
    lines = [f"searches: {rep['searches']:,}{span}" + (f" in {where}" if where else "")]
    if lat["count"]:
        parts = [f"{k} {lat[k]:.1f}" for k in [f"p{p}" for p in PERCENTILES] + ["max"]]
        lines.append("latency ms: " + "  ".join(parts))
    for key, title in (
        ("top_queries", "top queries"),
        ("zero_result_queries", "zero-result queries"),
        ("paged_queries", "queries followed to page 2 or beyond (requests)"),
    ):
        lines.append(f"{title}:")
        lines += [f"  {row['count']:>6}  {row['query']}" for row in rep[key]] or ["  -"]
    return "\n".join(lines)
