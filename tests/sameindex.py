"""Write documents with stock Whoosh and with the bulk writer; assert two indexes hold the same.

Shared by the bulk writer's comparison tests (tests/unit/engine/test_bulkwrite*.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import _lenfield

from searchsvc.engine.schema import build_schema
from searchsvc.engine.w3.segwriter import BulkWriter


def stock_index(folder: Path, docs: list[dict], parts: Sequence[int] = ()):
    """Index docs with Whoosh's own writer: one segment, or one per part size (no merging)."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    start = 0
    for size in [*parts] or [len(docs)]:
        writer = ix.writer()
        writer.merge = False
        for doc in docs[start : start + size]:
            writer.add_document(**doc)
        writer.commit(merge=False)
        start += size
    assert start == len(docs)
    return ix


def bulk_index(folder: Path, docs: list[dict], segment_tokens: int = 0):
    """Index docs with BulkWriter; a token budget makes it write a segment whenever it is spent."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = BulkWriter(ix)
    if segment_tokens:
        writer.builder.limit_tokens = segment_tokens
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(merge=False)
    return ix


def segment_sizes(ix) -> list[int]:
    """Return the document count of each segment, in the TOC's order."""
    return [seg.doc_count_all() for seg in ix._segments()]


def postings(reader, field: str, term: bytes) -> list[tuple]:
    """Return (doc id, weight, raw value) of every posting of a term."""
    m = reader.postings(field, term)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value() or b""))
        m.next()
    return out


def _term_stats(reader, field: str, term: bytes) -> tuple:
    ti = reader.term_info(field, term)
    return (
        ti.weight(),
        ti.doc_frequency(),
        ti.min_length(),
        ti.max_length(),
        ti.max_weight(),
        ti.min_id(),
        ti.max_id(),
    )


def _postings_and_blocks(segment, field: str, term: bytes) -> list[tuple]:
    """Every posting of a term in one segment, with its block's statistics: id, weight, raw
    value, block max id, max weight, min and max length."""
    m = segment.postings(field, term)
    out = []
    while m.is_active():
        out.append(
            (
                m.id(),
                m.weight(),
                m.value() or b"",
                m.block_max_id(),
                m.block_max_weight(),
                m.block_min_length(),
                m.block_max_length(),
            )
        )
        m.next()
    return out


def _indexed(schema) -> list[str]:
    return [f for f in schema.names() if schema[f].indexed]


def assert_same_index(a, b, *, segments: bool = True) -> None:
    """Compare every lexicon, posting, length, stored field and column of two indexes.

    With `segments`, both must have the same segments, compared one by one with their length
    statistics and every posting block's statistics; without, as wholes.
    """
    schema = a.schema
    with a.reader() as ra, b.reader() as rb:
        n = ra.doc_count_all()
        assert n == rb.doc_count_all() and n > 0
        assert ra.doc_count() == rb.doc_count()
        if segments:
            leaves_a, leaves_b = ra.leaf_readers(), rb.leaf_readers()
            sizes = [r.doc_count_all() for r, _ in leaves_a]
            assert sizes == [r.doc_count_all() for r, _ in leaves_b], "different segments"
            for (la, _), (lb, _) in zip(leaves_a, leaves_b, strict=True):
                _assert_same_postings(la, lb, _postings_and_blocks)
                for field in schema.scorable_names():
                    assert _lengths(la, field) == _lengths(lb, field), field
        else:
            _assert_same_postings(ra, rb, postings)
        for field in schema.scorable_names():
            assert ra.field_length(field) == rb.field_length(field), field
            for doc in range(n):
                assert ra.doc_field_length(doc, field) == rb.doc_field_length(doc, field)
        for doc in range(n):
            assert ra.stored_fields(doc) == rb.stored_fields(doc), doc
        for field in (f for f in schema.names() if schema[f].column_type):
            assert ra.has_column(field) == rb.has_column(field), field
            if ra.has_column(field):
                raw_a = list(ra.column_reader(field, translate=False))
                assert raw_a == list(rb.column_reader(field, translate=False)), field


def _assert_same_postings(ra, rb, read) -> None:
    """Compare lexicons, the postings `read` gives for every term, and the terms' statistics."""
    for field in _indexed(ra.schema):
        lexicon = list(ra.lexicon(field))
        assert lexicon == list(rb.lexicon(field)), field
        fmt = ra.schema[field].format
        for term in lexicon:
            pa, pb = read(ra, field, term), read(rb, field, term)
            if pa != pb and type(fmt).__name__.endswith("Positions"):  # say which positions
                dec = fmt.decode_positions
                assert [dec(p[2]) for p in pa] == [dec(p[2]) for p in pb], (field, term)
            assert pa == pb, (field, term)
            assert _term_stats(ra, field, term) == _term_stats(rb, field, term), (field, term)


def _lengths(segment, field: str) -> tuple:
    """A segment's total, minimum and maximum length of a field (Whoosh's min/max fail when no
    document has the field: there is no length column then)."""
    if not segment._perdoc.has_column(_lenfield(field)):
        return segment.field_length(field), None, None
    total = segment.field_length(field)
    return total, segment.min_field_length(field), segment.max_field_length(field)
