"""Facet counts, timeline and near-duplicate keys over a whole result set, from cached columns."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, timedelta
from operator import itemgetter

from whoosh import query as wq
from whoosh.columns import TranslatingColumnReader
from whoosh.util.times import long_to_datetime

from .postings import posting_ids

FEW_VALUES = 8  # a column with at most this many distinct values is counted value by value
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


def _day(raw) -> date | None:
    """Return the date of a raw `published` column value (None for the undated default)."""
    try:
        return long_to_datetime(raw).date()
    except (OverflowError, TypeError, ValueError):
        return None


def columns(reader) -> dict[str, list]:
    """Return per-document dup key, source, date and tags; built once, cached on the reader."""
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
        cache = {"dup": col("dup"), "source": col("source")}
        cache["day"] = [days[raw] for raw in raw_days]
        cache["tags"] = tags
        sigs: dict[tuple, int] = {}
        cache["tag_sig"] = [sigs.setdefault(t, len(sigs)) for t in tags]
        cache["tag_sets"] = list(sigs)
        values = set(cache["source"])
        cache["source_values"] = values if len(values) <= FEW_VALUES else None
        reader.__dict__["_searchsvc_columns"] = cache
    return cache


def pick(column: list, docs: list[int]) -> tuple:
    """Return the column's values for docs (itemgetter does the per-document work in C)."""
    if len(docs) < 2:
        return tuple(column[d] for d in docs)
    return itemgetter(*docs)(column)


def count(column: list, docs: list[int], values: set | None = None) -> Counter:
    """Return how often each value occurs among docs; `values`: the column's few distinct values."""
    got = pick(column, docs)
    if values is None:
        return Counter(got)
    return Counter({v: n for v in values if (n := got.count(v))})


def facets_and_timeline(cols: dict, docs: list[int]) -> tuple[dict, list]:
    """Return ({source, tags, year: {value: count}}, timeline) over all matching documents."""

    def ordered(c: dict) -> dict:
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    sources = count(cols["source"], docs, cols.get("source_values"))
    sources.pop("", None)
    sources.pop(None, None)
    tags: defaultdict = defaultdict(int)  # += on a defaultdict: ~2x faster than on a Counter
    tag_sets = cols["tag_sets"]
    for sig, n in Counter(pick(cols["tag_sig"], docs)).items():  # count each tag combination once
        for tag in tag_sets[sig]:
            tags[tag] += n
    days = Counter(pick(cols["day"], docs))
    days.pop(None, None)
    years: Counter = Counter()
    for d, n in days.items():
        years[str(d.year)] += n
    facets = {
        "source": ordered(sources),
        "tags": dict(list(ordered(tags).items())[:TOP_TAGS]),
        "year": dict(sorted(years.items(), reverse=True)),
    }
    return facets, timeline(dict(days))


# -- match sets: every matching document of a query, read straight from the matchers ----------
FILTER_CACHE = 256  # filter/mask document sets kept per searcher (a searcher is per generation)


def doc_set(searcher, q: wq.Query | None) -> set[int] | None:
    """Return the set of documents matching a filter query (cached on the searcher), or None."""
    if q is None:
        return None
    cache = searcher.__dict__.setdefault("_searchsvc_docsets", {})
    key = str(q)
    found = cache.get(key)
    if found is None:
        if len(cache) >= FILTER_CACHE:
            cache.clear()
        found = cache[key] = frozenset(searcher.docs_for_query(q))
    return found


def match_set(searcher, q: wq.Query | None, allow=None, deny=None) -> tuple[list, list]:
    """Return (docnums ascending, scores) of every match of q (None: every live document).

    Same documents and scores as Whoosh's unlimited collector, without its per-document calls.
    """
    ids: list[int] = []
    scores: list[float] = []
    if q is None:
        ids = sorted(allow) if allow is not None else list(searcher.reader().all_doc_ids())
        allow = None
        scores = [0.0] * len(ids)
    else:
        context = searcher.context()
        if hasattr(q, "all_scores"):  # ranking.CoordOr: scored once over all segments
            ids, scores = q.all_scores(searcher.get_parent(), context)
            ids, scores = list(ids), list(scores)
        for sub, offset in [] if ids else searcher.leaf_searchers():
            m = q.matcher(sub, context)
            if hasattr(m, "_scores") and hasattr(m, "_ids"):  # ranking.ScoreListMatcher
                got, sc = m._ids[m._i :], m._scores[m._i :]
            else:
                got, sc = [], []
                while m.is_active():
                    got.append(m.id())
                    sc.append(m.score())
                    m.next()
            ids += [d + offset for d in got] if offset else got
            scores += sc
    if allow is not None or deny is not None:
        keep = [
            i
            for i, d in enumerate(ids)
            if (allow is None or d in allow) and (deny is None or d not in deny)
        ]
        ids, scores = [ids[i] for i in keep], [scores[i] for i in keep]
    return ids, scores


def top(scores: list[float], k: int) -> list[int]:
    """Return the positions of the k best scores, best first, ties in position order."""
    if k * 8 < len(scores):
        return heapq.nlargest(k, range(len(scores)), key=scores.__getitem__)
    return sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:k]


def collapse(ranked: list, dup: list, end: int) -> list:
    """Return the first `end` ranked (score, docnum), the best of each near-duplicate key."""
    page, seen = [], set()
    for score, d in ranked:
        if dup[d] in seen:
            continue
        seen.add(dup[d])
        page.append((score, d))
        if len(page) >= end:
            break
    return page


def newest_positions(searcher) -> list[int]:
    """Return each document's position in newest-first order, undated last (cached on the reader).

    Built from our own date column rather than a Whoosh sort, which fails on an index whose
    newer segments hold no dated article (they have no `published` column).
    """
    reader = searcher.reader()
    pos = reader.__dict__.get("_searchsvc_newest")
    if pos is None:
        days = columns(reader)["day"]
        order = sorted(
            range(len(days)),
            key=lambda d: (days[d] is None, -days[d].toordinal() if days[d] else 0, d),
        )
        pos = [0] * len(days)
        for i, d in enumerate(order):
            pos[d] = i
        reader.__dict__["_searchsvc_newest"] = pos
    return pos
