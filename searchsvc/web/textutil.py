"""Small helpers for the views: completions, pagination, timeline bars, URLs."""

from __future__ import annotations

import calendar
import re
from datetime import date
from urllib.parse import urlsplit

from searchsvc.text.snippets import opening


def complete_query(engine, q: str, limit: int) -> list[str]:
    """Return distinct whole-query completions of what was typed so far."""
    if not q.strip():
        return []
    out: list[str] = []
    for text in engine.suggest(q, limit=limit):
        if text not in out and text.casefold() != q.strip().casefold():
            out.append(text)
    return out[:limit]


def page_window(current: int, last: int, width: int = 2) -> list[int | None]:
    """Return page numbers to show around `current`, with None where pages are skipped."""
    wanted = {1, last, *range(current - width, current + width + 1)}
    pages = sorted(p for p in wanted if 1 <= p <= last)
    out: list[int | None] = []
    for p in pages:
        if out and p - (out[-1] or 0) > 1:
            out.append(None)
        out.append(p)
    return out


def period_range(period: str) -> tuple[str, str] | None:
    """Return (from, to) ISO dates for a period label like 1987, 1987-03 or 1987-03-02."""
    try:
        if re.fullmatch(r"\d{4}", period):
            y = int(period)
            return date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}", period):
            y, m = map(int, period.split("-"))
            end = calendar.monthrange(y, m)[1]
            return date(y, m, 1).isoformat(), date(y, m, end).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
            return period, period
    except ValueError:
        return None
    return None


def timeline_bars(timeline: list[dict], req=None, undated: int = 0) -> list[dict]:
    """Return bars {label, count, from, to, pct, height, on} from SearchPage.timeline entries,
    then an "Undated" bar for the matches without a date, all on one honest scale."""
    bars = []
    lo = req.date_from.isoformat() if req is not None and req.date_from else None
    hi = req.date_to.isoformat() if req is not None and req.date_to else None
    for entry in timeline or ():
        label = str(
            entry.get("period") or entry.get("label") or entry.get("key") or entry.get("from", "")
        )
        count = int(entry.get("count", 0) or 0)
        start, end = entry.get("from"), entry.get("to")
        if not (start and end):
            start, end = period_range(label) or (None, None)
        on = bool(
            start and end and (lo or hi) and (not lo or end >= lo) and (not hi or start <= hi)
        )
        bars.append({"label": label, "count": count, "from": start, "to": end, "on": on})
    if undated and bars:
        on = bool(req is not None and req.include_undated and (lo or hi))
        bars.append({"label": "Undated", "count": undated, "from": None, "to": None, "on": on})
    top = max((b["count"] for b in bars), default=0) or 1
    for b in bars:
        b["pct"] = round(100 * b["count"] / top) if b["count"] else 0
        # Heights come from CSS classes h0..h100 (the CSP forbids inline styles); any match shows.
        b["height"] = f"h{max(5, round(b['pct'] / 5) * 5)}" if b["count"] else "h0"
    return bars


def safe_url(url: str | None) -> str | None:
    """Return `url` when it is an absolute http(s) URL, else None (never javascript: etc.)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", url):
        return url
    return None


PAGE_CHARS = 200_000  # an article page shows this much of a very long body


def shown_paragraphs(body: str, limit: int = PAGE_CHARS) -> tuple[list[str], bool]:
    """Return the paragraphs an article page shows (about `limit` characters), and if cut."""
    paras = paragraphs(body)
    shown, total = [], 0
    for p in paras:
        if total + len(p) > limit:
            break
        shown.append(p)
        total += len(p)
    if not shown and paras:  # one huge first paragraph: its opening
        return [opening(paras[0], limit) + "…"], True
    return shown, len(shown) < len(paras)


def paragraphs(body: str) -> list[str]:
    """Split an article body into paragraphs on blank lines (or single newlines)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", body or "")]
    parts = [p for p in parts if p]
    if len(parts) == 1 and "\n" in parts[0]:
        parts = [p.strip() for p in parts[0].split("\n") if p.strip()]
    return parts
