"""Per-segment reads in bulk: live documents, field lengths, columns, stored fields, key postings.

Whoosh answers these one document or one posting at a time through several Python layers; the
engine needs them for whole segments (facet columns, BM25F length norms) or for single hits
(stored fields). Each function takes one segment reader (a leaf of the index reader).
"""

from __future__ import annotations

from datetime import date
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.columns import (
    FixedBytesColumn,
    NumericColumn,
    TranslatingColumnReader,
    VarBytesColumn,
)
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import long_to_datetime

# doc_field_length() of a length byte, NaN for 0 (None: Whoosh 2.7's W3 codec falls through).
_BYTE_LENGTHS = np.array([np.nan] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


def leaves(reader) -> list[tuple[object, int]]:
    """Return (segment reader, first global document number) of every segment, in order."""
    return sorted(reader.leaf_readers(), key=lambda pair: pair[1])


def segment_id(leaf) -> str | None:
    """Return the id of a segment reader's segment (None for a reader without one)."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else None


def segment_folder(leaf) -> str | None:
    """Return the folder a segment's files live in (a compound segment overlays its folder's)."""
    storage = getattr(leaf, "_storage", None)
    for st in (storage, getattr(storage, "a", None), getattr(storage, "b", None)):
        if isinstance(getattr(st, "folder", None), str):
            return st.folder
    return None


def live_mask(leaf) -> np.ndarray:
    """Return a boolean array over a segment's documents, False where deleted."""
    found = np.zeros(leaf.doc_count_all(), dtype=bool)
    if leaf.has_deletions():
        found[list(leaf.all_doc_ids())] = True
    else:
        found[:] = True
    return found


def field_lengths(leaf, fieldname: str) -> np.ndarray:
    """Return doc_field_length() of every document as floats (NaN where a document has none)."""
    found = _length_column(leaf, fieldname)
    if found is None:
        dfl = leaf.doc_field_length
        found = [dfl(d, fieldname) for d in range(leaf.doc_count_all())]
        return np.array([np.nan if n is None else n for n in found], dtype=np.float64)
    return found


def _length_column(leaf, fieldname: str) -> np.ndarray | None:
    """Return field_lengths() read as one slice of the W3 length column, decoded by numpy.

    None when the reader is not a W3 segment reader as expected (callers then ask per document).
    """
    perdoc = getattr(leaf, "_perdoc", None)
    if not isinstance(perdoc, W3PerDocReader) or leaf.is_closed:
        return None
    col = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    n = leaf.doc_count_all()
    if col is None:
        return np.zeros(n)  # no length column: doc_field_length's default
    if not isinstance(col, NumericColumn.Reader) or col._typecode != "B":
        return None
    count = min(col._count, n)
    out = np.full(n, np.nan)  # past the column's end: no length
    out[:count] = _BYTE_LENGTHS[np.frombuffer(col._dbfile.get(col._basepos, count), np.uint8)]
    return out


def column(leaf, name: str, translate: bool = True) -> list:
    """Return a column's value for every document of a segment (None where it has no column).

    A segment with no value for a field (e.g. only undated articles added by an update) has no
    column; each distinct raw value is translated once.
    """
    if not leaf.has_column(name):
        return [None] * leaf.doc_count_all()
    reader = leaf.column_reader(name, translate=translate)
    if isinstance(reader, TranslatingColumnReader):
        raw = list(reader.raw_column())
        memo = {v: reader._translate(v) for v in set(raw)}
        return list(map(memo.__getitem__, raw))
    return list(reader)


def column_codes(leaf, name: str, translate: bool = True) -> tuple[np.ndarray, list]:
    """Return (an int32 code per document, the value of each code) of a segment's column.

    `values[codes[d]]` is `column(leaf, name, translate)[d]`; variable-length and numeric
    columns are read as whole arrays (numpy finds the distinct values, each translated once)
    rather than one Python value per document, which at 400,000 documents took seconds and
    left hundreds of thousands of objects behind.
    """
    n = leaf.doc_count_all()
    if not leaf.has_column(name):
        return np.zeros(n, dtype=np.int32), [None]
    reader = leaf.column_reader(name, translate=translate)
    raw = reader.raw_column() if isinstance(reader, TranslatingColumnReader) else reader
    got = None
    if type(raw) is VarBytesColumn.Reader:
        got = _var_bytes_codes(raw, n)
    elif type(raw) is NumericColumn.Reader:
        got = _numeric_codes(raw, n)
    if got is None:  # another kind of column, or very long values: one value at a time
        index: dict = {}
        values = column(leaf, name, translate)
        codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, n)
        return codes, list(index)
    codes, raws = got
    if raw is not reader:
        raws = [reader._translate(v) for v in raws]
    return codes, raws


