"""Facet counts, the timeline, date order and statistics over a match set, from coded columns.

Each per-document value (near-duplicate key, source, day, tag set) is coded once per
generation as an int32 array plus its list of distinct values, so counting over any set of
documents is a numpy bincount.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from searchsvc.contract import TOP_TAGS
from searchsvc.engine.caches import release_heap
from searchsvc.engine.columns import (
    column_codes,
    exact_codes,
    ranges,
    story_columns,
    tag_sets,
    value_codes,
)
from searchsvc.engine.sources import canonical_sources, matching
from searchsvc.engine.state import View
from searchsvc.engine.w3 import segments as seg
from searchsvc.text.dates import MONTHLY_SPAN_DAYS, periods
from searchsvc.text.fingerprint import FINGERPRINT_BYTES, copies, stories


def columns(view: View) -> dict:
    """Return per-document codes of dup key, source, date and tag set (once per generation)."""

    def build() -> dict:
        cols = _build_columns(view)
        view.state.drop_carried()  # segments the new generation no longer has: not kept
        release_heap()  # the build's per-document Python values are garbage now
        return cols

    return view.state.memo("columns", build)


def _build_columns(view: View) -> dict:

    raw_days, raw_values = column_codes(view, "published", False)
    day_of_raw, day_values = value_codes([seg.day_of(raw) for raw in raw_values])
    cols: dict = {}
    cols["dup"] = _stories(view)
    cols["dup_count"] = int(cols["dup"].max()) + 1 if len(cols["dup"]) else 0
    cols["domain"], cols["domain_values"] = column_codes(view, "domain")
    cols["source"], cols["source_values"] = canonical_sources(
        view, (cols["domain"], cols["domain_values"])
    )
    # raw values are coded by first appearance, so their days are too
    cols["day"], cols["day_values"] = day_of_raw[raw_days], day_values
    dated = [d or date.min for d in cols["day_values"]]  # date.min: undated, never counted
    cols["day_ord"] = np.array([d.toordinal() for d in dated], dtype=np.int64)
    cols["day_year"] = np.array([d.year for d in dated], dtype=np.int64)
    cols["day_month"] = np.array([d.year * 12 + d.month - 1 for d in dated], dtype=np.int64)
    cols["day_dated"] = np.array([d is not None for d in cols["day_values"]], dtype=bool)
    cols["doc_ord"] = np.where(cols["day_dated"][cols["day"]], cols["day_ord"][cols["day"]], 0)
    cols["tag_sig"], cols["tag_sets"] = tag_sets(view)
    # tag codes in name order; (tag set, tag) pairs spread a count per set over its tags
    cols["tag_values"] = sorted({t for combo in cols["tag_sets"] for t in combo})
    code = {t: i for i, t in enumerate(cols["tag_values"])}
    pairs = [(sig, code[t]) for sig, combo in enumerate(cols["tag_sets"]) for t in combo]
    cols["pair_sig"] = np.array([p[0] for p in pairs], dtype=np.int64)
    cols["pair_tag"] = np.array([p[1] for p in pairs], dtype=np.int64)
    story_columns(cols)
    return cols


def _stories(view: View) -> np.ndarray:
    """Return a story code per document: exact copies, and near copies by fingerprint."""
    exact = exact_codes(view)
    live = view.state.live
    # One fingerprint per exact-copy group (a corpus may hold many exact copies), the first
    # live one: near copies link groups, which the exact codes then spread to every member.
    order = np.lexsort((~live, exact)) if len(exact) else exact
    codes, first = np.unique(exact[order], return_index=True)
    group_rows = _fingerprints(view, order[first])
    group_rows[~live[order[first]]] = 0  # a deleted copy links nothing
    linked = stories(np.arange(len(codes)), copies(group_rows))
    return linked[np.searchsorted(codes, exact)]


def _fingerprints(view: View, docs: np.ndarray) -> np.ndarray:
    """Return the fingerprint rows of some documents (only those rows are read)."""
    out = np.zeros((len(docs), FINGERPRINT_BYTES), dtype=np.uint8)
    offsets = np.asarray(view.state.leaf_offsets)
    leaf_of = np.searchsorted(offsets, docs, side="right") - 1
    for k in np.unique(leaf_of).tolist():
        at = np.flatnonzero(leaf_of == k)
        rows = seg.fixed_bytes(view.leaves[k], "fp", FINGERPRINT_BYTES)
        out[at] = rows[docs[at] - offsets[k]]
    return out


def source_docs(view: View, value: str) -> np.ndarray:
    """Return the live documents of the outlet a `source:` value names, ascending."""
    cols = columns(view)
    wanted = matching(cols["source_values"], value)
    if not wanted and value.strip().lower() in cols["domain_values"]:  # a site's address
        on_site = cols["domain"] == cols["domain_values"].index(value.strip().lower())
        wanted = np.unique(cols["source"][on_site]).tolist()
    return np.flatnonzero(np.isin(cols["source"], wanted) & view.state.live)


def count(codes: np.ndarray, docs: np.ndarray, values: list) -> dict:
    """Return {value: how many of docs have it} for a coded column (zero counts left out)."""
    got = np.bincount(codes[docs], minlength=len(values))
    nz = np.flatnonzero(got)
    return dict(zip([values[i] for i in nz.tolist()], got[nz].tolist(), strict=True))


def distinct(
    cols: dict, name: str, docs: np.ndarray, n: int, fold: bool, among: tuple | None = None
) -> np.ndarray:
    """Return per value code how many of docs carry it; folded, a story counts once a value.

    A folded story counts under every value any of its copies in docs carries (as filtering
    by that value would find it): stories whose copies agree are counted from story_<name>,
    the few whose copies differ from their (story, value) pairs. `among`: `stories_of(docs)`,
    when the caller has it.
    """
    if not fold:
        return np.bincount(cols[name][docs], minlength=n)
    counts, mixed, _ = _agreeing(cols, name, docs, n, among)
    if len(mixed):
        pair_codes = cols[f"pair_code_{name}"]
        seen = np.zeros(len(pair_codes), dtype=bool)
        seen[cols[f"pair_id_{name}"][mixed]] = True
        counts += np.bincount(pair_codes[seen], minlength=n)
    return counts


def stories_of(cols: dict, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (each document's story, a mask of the stories present, those stories)."""
    stories = cols["dup"][docs]
    present = np.zeros(cols["dup_count"], dtype=bool)
    present[stories] = True
    return stories, present, np.flatnonzero(present)


