"""Per-document columns of a generation as int32 codes, read in bulk, and per-story views.

Facets, folding and statistics need a value per document (exact-copy key, source, domain,
publication date) over the whole index. Read one Python value at a time, Reuters x20 took 4.6 s
and left hundreds of thousands of objects on the heap of every worker; engine/w3/segments.py
reads each segment's column as arrays instead, and only distinct values become Python objects.
Tag sets are coded from (document, tag) pairs the same way. `story_columns` adds the per-story
views that folded counts read (a story's value, its (story, tag) pairs, its documents).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from searchsvc.engine.state import View
from searchsvc.engine.w3 import segments as seg


def first_appearance(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes renumbered in order of first appearance, old code of each new code)."""
    if not len(codes):
        return codes.astype(np.int32), np.zeros(0, dtype=np.int64)
    used, first = np.unique(codes, return_index=True)
    order = used[np.argsort(first)]
    renumber = np.zeros(int(used.max()) + 1, dtype=np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    return renumber[codes], order


def column_codes(view: View, name: str, translate: bool = True) -> tuple[np.ndarray, list]:
    """Return (int32 code per document, distinct values by code) of a column: the coding of
    `view.column(name, translate)` with codes in order of first appearance."""
    index: dict = {}
    parts = []
    for key, leaf in zip(view.state.leaf_keys, view.leaves, strict=True):
        codes, values = view.state.segment_memo(
            key and (*key, "codes", name, translate),
            lambda leaf=leaf: _narrow(*seg.column_codes(leaf, name, translate)),
        )
        remap = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
        parts.append(remap[codes] if len(codes) else codes.astype(np.int32))
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    codes, order = first_appearance(codes)
    values = list(index)
    return codes, [values[k] for k in order.tolist()]


def exact_codes(view: View) -> np.ndarray:
    """Return `column_codes(view, "dup", False)[0]`: the exact-copy keys coded in order of
    first appearance (a missing key codes as the empty one).

    Each segment's distinct keys are kept as a numpy bytes array, not as Python objects (at
    Reuters x20 they are 432,000), and coded together by one np.unique."""
    parts, keys, base = [], [], 0
    for key, leaf in zip(view.state.leaf_keys, view.leaves, strict=True):
        codes, values = view.state.segment_memo(
            key and (*key, "exact"), lambda leaf=leaf: _segment_keys(leaf)
        )
        parts.append(codes.astype(np.int64) + base)
        keys.append(values)
        base += len(values)
    if not parts:
        return np.zeros(0, dtype=np.int32)
    _, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return first_appearance(inverse.ravel()[np.concatenate(parts)])[0]


def _segment_keys(leaf) -> tuple[np.ndarray, np.ndarray]:
    codes, values = seg.column_codes(leaf, "dup", False)
    return _narrow(codes, np.array([v or b"" for v in values], dtype=bytes))


def _narrow(codes: np.ndarray, values):
    """Return codes in the smallest unsigned type that holds them (kept per segment)."""
    return codes.astype(np.min_scalar_type(max(0, len(values) - 1))), values


def value_codes(values: list) -> tuple[np.ndarray, list]:
    """Return (int32 code per document, distinct values by code) of a per-document column."""
    index: dict = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, len(values))
    return codes, list(index)


def tag_sets(view: View, widest: int = 32) -> tuple[np.ndarray, list[tuple]]:
    """Return (a code per document, the tag set of each code): a set is a tuple of tags in
    name order, () for none or deleted; codes in order of first appearance.

    Coded per term-array unit from its tag postings (kept for the next generation while the
    unit's segments stay), then together; an index without tag arrays reads Whoosh's lexicon.
    """
    units = view.state.segments
    if any(u.arrays.get("tags") is None for u in units):
        return _lexicon_tag_sets(view, widest)
    index: dict = {}
    parts = []
    for i, unit in enumerate(units):
        codes, sets = view.state.segment_memo(
            (view.state.unit_key(i), "tag_sets"),
            lambda unit=unit: _narrow(*_unit_tag_sets(unit.arrays["tags"], unit.count, widest)),
        )
        remap = np.array([index.setdefault(t, len(index)) for t in sets], dtype=np.int32)
        parts.append(remap[codes] if len(codes) else codes.astype(np.int32))
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    if not view.state.live.all():  # a deleted document's tags are not read (as term_docs)
        codes[~view.state.live] = index.setdefault((), len(index))
    codes, order = first_appearance(codes)
    sets = list(index)
    return codes, [sets[k] for k in order.tolist()]


