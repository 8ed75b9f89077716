"""The write-ahead log, the applier and the API's articles across index runs, on real indexes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from searchsvc.engine.generations import load_data, read_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.live import apply_if_free, apply_pending
from searchsvc.engine.livewrite import LiveWriter
from searchsvc.engine.store import Store
from searchsvc.engine.w3 import tiers
from searchsvc.engine.w3.segments import leaves, posting_arrays, segment_id, term_matcher
from searchsvc.engine.w3.termarrays import open_arrays
from searchsvc.errors import BadRequest
from searchsvc.ingest.apiarticle import article_from_json, check_id
from searchsvc.ingest.durable import WriteLock
from searchsvc.ingest.wal import Log

REPO = Path(__file__).resolve().parents[3]


def write_jsonl(path: Path, prefix: str, n: int, word: str = "cocoa") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": f"{prefix}-{i}", "title": f"{prefix} {word} {i}", "body": f"The {word} report {i}."}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def api(article_id: str, title: str, body: str = "wombat news") -> object:
    return article_from_json({"title": title, "body": body}, article_id)


def titles(index: Path) -> dict[str, str]:
    """Return id -> title of every live document, read the way the server reads."""
    store = Store(index)
    try:
        s = store.searcher()
        return {f["id"]: f["title"] for f in s.all_stored_fields()}
    finally:
        store.close()


@pytest.fixture
def setup(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_jsonl(corpus / "a.jsonl", "a", 5)
    index_corpus(corpus, index, procs=1)
    store = Store(index)
    yield corpus, index, LiveWriter(index, lambda: store)
    store.close()


def test_log_appends_from_processes_read_back_in_order_and_a_torn_tail_is_cut(tmp_path):
    log = Log(tmp_path)
    code = (
        "import sys; from searchsvc.ingest.wal import Log\n"
        "log = Log(sys.argv[1])\n"
        "for i in range(50): log.append([('put', f'{sys.argv[2]}-{i}', {'n': i})])\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), f"p{k}"]) for k in range(3)
    ]
    assert all(p.wait(60) == 0 for p in procs)
    records = list(log.read(0))
    assert len(records) == 150 and len({r.id for r in records}) == 150
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    for k in range(3):  # each process's records keep their order
        mine = [r.payload["n"] for r in records if r.id.startswith(f"p{k}-")]
        assert mine == list(range(50))
    path = log.files()[-1][1]
    with open(path, "ab") as f:
        f.write(b'1234abcd 0000000999 {"seq": 1')  # a writer killed mid-record
    assert len(list(log.read(0))) == 150  # readers stop before it
    Log(tmp_path).append([("delete", "p0-1", None)])  # the next writer cuts it off
    records = list(log.read(0))
    assert len(records) == 151 and records[-1].op == "delete"
    assert log.fold()["p0-1"].op == "delete" and log.end() == records[-1].end


def test_compaction_keeps_the_last_record_of_every_id(tmp_path):
    log = Log(tmp_path)
    log.rotate_bytes = 200
    for i in range(30):
        log.append([("put", f"x{i % 7}", {"v": i})])
    log.append([("delete", "x3", None)])
    before = {i: (r.op, log.payload(r)) for i, r in log.fold().items()}
    end = log.end()
    assert len(log.files()) > 3
    assert log.compact(end) > 0 and len(log.snapshots()) == 1
    after = Log(tmp_path).fold()
    assert {i: (r.op, log.payload(r)) for i, r in after.items()} == before
    log.append([("put", "x9", {"v": 99})])
    assert Log(tmp_path).fold()["x9"].seq >= end


def test_api_article_validation_names_the_field():
    for obj, field in [
        ({"body": "b"}, "'title'"),
        ({"title": "t"}, "'body'"),
        ({"title": 5, "body": "b"}, "'title'"),
        ({"title": "t", "body": "b", "tags": "x"}, "'tags'"),
        ({"title": "t", "body": "b", "published": "yesterday"}, "'published'"),
        ({"title": "t", "body": "b", "colour": "red"}, "'colour'"),
        ({"title": " ", "body": "b"}, "'title'"),
    ]:
        with pytest.raises(BadRequest, match=field):
            article_from_json(obj, "ok")
    for bad in ["a/b", "a b", "x" * 201, "", "..", "é"]:
        with pytest.raises(BadRequest, match="'id'"):
            check_id(bad)
    art = article_from_json(
        {"title": " T ", "body": "B", "published": "2026-03-01T08:00:00Z", "tags": ["x"]}, "a:1"
    )
    assert (art.title, art.published.isoformat(), art.tags, art.path) == (
        "T",
        "2026-03-01",
        ("x",),
        "",
    )


def test_writes_are_applied_as_one_generation_and_201_200_404_are_exact(setup):
    _corpus, index, writer = setup
    assert writer.put([api("n1", "first"), api("n1", "second")]) == [False, True]
    assert writer.put([api("a-1", "API wins")]) == [True]
    assert writer.delete("nope") is False and writer.delete("a-2") is True
    assert writer.delete("a-2") is False  # pending deletion: already gone
    gen = read_current(index)
    with WriteLock(index):
        assert apply_pending(index) == 4  # n1 twice, a-1, the deletion of a-2
    assert read_current(index) != gen
    got = titles(index)
    assert got["n1"] == "second" and got["a-1"] == "API wins" and "a-2" not in got
    assert len(got) == 5  # a-0, a-1 (API), a-3, a-4, n1
    assert load_data(index / read_current(index))["wal"]["applied"] == Log(index).end()
    assert apply_if_free(index) == 0  # nothing pending


def test_index_and_rebuild_keep_api_articles_and_a_changed_file_wins_again(setup):
    corpus, index, writer = setup
    writer.put([api("n1", "api only"), api("a-1", "API wins")])
    writer.delete("a-2")
    index_corpus(corpus, index, procs=1)  # applies the pending records itself
    expected = {"a-0", "a-1", "a-3", "a-4", "n1"}
    assert set(titles(index)) == expected and titles(index)["a-1"] == "API wins"
    write_jsonl(corpus / "b.jsonl", "b", 2)
    index_corpus(corpus, index, procs=1)
    index_corpus(corpus, index, procs=1, rebuild=True)
    got = titles(index)
    assert set(got) == expected | {"b-0", "b-1"} and got["a-1"] == "API wins"
    write_jsonl(corpus / "a.jsonl", "a", 5, word="cacao")  # the file changes: it wins again
    summary = index_corpus(corpus, index, procs=1)
    got = titles(index)
    assert got["a-1"] == "a cacao 1" and got["a-2"] == "a cacao 2" and got["n1"] == "api only"
    assert summary.documents == len(got) == 8
    index_corpus(corpus, index, procs=1, rebuild=True)
    assert titles(index) == got
    writer.put([api("a-1", "API again")])  # a later API write wins over the file
    index_corpus(corpus, index, procs=1, rebuild=True)
    assert titles(index)["a-1"] == "API again"
    (corpus / "a.jsonl").unlink()  # the file goes: its articles go, the API's stays
    index_corpus(corpus, index, procs=1)
    assert set(titles(index)) == {"a-1", "n1", "b-0", "b-1"}


def test_tier_policy_merges_full_levels_only_and_never_big_segments():
    assert tiers.choose([50_000, 40_000], 1000) == []
    assert tiers.choose([5] * 9, 3) == list(range(9))
    assert tiers.choose([5] * 8, 3) == []
    assert sorted(tiers.choose([5] * 9 + [50] * 9, 3)) == list(range(18))  # a cascade
    assert tiers.choose([0, 0, 20_000], 5) == []
    assert sum([3000] * 9) > tiers.MAX_MERGE_DOCS
    chosen = tiers.choose([3000] * 9, 2000)
    assert 0 < len(chosen) < 9 and 2000 + 3000 * (len(chosen) - 1) < tiers.MAX_MERGE_DOCS


def test_merged_segments_are_bulk_built_with_term_arrays(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_jsonl(corpus / "f00.jsonl", "f00", 3)
    index_corpus(corpus, index, procs=1)
    for k in range(1, 12):  # 11 small updates: level 0 fills up and is merged
        write_jsonl(corpus / f"f{k:02d}.jsonl", f"f{k:02d}", 3, word="cocoa sugar")
        index_corpus(corpus, index, procs=1)
    store = Store(index)
    try:
        reader = store.searcher().reader()
        segs = leaves(reader)
        assert len(segs) < 11 and reader.doc_count() == 36
        for leaf, _ in segs:
            folder = str(index / store.generation)
            arrays = open_arrays(folder, segment_id(leaf), "body")
            assert arrays is not None  # every segment, merged ones too
            for term in (b"cocoa", b"report"):
                docs, weights = posting_arrays(term_matcher(leaf, "body", term))
                got = arrays.postings(term)
                assert np.array_equal(got[0], docs) and np.allclose(got[1], weights)
        assert len(store.searcher().search_page(_q("sugar"), 1, 50)) == 33
    finally:
        store.close()


def _q(word: str):
    from whoosh.query import Term

    return Term("body", word)


def test_applier_process_replays_the_log_on_start(setup, tmp_path):
    _corpus, index, writer = setup
    writer.put([api(f"w{i}", f"written {i}") for i in range(3)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchsvc.engine.live", str(index), str(os.getpid())], cwd=REPO
    )
    try:
        import time

        deadline = time.monotonic() + 20
        while {"w0", "w1", "w2"} - set(titles(index)):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
