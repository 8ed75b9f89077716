"""BM25F scores of one term or phrase over the Whoosh index, from its posting arrays.

Per term, the scores of every document holding it are computed once per generation (numpy
over the term's posting arrays) and cached; `bm25f_among` scores a term in a few given
documents without the rest of its postings. Phrases count their occurrences from the
position arrays (Whoosh's phrase matcher for segments without them).
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from searchsvc.engine import sparse
from searchsvc.engine.deadline import check_deadline
from searchsvc.engine.state import View
from searchsvc.engine.w3 import termarrays
from searchsvc.engine.w3.termarrays import MAX_TERM_BYTES as MAX_BYTES
from searchsvc.text import scoring
from searchsvc.text.scoring import FIELDS, TEXT_FIELDS

EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0))
SHORT_LIST = 8  # bm25f_among: lists up to 8 postings per pool document are masked, not searched


def bm25f(view: View, text: str, fields: tuple[str, ...] = TEXT_FIELDS, only=None):
    """Return (global docnums ascending, BM25F scores) of one term over the given fields.

    Cached per generation (the arrays are never changed); `only`, a boolean array over all
    documents, keeps just the documents where it is True.
    """
    key = ("term", text, tuple(f for f in FIELDS if f in fields))
    full = view.state.scores.get(key)
    if full is None:
        full = view.state.scores.put(key, _bm25f_all(view, text, key[2]))
    if only is None:
        return full
    keep = only[full[0]]
    return full[0][keep], full[1][keep]


def max_doc_frequencies(view: View, terms) -> dict[str, int]:
    """Return each term's larger document frequency of title and body (cached per generation;
    the ones not cached are looked up together: one binary search per segment and field)."""
    dfs = {t: view.state.dfs.get(t) for t in terms}
    wanted = [t for t, df in dfs.items() if df is None]
    if wanted:
        found = [view.doc_frequencies(f, wanted) for f in FIELDS]
        for t, *per_field in zip(wanted, *found, strict=True):
            dfs[t] = view.state.dfs.put(t, max(per_field))
    return dfs


def _norms(view: View, fieldname: str) -> np.ndarray:
    """Return the field's BM25F length norm (divided by its weight) of every document."""

    def build() -> np.ndarray:
        weight, b = FIELDS[fieldname]
        boost = view.searcher.schema[fieldname].format.field_boost or 1.0  # in posting weights
        avg = view.state.avg_length[fieldname] or 1.0
        den = (1 - b) / weight * boost + b / avg / weight * boost * view.lengths(fieldname)
        den.flags.writeable = False
        return den

    return view.state.memo(("norms", fieldname), build)


def _combine(view: View, parts: list, dfs: dict) -> tuple[np.ndarray, np.ndarray]:
    """Sum per-field (field, global ids, frequencies) into BM25F scores; df from `dfs`.

    Each field's parts come in segment order, so its ids ascend; the fields' pseudo-frequencies
    are added by a merge (engine/sparse.py), the largest field's list first.
    """
    if not parts:
        return EMPTY
    per_field: dict[str, list] = {}
    for f, ids, tf in parts:
        per_field.setdefault(f, []).append((ids, tf / _norms(view, f)[ids]))
    merged = sorted(
        (
            (np.concatenate([i for i, _ in got]), np.concatenate([x for _, x in got]))
            for got in per_field.values()
        ),
        key=lambda p: -len(p[0]),
    )
    ids, x, _ = sparse.add(merged, view.state.total)
    return ids, scoring.saturate(x, max(dfs.values()), view.state.total)


def bm25f_among(view: View, text: str, docs: np.ndarray, only: np.ndarray):
    """Return (ids, BM25F scores) of a term in the given documents only (ascending, live)."""
    return bm25f_among_many(view, [text], docs, only)[0]