def _unit_tag_sets(arrays, n: int, widest: int) -> tuple[np.ndarray, list[tuple]]:
    """Return tag_sets over one unit's documents, deleted ones included, from its arrays."""
    names = [t.decode("utf-8") for t in arrays.terms.tolist()]
    tag = np.repeat(np.arange(len(names), dtype=np.int32), np.diff(arrays.starts))
    return _code_sets(n, names, np.asarray(arrays.docs, dtype=np.int64), tag, widest)


def _lexicon_tag_sets(view: View, widest: int) -> tuple[np.ndarray, list[tuple]]:
    """Return tag_sets from Whoosh's lexicon and the live documents of every tag."""
    names, docs = [], []
    for term in view.reader.lexicon("tags"):
        names.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        docs.append(view.term_docs("tags", names[-1]))
    sizes = [len(d) for d in docs]
    doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    tag = np.repeat(np.arange(len(names), dtype=np.int32), sizes)
    return _code_sets(view.state.total, names, doc, tag, widest)


def _code_sets(n: int, names: list[str], doc: np.ndarray, tag: np.ndarray, widest: int):
    """Code the tag sets of n documents from (document, tag) pairs (tags by name, each
    tag's documents ascending); documents with more than `widest` tags one tuple at a time."""
    order = np.argsort(doc, kind="stable")  # by document; tags stay in name order
    doc, tag = doc[order], tag[order]
    counts = np.bincount(doc, minlength=n)
    if n and int(counts.max(initial=0)) > widest:
        return _tag_tuples(n, names, doc, tag)
    width = max(1, int(counts.max(initial=0)))
    rows = np.full((n, width), -1, dtype=np.int32)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows[doc, np.arange(len(doc)) - starts[doc]] = tag
    bits = max(1, len(names).bit_length())  # a tag code + 1 in `bits` bits, 0 for none
    if bits * width <= 63:  # the row as one int64: np.unique sorts numbers, not bytes
        keys = np.zeros(n, dtype=np.int64)
        for j in range(width):
            keys |= (rows[:, j].astype(np.int64) + 1) << (bits * j)
    else:
        keys = np.ascontiguousarray(rows).view(np.dtype((np.void, 4 * width))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    codes, order = first_appearance(inverse.ravel())
    sets = [tuple(names[t] for t in rows[first[k]].tolist() if t >= 0) for k in order.tolist()]
    return codes, sets


def _tag_tuples(n: int, names: list[str], doc: np.ndarray, tag: np.ndarray):
    """Return what tag_sets does, one tuple per document (for documents with many tags)."""
    tags: list[tuple] = [()] * n
    for d, t in zip(doc.tolist(), tag.tolist(), strict=True):
        tags[d] = (*tags[d], names[t])
    return value_codes(tags)


def story_columns(cols: dict) -> None:
    """Add per-story views of the columns, so folded counts need no sort per search.

    story_<name>: the value every copy of a story carries, or -1 where its copies differ;
    pair_id_source, pair_code_source: each document's (story, source) pair as a dense code, and
    each pair's source (distinct counts of mixed stories scatter into these, never sort);
    story_day: the day of a story's earliest dated copy (its first appearance);
    story_order, story_starts, story_size: every story's documents, ascending (story s: the
    slice story_starts[s]:story_starts[s + 1] of story_order), and how many;
    the (story, tag) codes of _story_tags.
    """
    dup, k = cols["dup"], cols["dup_count"]
    cols["story_order"] = np.argsort(dup, kind="stable").astype(np.int32)
    cols["story_size"] = np.bincount(dup, minlength=k)
    cols["story_starts"] = np.concatenate(([0], np.cumsum(cols["story_size"])))
    _story_tags(cols)
    for name in ("source", "tag_sig"):
        codes = cols[name]
        first = np.full(k, -1, dtype=np.int64)
        first[dup[::-1]] = codes[::-1]  # the last write wins: each story's first copy's value
        differs = np.bincount(dup, weights=codes != first[dup], minlength=k) > 0
        cols[f"story_{name}"] = np.where(differs, -1, first)
    codes, n = cols["source"], len(cols["source_values"]) or 1
    pairs, ids = np.unique(dup.astype(np.int64) * n + codes, return_inverse=True)
    cols["pair_id_source"] = ids.astype(np.int32).ravel()
    cols["pair_code_source"] = (pairs % n).astype(np.int32)
    ords = np.where(cols["doc_ord"] > 0, cols["doc_ord"], np.iinfo(np.int64).max)
    order = np.lexsort((ords, dup))  # by story, earliest first
    story_day = np.empty(k, dtype=np.int64)
    story_day[dup[order[::-1]]] = cols["day"][order[::-1]]
    cols["story_day"] = story_day


def _story_tags(cols: dict) -> None:
    """Add each document's (story, tag) pairs as dense codes: doc_tag_starts (document d's
    pairs are doc_story_tag[doc_tag_starts[d]:doc_tag_starts[d + 1]]), story_tag_tag (the tag
    of each pair code), story_tag_starts (story s's pair codes are story_tag_starts[s] up to
    story_tag_starts[s + 1]), for folded tag counts of stories whose copies differ: a story
    matched whole counts its own tags, otherwise its matched copies' tags."""
    n_tags = max(1, len(cols["tag_values"]))
    set_starts = np.searchsorted(cols["pair_sig"], np.arange(len(cols["tag_sets"]) + 1))
    sig = cols["tag_sig"]
    size = np.diff(set_starts)[sig] if len(sig) else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(size))).astype(np.int64)
    at = ranges(set_starts, sig)  # every document's tags, document after document
    keys = np.repeat(cols["dup"].astype(np.int64), size) * n_tags + cols["pair_tag"][at]
    pairs, ids = np.unique(keys, return_inverse=True)
    cols["doc_tag_starts"] = starts
    cols["doc_story_tag"] = ids.astype(np.int32).ravel()
    cols["story_tag_tag"] = (pairs % n_tags).astype(np.int32)
    k = cols["dup_count"]  # the pairs are by story: each story's tags are a run of them
    cols["story_tag_starts"] = np.searchsorted(pairs // n_tags, np.arange(k + 1))
    _story_sets(cols)


def _story_sets(cols: dict) -> None:
    """Add story_set (each story's set of tags over all its copies, coded), story_set_starts
    and story_set_tag (set c's tags are story_set_tag[story_set_starts[c]:...[c + 1]])."""
    tags, starts = cols["story_tag_tag"], cols["story_tag_starts"].tolist()
    code: dict[bytes, int] = {}
    sets: list[np.ndarray] = []  # each distinct set once, in order of first appearance
    ids = []
    for a, b in pairwise(starts):
        key = tags[a:b].tobytes()
        if key not in code:
            code[key] = len(sets)
            sets.append(tags[a:b])
        ids.append(code[key])
    cols["story_set"] = np.array(ids, dtype=np.int32)
    sizes = np.array([len(r) for r in sets], dtype=np.int64)
    cols["story_set_starts"] = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    cols["story_set_tag"] = np.concatenate(sets) if sets else tags[:0]


def ranges(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return the positions starts[r]:starts[r + 1] of every row r, concatenated."""
    lo, hi = starts[rows], starts[rows + 1]
    size = hi - lo
    return np.repeat(lo - (np.cumsum(size) - size), size) + np.arange(int(size.sum()))
