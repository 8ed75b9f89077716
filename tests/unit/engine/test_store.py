"""The Store on a real index: missing index, shared searcher, refresh, stats, Reuters."""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from whoosh.query import Term

from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import IndexDamaged, IndexMissing, SearchsvcError
from searchsvc.ingest import discover


def write_jsonl(path: Path, prefix: str, n: int) -> None:
    """Write n small articles with ids `<prefix>-<i>` as one JSON Lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": f"{prefix}-{i}",
            "title": f"{prefix} cocoa story {i}",
            "body": f"Cocoa market report {i} from the {prefix} desk.",
            "published": f"1987-0{i % 3 + 2}-{i % 28 + 1:02d}",
            "source": "Wire" if i % 2 else "Daily",
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_jsonl(corpus / "a.jsonl", "a", 6)
    write_jsonl(corpus / "b.jsonl", "b", 3)
    index_corpus(corpus, index, procs=1)
    return corpus, index


def test_a_missing_index_says_how_to_make_one(tmp_path):
    store = Store(tmp_path / "index")
    assert not store.exists()
    with pytest.raises(IndexMissing) as err:
        store.searcher()
    assert "searchsvc index" in err.value.hint
    assert err.value.status == 503
    assert "title" in store.schema.names()  # the schema is known before any index exists
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "CURRENT").write_text("gen-000001\n")  # points at nothing
    assert not store.exists()
    with pytest.raises(IndexMissing):
        _ = store.generation


def test_the_searcher_is_shared_and_follows_a_reindex(indexed):
    corpus, index = indexed
    store = Store(index)
    first = store.searcher()
    assert store.searcher() is first
    generation = store.generation
    assert store.exists() and generation.startswith("gen-")
    write_jsonl(corpus / "c.jsonl", "c", 4)
    index_corpus(corpus, index, procs=1)
    second = store.searcher()
    assert second is not first and store.searcher() is second
    assert store.generation != generation
    assert second.doc_count() == 13
    # A request still holding the old searcher finishes on the old generation.
    assert first.doc_count() == 9
    assert first.search(Term("body", "cocoa"), limit=None).scored_length() == 9
    assert store.searcher().doc_count() == 13
    store.close()


def test_stats_count_sources_and_span_dates(indexed):
    corpus, index = indexed
    store = Store(index)
    engine = SearchEngine(store)
    stats = engine.stats()
    assert stats.documents == 9
    assert stats.sources == {"Daily": 5, "Wire": 4}
    assert stats.date_span == ["1987-02-01", "1987-04-06"]
    assert stats.generation == store.generation
    assert stats.index_bytes > 1000
    assert datetime.fromisoformat(stats.last_update).tzinfo is not None
    (corpus / "b.jsonl").unlink()
    index_corpus(corpus, index, procs=1)
    assert engine.stats().documents == 6
    assert engine.stats().sources == {"Daily": 3, "Wire": 3}
    store.close()


@pytest.mark.slow
def test_threads_keep_searching_while_the_index_is_replaced(indexed):
    corpus, index = indexed
    store = Store(index)
    errors: list[BaseException] = []
    counts: set[int] = set()
    stop = threading.Event()

    def search() -> None:
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:  # one searcher per thread
            try:
                hits = store.searcher().search(Term("body", "cocoa"), limit=3)
                counts.add(len(hits))
            except BaseException as e:
                errors.append(e)
                return

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            write_jsonl(corpus / f"n{i}.jsonl", f"n{i}", 2)
            index_corpus(corpus, index, procs=1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert store.searcher().doc_count() == 21
    assert counts <= {9 + 2 * i for i in range(7)}  # every count is a complete generation
    store.close()


def test_each_thread_gets_its_own_reused_searcher(indexed):
    _, index = indexed
    store = Store(index)
    mine = store.searcher()
    seen = []
    worker = threading.Thread(target=lambda: seen.extend([store.searcher(), store.searcher()]))
    worker.start()
    worker.join()
    assert seen[0] is seen[1] and seen[0] is not mine
    assert store.searcher() is mine
    other = threading.Thread(target=store.searcher)  # asking again closes the dead thread's one
    other.start()
    other.join()
    assert seen[0].is_closed and not mine.is_closed
    store.close()


def test_a_generation_folder_emptied_under_the_store_gives_503_then_recovers(indexed):
    """A thread's first searcher re-reads the generation's TOC: an index folder being restored
    (files not there yet) is a 503 IndexDamaged, not a Whoosh error, and passes once back."""
    _, index = indexed
    store = Store(index)
    store.searcher()  # the generation is open in this thread
    gen = index / store.generation
    aside = index.parent / "aside"
    shutil.copytree(gen, aside)
    for toc in gen.glob("_MAIN_*.toc"):
        toc.unlink()  # a restore that has not copied the TOC yet
    errors: list = []

    def first_search_of_a_thread() -> None:
        try:
            store.searcher()
        except SearchsvcError as e:
            errors.append(e)

    worker = threading.Thread(target=first_search_of_a_thread)
    worker.start()
    worker.join()
    assert [type(e) for e in errors] == [IndexDamaged]
    assert errors[0].status == 503 and str(index) not in errors[0].message
    for f in aside.iterdir():  # the restore completes
        shutil.copy2(f, gen / f.name)
    worker = threading.Thread(target=first_search_of_a_thread)
    worker.start()
    worker.join()
    assert len(errors) == 1
    store.close()


@pytest.mark.data
@pytest.mark.slow
def test_reuters_is_indexed_completely(data_dir, tmp_path):
    reuters = data_dir / "reuters21578"
    if not reuters.is_dir():
        pytest.skip(f"{reuters} is missing")
    index = tmp_path / "index"
    summary = index_corpus(reuters, index)
    print(f"Reuters: {summary}")
    store = Store(index)
    stats = SearchEngine(store).stats()
    assert stats.sources["Reuters"] == 21578  # the other documents are the README-like .txt
    assert stats.date_span[0].startswith("1987-")
    story = store.searcher().document(id="reut2-000-1")
    assert story["title"] == "BAHIA COCOA REVIEW"
    again = index_corpus(reuters, index)
    files = sum(1 for _ in discover(reuters))
    assert files == 32 and summary.added == 22 and len(summary.skipped) == 10  # 22 .sgm files
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 22)
    assert again.skipped == summary.skipped  # the same files, reported with their reasons again
    store.close()