def bm25f_among_many(view: View, terms: list[str], docs: np.ndarray, only: np.ndarray):
    """Return [(ids, BM25F scores)] of each term in the given documents only (ascending, live).

    The same scores as `bm25f` restricted to them, without touching the rest of the terms'
    postings: per segment and field, one binary search finds every term, then each term's
    postings are searched for the segment's documents. For terms outside the query (RM3
    feedback) among the best matches. `only` is the boolean mask of `docs` over all
    documents (used for a term whose scores are cached, or without term arrays).
    """
    segments = view.state.segments
    if any(s.arrays.get(f) is None for s in segments for f in TEXT_FIELDS):
        return [bm25f(view, t, TEXT_FIELDS, only) for t in terms]
    keys = [t.encode("utf-8") for t in terms]
    out: list = [None] * len(terms)
    todo = []
    for k, (t, key) in enumerate(zip(terms, keys, strict=True)):
        if view.state.scores.get(("term", t, TEXT_FIELDS)) is not None or len(key) > MAX_BYTES:
            out[k] = bm25f(view, t, TEXT_FIELDS, only)
        else:
            todo.append(k)
    if not todo:
        return out
    wanted = np.array([keys[k] for k in todo], f"S{MAX_BYTES}")
    bounds = np.searchsorted(docs, [*view.state.offsets, view.state.total]).tolist()
    x = np.zeros((len(todo), len(docs)))
    dfs = np.zeros((len(TEXT_FIELDS), len(todo)), dtype=np.int64)
    for f, fname in enumerate(TEXT_FIELDS):
        norms = _norms(view, fname)
        for i, segment in enumerate(segments):
            arrays = segment.arrays[fname]
            if not len(arrays.terms):
                continue
            at = np.minimum(np.searchsorted(arrays.terms, wanted), len(arrays.terms) - 1)
            found = arrays.terms[at] == wanted
            starts, ends = arrays.starts[at], arrays.starts[at + 1]
            dfs[f] += np.where(found, ends - starts, 0)
            lo, hi = bounds[i], bounds[i + 1]
            if lo == hi:
                continue
            # in the arrays' own dtype: searchsorted would convert a whole list to int64 per call
            local = (docs[lo:hi] - segment.offset).astype(arrays.docs.dtype)
            short = found & (ends - starts <= SHORT_LIST * len(local))
            if short.any():  # short lists: every posting checked against the mask, together
                _add_short(
                    x,
                    np.flatnonzero(short),
                    starts[short],
                    ends[short],
                    arrays,
                    (docs, only, norms, segment.offset),
                )
            for j in np.flatnonzero(found & ~short).tolist():  # the pool searched in each
                seg_docs = arrays.docs[starts[j] : ends[j]]
                pos = np.minimum(np.searchsorted(seg_docs, local), len(seg_docs) - 1)
                hit = seg_docs[pos] == local
                where = np.flatnonzero(hit) + lo
                weights = arrays.weights[starts[j] + pos[hit]]
                x[j, where] += weights / norms[docs[where]]
    df = dfs.max(axis=0)
    for j, k in enumerate(todo):
        held = np.flatnonzero(x[j])
        out[k] = (
            (docs[held], scoring.saturate(x[j, held], int(df[j]), view.state.total))
            if len(held)
            else EMPTY
        )
    return out


def _add_short(x: np.ndarray, rows: np.ndarray, starts, ends, arrays, pool) -> None:
    """Add to x[row, pool position] the pseudo-frequencies of the pool's documents in the given
    posting ranges of one segment's field (one gather and one mask over all of them)."""
    docs, only, norms, offset = pool
    lengths = ends - starts
    at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    held = arrays.docs[at].astype(np.int64) + offset
    hit = only[held]
    held, at = held[hit], at[hit]
    row = np.repeat(rows, lengths)[hit]
    x[row, np.searchsorted(docs, held)] += arrays.weights[at] / norms[held]


def _bm25f_all(view: View, text: str, fields: tuple[str, ...]):
    """Return (global docnums ascending, BM25F scores) of every document with the term."""
    parts, dfs = [], {}
    for fname in fields:
        for i, segment in enumerate(view.state.segments):
            got = view.postings(i, fname, text)
            if got is not None:
                parts.append((fname, np.add(got[0], segment.offset, dtype=np.int64), got[1]))
                dfs[fname] = dfs.get(fname, 0) + got[2]
    return _combine(view, parts, dfs)


def phrase_scores(view: View, fields: tuple[str, ...], stems: tuple[str, ...]):
    """Return (global docnums ascending, BM25F scores) of a phrase, by its occurrence counts."""
    key = ("phrase", stems, fields)
    found = view.state.scores.get(key)
    if found is not None:
        return found
    parts, docs = [], []
    subs = dict((offset, sub) for sub, offset in view.searcher.leaf_searchers())
    words = [s.encode("utf-8") for s in stems]
    for fname in fields:
        ids, counts = [], []
        for i, segment in enumerate(view.state.segments):
            arrays = segment.arrays.get(fname)
            got = termarrays.phrase_counts(arrays, words) if arrays is not None else None
            if got is not None:  # from the position arrays, in bulk
                live = segment.live[got[0]]
                ids.append(got[0][live].astype(np.int64) + segment.offset)
                counts.append(got[1][live].astype(np.float64))
                continue
            for _, rel in view.unit_leaves(i):  # no arrays, or a word too long for them
                offset = segment.offset + rel
                m = wq.Phrase(fname, list(stems)).matcher(subs[offset])
                found, occurrences = [], []
                while m.is_active():
                    found.append(m.id() + offset)
                    occurrences.append(len(m.spans()))
                    m.next()
                    if len(found) % 256 == 0:
                        check_deadline()
                ids.append(np.array(found, dtype=np.int64))
                counts.append(np.array(occurrences, dtype=np.float64))
        ids_f = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        if len(ids_f):
            parts.append((fname, ids_f, np.concatenate(counts)))
            docs.append(ids_f)
    df = len(np.unique(np.concatenate(docs))) if docs else 0
    got = _combine(view, parts, dict.fromkeys((f for f, _, _ in parts), df))
    return view.state.scores.put(key, got)
