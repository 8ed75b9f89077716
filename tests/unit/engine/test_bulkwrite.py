"""The bulk segment writer builds the same index content as stock Whoosh's writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sameindex import assert_same_index, bulk_index, postings, stock_index
from whoosh import index as whoosh_index

from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.engine.w3.postwrite import BLOCK_LIMIT
from searchsvc.engine.w3.segwriter import TOKENS_PER_MB, BulkWriter
from searchsvc.ingest import discover, read_file

REPO = Path(__file__).resolve().parents[3]


def _articles(corpus: Path, limit: int = 0) -> list:
    articles = []
    for path in discover(corpus):
        articles += read_file(path, corpus, max_bytes=20 << 20).articles
    return articles[:limit] if limit else articles


def test_bulk_segments_equal_stock_whoosh_on_the_bundled_corpus(tmp_path):
    docs = [article_to_doc(a) for a in _articles(REPO / "corpus")]
    stock = stock_index(tmp_path / "stock", docs)
    bulk = bulk_index(tmp_path / "bulk", docs)
    assert len(bulk._segments()) == 1
    assert_same_index(stock, bulk)


@pytest.mark.slow
def test_a_small_budget_writes_several_segments_with_the_same_content(tmp_path):
    docs = [article_to_doc(a) for a in _articles(REPO / "corpus")]
    stock = stock_index(tmp_path / "stock", docs)
    bulk = bulk_index(tmp_path / "bulk", docs, segment_tokens=2_000)
    assert len(bulk._segments()) > 2
    assert_same_index(stock, bulk, segments=False)


@pytest.mark.data
@pytest.mark.slow
def test_bulk_segments_equal_stock_whoosh_on_a_reuters_sample(data_dir, tmp_path):
    sgm = data_dir / "reuters21578" / "reut2-000.sgm"
    if not sgm.is_file():
        pytest.skip(f"Reuters-21578 not found at {sgm} (set SEARCHSVC_DATA)")
    corpus = tmp_path / "reuters"
    corpus.mkdir()
    shutil.copyfile(sgm, corpus / sgm.name)  # a symlink out of the corpus would be skipped
    docs = [article_to_doc(a) for a in _articles(corpus, limit=200)]
    stock = stock_index(tmp_path / "stock", docs)
    bulk = bulk_index(tmp_path / "bulk", docs)
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


@pytest.mark.slow
def test_worker_processes_build_the_same_documents_as_stock_whoosh(tmp_path):
    """index_corpus with 2 writer processes: same content, document order aside."""
    from searchsvc.engine.indexer import index_corpus
    from searchsvc.engine.store import Store

    corpus = REPO / "corpus"
    docs = [article_to_doc(a) for a in _articles(corpus)]
    stock = stock_index(tmp_path / "stock", docs)
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
                pa = sorted((ida[d], w, v) for d, w, v in postings(ra, field, term))
                pb = sorted((idb[d], w, v) for d, w, v in postings(rb, field, term))
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