def _agreeing(cols: dict, name: str, docs: np.ndarray, n: int, among: tuple | None = None):
    """Return (per value, the stories among docs whose copies all carry it; the documents of
    the stories whose copies differ, and their stories)."""
    stories, present, found = among or stories_of(cols, docs)
    uniform = cols[f"story_{name}"][found]
    differ = uniform < 0
    counts = np.bincount(uniform[~differ], minlength=n)
    if not differ.any():
        return counts, docs[:0], stories[:0]
    if differ.all():  # every story's copies differ (copies filed under different tags)
        return counts, docs, stories
    mixed = np.zeros(len(present), dtype=bool)
    mixed[found[differ]] = True
    keep = mixed[stories]
    return counts, docs[keep], stories[keep]


def tag_counts(
    cols: dict, docs: np.ndarray, fold: bool = False, among: tuple | None = None
) -> np.ndarray:
    """Return how many of docs carry each tag (indexed like cols["tag_values"]); folded, a
    story counts once under each tag any of its copies among docs carries (`among`: as in
    `distinct`)."""
    n_sets, n_tags = len(cols["tag_sets"]), len(cols["tag_values"])
    if not fold:
        per_set, mixed = np.bincount(cols["tag_sig"][docs], minlength=n_sets), docs[:0]
    else:
        per_set, mixed, stories = _agreeing(cols, "tag_sig", docs, n_sets, among)
    counts = np.zeros(n_tags)
    if per_set.any():  # each (story or document) set's count, spread over its tags
        counts += np.bincount(cols["pair_tag"], weights=per_set[cols["pair_sig"]], minlength=n_tags)
    if len(mixed):  # copies with different tag sets: their distinct (story, tag) pairs
        matched = np.bincount(stories, minlength=cols["dup_count"])
        whole = matched == cols["story_size"]  # every copy matched: all the story's tags
        counts += _whole_story_tags(cols, np.flatnonzero(whole), n_tags)
        partial = (matched > 0) & ~whole
        if partial.any():  # the other stories: each tag any matched copy carries, once
            part = mixed[partial[stories]]
            pairs = np.unique(cols["doc_story_tag"][ranges(cols["doc_tag_starts"], part)])
            counts += np.bincount(cols["story_tag_tag"][pairs], minlength=n_tags)
    return counts


