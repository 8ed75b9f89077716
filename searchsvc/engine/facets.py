"""Facet counts, timeline and near-duplicate keys over a whole result set, from cached columns."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from whoosh import query as wq
from whoosh.columns import TranslatingColumnReader
from whoosh.util.times import long_to_datetime

from searchsvc.engine.w3.postings import posting_ids

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
    return _periods(lo, monthly, counts)


def _periods(lo: date, monthly: bool, counts: dict[tuple, int]) -> list[dict]:
    """Return the timeline rows from the first period (of `lo`) to the last one counted."""
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


def _day(raw) -> date | None:
    """Return the date of a raw `published` column value (None for the undated default)."""
    try:
        return long_to_datetime(raw).date()
    except (OverflowError, TypeError, ValueError):
        return None


def _codes(values: list) -> tuple[np.ndarray, list]:
    """Return (int32 code per document, distinct values by code) of a per-document column."""
    index: dict = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, len(values))
    return codes, list(index)


def columns(reader) -> dict:
    """Return per-document codes of dup key, source, date and tag set (cached on the reader).

    Each column is an int32 array of codes over all documents plus its list of distinct values
    (`<name>_values`), so counting over a match set is one numpy bincount.
    """
    cache = reader.__dict__.get("_searchsvc_columns")
    if cache is None:
        n = reader.doc_count_all()

        def col(name: str, translate: bool = True) -> list:
            # Per segment: a segment with no value for a field (e.g. only undated articles
            # added by an update) has no column, and Whoosh's joined column comes out short.
            out: list = []
            for leaf, _offset in reader.leaf_readers():
                if not leaf.has_column(name):
                    out.extend([None] * leaf.doc_count_all())
                    continue
                cr = leaf.column_reader(name, translate=translate)
                if isinstance(cr, TranslatingColumnReader):  # translate each distinct value once
                    raw = list(cr.raw_column())
                    memo = {v: cr._translate(v) for v in set(raw)}
                    out.extend(map(memo.__getitem__, raw))
                else:
                    out.extend(cr)
            return out

        tags: list[tuple] = [()] * n
        for term in reader.lexicon("tags"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            for d in posting_ids(reader, "tags", text):
                tags[d] = (*tags[d], text)
        raw_days = col("published", False)
        days = {raw: _day(raw) for raw in set(raw_days)}
        cache = {}
        cache["dup"], dup_values = _codes(col("dup"))
        cache["dup_count"] = len(dup_values)
        cache["source"], cache["source_values"] = _codes(col("source"))
        cache["day"], cache["day_values"] = _codes([days[raw] for raw in raw_days])
        dated = [d or date.min for d in cache["day_values"]]  # date.min: undated, never counted
        cache["day_ord"] = np.array([d.toordinal() for d in dated], dtype=np.int64)
        cache["day_year"] = np.array([d.year for d in dated], dtype=np.int64)
        cache["day_month"] = np.array([d.year * 12 + d.month - 1 for d in dated], dtype=np.int64)
        cache["day_dated"] = np.array([d is not None for d in cache["day_values"]], dtype=bool)
        cache["tag_sig"], cache["tag_sets"] = _codes(tags)
        # tag codes in name order; (tag set, tag) pairs spread a count per set over its tags
        cache["tag_values"] = sorted({t for combo in cache["tag_sets"] for t in combo})
        code = {t: i for i, t in enumerate(cache["tag_values"])}
        pairs = [(sig, code[t]) for sig, combo in enumerate(cache["tag_sets"]) for t in combo]
        cache["pair_sig"] = np.array([p[0] for p in pairs], dtype=np.int64)
        cache["pair_tag"] = np.array([p[1] for p in pairs], dtype=np.int64)
        reader.__dict__["_searchsvc_columns"] = cache
    return cache


def count(codes: np.ndarray, docs: np.ndarray, values: list) -> dict:
    """Return {value: how many of docs have it} for a coded column (zero counts left out)."""
    got = np.bincount(codes[docs], minlength=len(values))
    nz = np.flatnonzero(got)
    return dict(zip([values[i] for i in nz.tolist()], got[nz].tolist(), strict=True))


def facets_and_timeline(cols: dict, docs: np.ndarray) -> tuple[dict, list]:
    """Return ({source, tags, year: {value: count}}, timeline) over all matching documents."""
    sources = count(cols["source"], docs, cols["source_values"])
    sources.pop("", None)
    sources.pop(None, None)
    per_set = np.bincount(cols["tag_sig"][docs], minlength=len(cols["tag_sets"]))
    per_tag = np.bincount(
        cols["pair_tag"], weights=per_set[cols["pair_sig"]], minlength=len(cols["tag_values"])
    )
    used = np.flatnonzero(per_tag)
    best = used[np.lexsort((used, -per_tag[used]))][:TOP_TAGS]  # by count, then name
    per_day = np.bincount(cols["day"][docs], minlength=len(cols["day_values"]))
    per_day[~cols["day_dated"]] = 0
    days = np.flatnonzero(per_day)
    years, tl = {}, []
    if len(days):
        n = per_day[days]
        year = cols["day_year"][days]
        got = np.bincount(year - year.min(), weights=n)
        years = {str(y + year.min()): int(got[y]) for y in np.flatnonzero(got)[::-1]}
        ords = cols["day_ord"][days]
        lo = date.fromordinal(int(ords.min()))
        monthly = int(ords.max() - ords.min()) <= MONTHLY_SPAN_DAYS
        key = cols["day_month"][days] if monthly else year
        got = np.bincount(key - key.min(), weights=n)
        k0 = int(key.min())
        counts = {
            (((k0 + k) // 12, (k0 + k) % 12 + 1) if monthly else (k0 + k, 0)): int(got[k])
            for k in np.flatnonzero(got).tolist()
        }
        tl = _periods(lo, monthly, counts)
    facets = {
        "source": dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        "tags": {cols["tag_values"][i]: int(per_tag[i]) for i in best.tolist()},
        "year": years,
    }
    return facets, tl


# -- match sets: every matching document of a query, read straight from the matchers ----------
FILTER_CACHE = 256  # filter/mask document sets kept per searcher (a searcher is per generation)


def doc_set(searcher, q: wq.Query | None) -> np.ndarray | None:
    """Return a boolean array over all documents, True where a filter query matches (cached)."""
    if q is None:
        return None
    cache = searcher.__dict__.setdefault("_searchsvc_docsets", {})
    key = str(q)
    found = cache.get(key)
    if found is None:
        if len(cache) >= FILTER_CACHE:
            cache.clear()
        found = np.zeros(searcher.doc_count_all(), dtype=bool)
        found[list(searcher.docs_for_query(q))] = True
        found.flags.writeable = False
        cache[key] = found
    return found


def live_ids(reader) -> np.ndarray:
    """Return the numbers of every live (not deleted) document, ascending (cached on the reader)."""
    found = reader.__dict__.get("_searchsvc_live")
    if found is None:
        found = np.fromiter(reader.all_doc_ids(), dtype=np.int64)
        found.flags.writeable = False
        reader.__dict__["_searchsvc_live"] = found
    return found


def match_set(searcher, q: wq.Query | None, allow=None, deny=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (docnums ascending, scores) of every match of q (None: every live document).

    Same documents and scores as Whoosh's unlimited collector, without its per-document calls.
    `allow` and `deny` are boolean arrays over all documents (see doc_set).
    """
    if q is None:
        ids = np.flatnonzero(allow) if allow is not None else live_ids(searcher.reader())
        allow = None
        scores = np.zeros(len(ids))
    elif hasattr(q, "all_scores"):  # ranking.CoordOr: scored once over all segments
        ids, scores = q.all_scores(searcher.get_parent(), searcher.context())
    else:
        got, sc = [], []
        context = searcher.context()
        for sub, offset in searcher.leaf_searchers():
            m = q.matcher(sub, context)
            while m.is_active():
                got.append(m.id() + offset)
                sc.append(m.score())
                m.next()
        ids, scores = np.array(got, dtype=np.int64), np.array(sc, dtype=np.float64)
    if allow is not None or deny is not None:
        keep = np.ones(len(ids), dtype=bool)
        if allow is not None:
            keep &= allow[ids]
        if deny is not None:
            keep &= ~deny[ids]
        ids, scores = ids[keep], scores[keep]
    return ids, scores


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the k best scores, best first, ties in position order."""
    if k <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th largest
        cand = np.flatnonzero(scores >= kth)
    else:
        cand = np.arange(len(scores))
    return cand[np.lexsort((cand, -scores[cand]))[:k]]


def collapse(ranked: list, dup: np.ndarray, end: int) -> list:
    """Return the first `end` ranked (score, docnum), the best of each near-duplicate key."""
    page, seen = [], set()
    for score, d in ranked:
        key = dup[d]
        if key in seen:
            continue
        seen.add(key)
        page.append((score, d))
        if len(page) >= end:
            break
    return page


def newest_positions(searcher) -> np.ndarray:
    """Return each document's position in newest-first order, undated last (cached on the reader).

    Built from our own date column rather than a Whoosh sort, which fails on an index whose
    newer segments hold no dated article (they have no `published` column).
    """
    reader = searcher.reader()
    pos = reader.__dict__.get("_searchsvc_newest")
    if pos is None:
        cols = columns(reader)
        ordinals = np.array([-d.toordinal() if d else 1 for d in cols["day_values"]])
        order = np.argsort(ordinals[cols["day"]], kind="stable")  # newest first, then docnum
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = np.arange(len(order))
        pos.flags.writeable = False
        reader.__dict__["_searchsvc_newest"] = pos
    return pos