def _var_bytes_codes(raw, n: int, widest: int = 256):
    lengths = np.asarray(raw._lengths, dtype=np.int64)[:n]
    offsets = np.asarray(raw._offsets, dtype=np.int64)[:n]
    if len(lengths) != n or (n and int(lengths.max()) > widest):
        return None
    if not n:
        return np.zeros(0, dtype=np.int32), []
    size = int((offsets + lengths).max())
    blob = np.frombuffer(raw._dbfile.get(raw._basepos, size), dtype=np.uint8) if size else None
    width = int(lengths.max())
    keys = np.zeros((n, width + 2), dtype=np.uint8)  # the bytes, zero-padded, then the length
    if width:
        at = np.arange(width)
        held = at < lengths[:, None]
        keys[:, :width][held] = blob[(offsets[:, None] + at)[held]]
    keys[:, width:] = lengths.astype("<u2").view(np.uint8).reshape(n, 2)
    _, first, codes = np.unique(
        keys.view(np.dtype((np.void, width + 2))).ravel(), return_index=True, return_inverse=True
    )
    data = blob.tobytes() if blob is not None else b""
    spans = zip(offsets[first].tolist(), lengths[first].tolist(), strict=True)
    values = [data[o : o + k] for o, k in spans]
    return codes.astype(np.int32).ravel(), values


def _numeric_codes(raw, n: int):
    count = min(raw._count, n)
    dtype = np.dtype(">" + raw._typecode)
    if dtype.itemsize != raw._fixedlen:
        return None
    numbers = np.frombuffer(raw._dbfile.get(raw._basepos, count * raw._fixedlen), dtype=dtype)
    found, codes = np.unique(numbers, return_inverse=True)
    values = found.tolist()
    out = np.full(n, len(values), dtype=np.int32)  # past the column's end: its default
    out[:count] = codes.ravel()
    return out, [*values, raw._default]


def fixed_bytes(leaf, name: str, width: int) -> np.ndarray:
    """Return a fixed-width bytes column as a (documents, width) uint8 array (zeros if none)."""
    n = leaf.doc_count_all()
    out = np.zeros((n, width), dtype=np.uint8)
    if not leaf.has_column(name):
        return out
    col = leaf.column_reader(name, translate=False)
    if isinstance(col, FixedBytesColumn.Reader) and col._fixedlen == width:
        count = min(col._count, n)
        raw = col._dbfile.get(col._basepos, count * width)
        out[:count] = np.frombuffer(raw, dtype=np.uint8).reshape(count, width)
        return out
    for d in range(n):  # any other column kind: one document at a time
        out[d] = np.frombuffer(col[d], dtype=np.uint8)
    return out


def day_of(raw) -> date | None:
    """Return the date of a raw `published` column value (None for the undated default)."""
    try:
        return long_to_datetime(raw).date()
    except (OverflowError, TypeError, ValueError):
        return None


def stored_fields(leaf, docnum: int) -> dict:
    """Return a document's stored fields from its segment's per-document reader.

    Whoosh's reader.stored_fields re-checks every field against the schema (for fields removed
    from a schema); ours never changes within an index, so the segment's own dict will do.
    """
    perdoc = getattr(leaf, "_perdoc", None)
    return leaf.stored_fields(docnum) if perdoc is None else perdoc.stored_fields(docnum)


def blocks(m):
    """Yield (ids, weights) per posting block of a leaf matcher (per posting for others)."""
    if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_ids")):
        while m.is_active():
            if m._ids is None:
                _read_ids(m)
            if m._weights is None:
                m._read_weights()
            yield m._ids[m._i :], m._weights[m._i :]
            m._next_block()
    else:
        while m.is_active():
            yield (m.id(),), (m.weight(),)
            m.next()


def _read_ids(m) -> None:
    """Decode the current block's ids as m._read_ids() does, the W3 delta decoding in C."""
    if not isinstance(m, W3LeafMatcher):
        m._read_ids()
        return
    if m._data is None:
        m._read_data()
    ids = m._data[0]
    m._ids = ids if m._byteids else tuple(accumulate(ids))  # = tuple(delta_decode(ids))


def posting_arrays(m) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc ids, weights) of every posting of a leaf matcher, as int64 and float64 arrays."""
    ids: list = []
    weights: list = []
    for i, w in blocks(m):
        ids += i
        weights += w
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def raw_postings(leaf, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (segment doc ids, weights) of a term read through Whoosh, deleted ones included."""
    if (fieldname, text) not in leaf:
        return None
    return posting_arrays(leaf.postings(fieldname, text))


def term_matcher(leaf, fieldname: str, tbytes: bytes):
    """Return the raw posting matcher of a term given as bytes (for rewriting term arrays)."""
    return leaf._terms.matcher(fieldname, tbytes, leaf.schema[fieldname].format)