def _whole_story_tags(cols: dict, whole: np.ndarray, n_tags: int) -> np.ndarray:
    """Return per tag how many of the given stories carry it (on any copy): counted per
    distinct story tag set (stories share them), then spread over each set's tags."""
    starts = cols["story_set_starts"]
    per_set = np.bincount(cols["story_set"][whole], minlength=len(starts) - 1)
    used = np.flatnonzero(per_set)
    weights = np.repeat(per_set[used], starts[used + 1] - starts[used])
    return np.bincount(cols["story_set_tag"][ranges(starts, used)], weights, minlength=n_tags)


def facets_and_timeline(
    cols: dict, docs: np.ndarray, fold: bool = False, among: tuple | None = None
) -> tuple[dict, list]:
    """Return ({source, tags, year: {value: count}}, timeline) over the given documents.

    Folded, copies of one story count once: under every source and tag any of them carries,
    and at the date of the story's earliest copy in the year facet and the timeline (`among`:
    `stories_of(cols, docs)`, when the caller has it).
    """
    among = (among or stories_of(cols, docs)) if fold else None  # shared by the three counts
    per_source = distinct(cols, "source", docs, len(cols["source_values"]), fold, among)
    nz = np.flatnonzero(per_source).tolist()
    sources = {cols["source_values"][i]: int(per_source[i]) for i in nz}
    sources.pop("", None)
    sources.pop(None, None)
    per_tag = tag_counts(cols, docs, fold, among)
    used = np.flatnonzero(per_tag)
    best = used[np.lexsort((used, -per_tag[used]))][:TOP_TAGS]  # by count, then name
    day_codes = cols["story_day"][among[1]] if among is not None else cols["day"][docs]
    per_day = np.bincount(day_codes, minlength=len(cols["day_values"]))
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
        tl = periods(lo, monthly, counts)
    facets = {
        "source": dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        "tags": {cols["tag_values"][i]: int(per_tag[i]) for i in best.tolist()},
        "year": years,
    }
    return facets, tl


def in_date_range(view: View, lo: date | None, hi: date | None, undated: bool) -> np.ndarray:
    """Return a boolean array over all documents: dated within [lo, hi] (or undated, if asked)."""
    cols = columns(view)
    ords = cols["doc_ord"]
    keep = ords > 0
    if lo is not None:
        keep &= ords >= lo.toordinal()
    if hi is not None:
        keep &= ords <= hi.toordinal()
    if undated:
        keep |= ords == 0
    return keep


def newest_positions(view: View) -> np.ndarray:
    """Return each document's position in newest-first order, undated last, then by docnum."""

    def build() -> np.ndarray:
        cols = columns(view)
        ordinals = np.array([-d.toordinal() if d else 1 for d in cols["day_values"]])
        order = np.argsort(ordinals[cols["day"]], kind="stable")
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = np.arange(len(order))
        pos.flags.writeable = False
        return pos

    return view.state.memo("newest", build)


def collection_stats(view: View) -> dict:
    """Return sources, date span, undated count and top tags over the live documents."""
    cols, live = columns(view), view.state.live_ids
    sources = count(cols["source"], live, cols["source_values"])
    sources.pop("", None)
    sources.pop(None, None)
    ords = cols["doc_ord"][live]
    dated = ords[ords > 0]
    span = [date.fromordinal(int(f(dated))).isoformat() if len(dated) else None
            for f in (np.min, np.max)]  # fmt: skip
    per_tag = tag_counts(cols, live)
    used = np.flatnonzero(per_tag)
    best = used[np.lexsort((used, -per_tag[used]))][:20]
    return {
        "sources": dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        "date_span": span,
        "undated": int(len(ords) - len(dated)),
        "top_tags": [(cols["tag_values"][i], int(per_tag[i])) for i in best.tolist()],
    }
