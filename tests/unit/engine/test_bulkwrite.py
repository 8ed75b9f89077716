"""The bulk segment writer builds the same index content as stock Whoosh's writer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.w3.postwrite import BLOCK_LIMIT
from searchsvc.engine.w3.segwriter import TOKENS_PER_MB, BulkWriter
from searchsvc.ingest import discover, read_file

REPO = Path(__file__).resolve().parents[3]
COLUMNS = ("published", "source", "dup")


def _articles(corpus: Path, limit: int = 0) -> list:
    articles = []
    for path in discover(corpus):
        articles += read_file(path, corpus, max_bytes=20 << 20).articles
    return articles[:limit] if limit else articles


def _stock(folder: Path, docs: list[dict]):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def _bulk(folder: Path, docs: list[dict], segment_tokens: int = 0):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = BulkWriter(ix)
    if segment_tokens:
        writer.builder.limit_tokens = segment_tokens
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(merge=False)
    return ix


def _postings(reader, field: str, term: bytes) -> list[tuple]:
    m = reader.postings(field, term)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value()))
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


def _blocks(reader, field: str, term: bytes) -> list[tuple]:
    """Each posting's block statistics (one segment): id, max id, max weight, min/max length."""
    m = reader.postings(field, term)
    out = []
    while m.is_active():
        out.append(
            (
                m.id(),
                m.block_max_id(),
                m.block_max_weight(),
                m.block_min_length(),
                m.block_max_length(),
            )
        )
        m.next()
    return out


def assert_same_index(a, b, *, blocks: bool = True) -> None:
    """Compare every lexicon, posting, length, stored field and column of two indexes."""
    schema = a.schema
    with a.reader() as ra, b.reader() as rb:
        n = ra.doc_count_all()
        assert n == rb.doc_count_all() and n > 0
        indexed = [f for f in schema.names() if schema[f].indexed]
        for field in indexed:
            lexicon = list(ra.lexicon(field))
            assert lexicon == list(rb.lexicon(field)), field
            fmt = schema[field].format
            for term in lexicon:
                pa, pb = _postings(ra, field, term), _postings(rb, field, term)
                assert [p[:2] for p in pa] == [p[:2] for p in pb], (field, term)
                if type(fmt).__name__.endswith("Positions"):
                    dec = fmt.decode_positions
                    assert [dec(p[2]) for p in pa] == [dec(p[2]) for p in pb], (field, term)
                assert [p[2] or b"" for p in pa] == [p[2] or b"" for p in pb], (field, term)
                assert _term_stats(ra, field, term) == _term_stats(rb, field, term)
                if blocks:
                    assert _blocks(ra, field, term) == _blocks(rb, field, term), (field, term)
        for field in schema.scorable_names():
            assert ra.field_length(field) == rb.field_length(field), field
            assert ra.min_field_length(field) == rb.min_field_length(field), field
            assert ra.max_field_length(field) == rb.max_field_length(field), field
            for doc in range(n):
                assert ra.doc_field_length(doc, field) == rb.doc_field_length(doc, field)
        for doc in range(n):
            assert ra.stored_fields(doc) == rb.stored_fields(doc), doc
        for field in COLUMNS:
            assert ra.has_column(field) == rb.has_column(field), field
            if ra.has_column(field):
                raw_a = list(ra.column_reader(field, translate=False))
                assert raw_a == list(rb.column_reader(field, translate=False)), field


def test_bulk_segments_equal_stock_whoosh_on_the_bundled_corpus(tmp_path):
    docs = [article_to_doc(a) for a in _articles(REPO / "corpus")]
    stock = _stock(tmp_path / "stock", docs)
    bulk = _bulk(tmp_path / "bulk", docs)
    assert len(bulk._segments()) == 1
    assert_same_index(stock, bulk)


def test_a_small_budget_writes_several_segments_with_the_same_content(tmp_path):
    docs = [article_to_doc(a) for a in _articles(REPO / "corpus")]
    stock = _stock(tmp_path / "stock", docs)
    bulk = _bulk(tmp_path / "bulk", docs, segment_tokens=2_000)
    assert len(bulk._segments()) > 2
    assert_same_index(stock, bulk, blocks=False)


def test_bulk_segments_equal_stock_whoosh_on_a_reuters_sample(tmp_path):
    data = Path(os.environ.get("SEARCHSVC_DATA") or REPO.parent / "shared" / "data")
    sgm = data / "reuters21578" / "reut2-000.sgm"
    if not sgm.is_file():
        pytest.skip(f"Reuters-21578 not found at {sgm} (set SEARCHSVC_DATA)")
    corpus = tmp_path / "reuters"
    corpus.mkdir()
    shutil.copyfile(sgm, corpus / sgm.name)  # a symlink out of the corpus would be skipped
    docs = [article_to_doc(a) for a in _articles(corpus, limit=200)]
    stock = _stock(tmp_path / "stock", docs)
    bulk = _bulk(tmp_path / "bulk", docs)
    with bulk.reader() as r:  # some posting lists span several blocks
        assert any(r.doc_frequency("body", t) > BLOCK_LIMIT for t in r.lexicon("body"))
    assert_same_index(stock, bulk)


def test_the_token_budget_scales_with_the_writer_memory_budget(tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = BulkWriter(ix, limitmb=4)
    assert writer.builder.limit_tokens == 4 * TOKENS_PER_MB
    writer.cancel()


def _by_id(reader) -> dict[int, str]:
    return {doc: reader.stored_fields(doc)["id"] for doc in reader.all_doc_ids()}


def test_worker_processes_build_the_same_documents_as_stock_whoosh(tmp_path):
    """index_corpus with 2 writer processes: same content, document order aside."""
    from searchsvc.engine.indexer import index_corpus
    from searchsvc.engine.store import Store

    corpus = REPO / "corpus"
    docs = [article_to_doc(a) for a in _articles(corpus)]
    stock = _stock(tmp_path / "stock", docs)
    index_corpus(corpus, tmp_path / "index", rebuild=True, procs=2)
    store = Store(tmp_path / "index")
    try:
        ra, rb = stock.reader(), store.searcher().reader()
        assert len(rb.leaf_readers()) == 2  # each worker wrote a segment
        ida, idb = _by_id(ra), _by_id(rb)
        assert sorted(ida.values()) == sorted(idb.values())
        schema = stock.schema
        for field in (f for f in schema.names() if schema[f].indexed):
            lexicon = list(ra.lexicon(field))
            assert lexicon == list(rb.lexicon(field)), field
            for term in lexicon:
                pa = sorted((ida[d], w, v or b"") for d, w, v in _postings(ra, field, term))
                pb = sorted((idb[d], w, v or b"") for d, w, v in _postings(rb, field, term))
                assert pa == pb, (field, term)
        docs_b = {i: d for d, i in idb.items()}
        for doc, article_id in ida.items():
            other = docs_b[article_id]
            assert ra.stored_fields(doc) == rb.stored_fields(other)
            for field in schema.scorable_names():
                assert ra.doc_field_length(doc, field) == rb.doc_field_length(other, field)
        for field in schema.scorable_names():
            assert ra.field_length(field) == rb.field_length(field), field
        ra.close()
    finally:
        store.close()
