"""The indexer on real corpora on disk: incremental counts, rebuilds, duplicates, locks, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchsvc.engine.generations import load_manifest, read_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.store import Store
from searchsvc.errors import IndexBusy, IndexWriteError
from searchsvc.ingest.durable import WriteLock

REPO = Path(__file__).resolve().parents[3]
CLI = str(Path(sys.executable).with_name("searchsvc"))
SUMMARY_KEYS = {
    "added",
    "updated",
    "deleted",
    "unchanged",
    "skipped",
    "truncated",
    "documents",
    "seconds",
    "docs_per_s",
}


def write_jsonl(path: Path, prefix: str, n: int, word: str = "cocoa") -> None:
    """Write n small articles with ids `<prefix>-<i>` as one JSON Lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "id": f"{prefix}-{i}",
                "title": f"{prefix} story {i}",
                "body": f"The {word} market report number {i} from the {prefix} desk.",
                "published": f"1987-03-{i % 28 + 1:02d}",
                "source": "Wire" if i % 2 else "Daily",
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def doc(index: Path, article_id: str) -> dict | None:
    """Return the stored fields of one article, read from a fresh Store."""
    store = Store(index)
    try:
        return store.searcher().document(id=article_id)
    finally:
        store.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write_jsonl(root / "a.jsonl", "a", 5)
    write_jsonl(root / "b.jsonl", "b", 4)
    write_jsonl(root / "sub" / "c.jsonl", "c", 3)
    write_jsonl(root / "d.jsonl", "d", 2)
    return root


def test_first_run_indexes_everything_and_reports_unreadable_files(corpus, tmp_path):
    (corpus / "notes.bin").write_bytes(b"\x00\x01binary")
    index = tmp_path / "index"
    summary = index_corpus(corpus, index, procs=1)
    assert (summary.added, summary.updated, summary.deleted, summary.unchanged) == (4, 0, 0, 0)
    assert summary.documents == 14
    assert [s["path"] for s in summary.skipped] == ["notes.bin"]
    assert set(summary.to_dict()) == SUMMARY_KEYS
    json.dumps(summary.to_dict())
    assert str(summary).startswith("4 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped; 14 ")
    assert summary.docs_per_s > 0
    assert doc(index, "c-2")["path"] == "sub/c.jsonl"


def test_incremental_adds_updates_deletes_and_leaves_the_rest(corpus, tmp_path):
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    write_jsonl(corpus / "b.jsonl", "b", 2, word="sugar")  # changed: 4 -> 2 articles
    (corpus / "sub" / "c.jsonl").unlink()  # deleted
    write_jsonl(corpus / "e.jsonl", "e", 6)  # new
    before = (corpus / "d.jsonl").stat()
    os.utime(corpus / "d.jsonl", ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))
    summary = index_corpus(corpus, index, procs=1)
    assert (summary.added, summary.updated, summary.deleted, summary.unchanged) == (1, 1, 1, 2)
    assert summary.skipped == []
    assert summary.documents == 5 + 2 + 2 + 6
    assert "sugar" in doc(index, "b-1")["body"]
    assert doc(index, "b-3") is None and doc(index, "c-0") is None
    assert doc(index, "e-5") is not None
    # The touched file kept its entry with the new mtime: the next run takes the fast path.
    manifest = Store(index).manifest()
    assert manifest["d.jsonl"]["mtime_ns"] == before.st_mtime_ns + 5_000_000_000
    assert manifest["b.jsonl"]["ids"] == ["b-0", "b-1"]
    again = index_corpus(corpus, index, procs=1)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert again.documents == 15


def test_unchanged_files_are_not_read_again(corpus, tmp_path):
    """Same size and mtime: the file is not opened, so new bytes behind an old stamp stay unseen."""
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    path = corpus / "a.jsonl"
    st = path.stat()
    text = path.read_text(encoding="utf-8").replace("cocoa", "maize")
    assert len(text) == st.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    generation = read_current(index)
    summary = index_corpus(corpus, index, procs=1)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 4)
    assert read_current(index) == generation  # nothing changed: no new generation either
    assert "cocoa" in doc(index, "a-0")["body"]
    rebuilt = index_corpus(corpus, index, rebuild=True, procs=1)
    assert (rebuilt.added, rebuilt.unchanged, rebuilt.documents) == (4, 0, 14)
    assert "maize" in doc(index, "a-0")["body"]
    assert read_current(index) != generation


def test_duplicate_ids_first_file_wins_and_the_loser_returns_when_freed(corpus, tmp_path):
    index = tmp_path / "index"
    write_jsonl(corpus / "z.jsonl", "a", 2, word="copy")  # ids a-0, a-1 again
    summary = index_corpus(corpus, index, procs=1)
    assert summary.documents == 14
    assert {s["path"] for s in summary.skipped} == {"z.jsonl"}
    assert all("duplicate article id a-" in s["reason"] for s in summary.skipped)
    assert "cocoa" in doc(index, "a-0")["body"]
    (corpus / "a.jsonl").unlink()
    summary = index_corpus(corpus, index, procs=1)
    assert (summary.deleted, summary.updated) == (1, 1)  # z.jsonl re-read for the freed ids
    assert summary.documents == 11
    assert "copy" in doc(index, "a-1")["body"]


def test_syndicated_copies_share_a_dup_key(tmp_path):
    corpus = tmp_path / "corpus"
    body = "Cocoa prices rose sharply on Tuesday as traders weighed the weather in West Africa."
    shouted = "  " + body.upper().replace(" ", "  ")
    rows = [
        {"id": "one", "title": "Cocoa up", "body": body, "source": "Wire"},
        {"id": "two", "title": "COCOA UP", "body": shouted, "source": "Daily"},
        {"id": "three", "title": "Sugar", "body": "Sugar prices fell on Tuesday, a quiet market."},
    ]
    corpus.mkdir()
    (corpus / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    index_corpus(corpus, tmp_path / "index", procs=1)
    store = Store(tmp_path / "index")
    searcher = store.searcher()
    keys = {i: searcher.document(id=i)["dup"] for i in ("one", "two", "three")}
    assert keys["one"] == keys["two"] != keys["three"]
    assert searcher.reader().has_column("dup")  # sortable: search can collapse on it
    store.close()


def test_multiprocess_writer_gives_the_same_index(corpus, tmp_path):
    for i in range(6):
        write_jsonl(corpus / f"more{i}.jsonl", f"m{i}", 40)
    index = tmp_path / "index"
    summary = index_corpus(corpus, index, procs=2, rebuild=True)
    assert summary.documents == 14 + 240
    write_jsonl(corpus / "more3.jsonl", "m3", 10, word="rubber")
    summary = index_corpus(corpus, index, procs=2)
    assert (summary.updated, summary.documents) == (1, 14 + 210)
    assert "rubber" in doc(index, "m3-9")["body"]


def test_leftovers_of_a_killed_build_are_removed(corpus, tmp_path):
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    live = read_current(index)
    (index / "gen-000007.tmp").mkdir()
    (index / "gen-000007.tmp" / "junk").write_text("x")
    (index / "gen-000009").mkdir()  # renamed into place, but CURRENT was never switched
    write_jsonl(corpus / "e.jsonl", "e", 1)
    summary = index_corpus(corpus, index, procs=1)
    assert summary.added == 1
    names = sorted(p.name for p in index.iterdir() if p.name.startswith("gen-"))
    assert names == [live, read_current(index)]


def test_old_generations_are_pruned_after_the_grace_period(corpus, tmp_path):
    index = tmp_path / "index"
    gens = []
    for i in range(3):
        write_jsonl(corpus / f"n{i}.jsonl", f"n{i}", 1)
        index_corpus(corpus, index, procs=1)
        gens.append(read_current(index))
    assert all((index / g).is_dir() for g in gens)  # all within the grace period
    old = time.time() - 3600
    for g in gens:
        os.utime(index / g / "manifest.json", (old, old))
    write_jsonl(corpus / "n9.jsonl", "n9", 1)
    index_corpus(corpus, index, procs=1)
    left = sorted(p.name for p in index.iterdir() if p.name.startswith("gen-"))
    assert left == [gens[-1], read_current(index)]  # the live one and the previous one


@pytest.mark.slow
def test_a_second_writer_waits_or_fails_with_index_busy(corpus, tmp_path):
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    cmd = [sys.executable, "-c", HOLD_LOCK, str(index)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "locked"
            with pytest.raises(IndexBusy) as err:
                index_corpus(corpus, index, lock_timeout=0.2)
            assert f"pid {holder.pid}" in err.value.message
            assert "is writing" in err.value.message
            start = time.monotonic()
            summary = index_corpus(corpus, index, lock_timeout=20)  # the holder lets go at ~1.5 s
            assert time.monotonic() - start > 0.5
            assert summary.documents == 14
        finally:
            holder.kill()


HOLD_LOCK = """
import sys, time
from searchsvc.ingest.durable import WriteLock
with WriteLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(1.5)
"""


def test_a_writer_lock_is_also_exclusive_between_threads(tmp_path):
    with WriteLock(tmp_path), pytest.raises(IndexBusy):
        WriteLock(tmp_path, timeout=0.1).__enter__()
    with WriteLock(tmp_path):  # released again
        pass


@pytest.mark.slow
def test_concurrent_index_processes_never_corrupt_the_index(corpus, tmp_path):
    for i in range(8):
        write_jsonl(corpus / f"p{i}.jsonl", f"p{i}", 30)
    index = tmp_path / "index"
    cmd = [CLI, "index", "--corpus", str(corpus), "--index", str(index), "--procs", "1"]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
        p.wait()
    assert any(code == 0 for code, _ in results)
    for code, err in results:
        assert code == 0 or "is writing" in err, err  # the other one held the lock
    store = Store(index)
    assert store.searcher().doc_count() == 14 + 240
    store.close()


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_a_write_failure_raises_and_keeps_the_previous_index(corpus, tmp_path, procs):
    """RLIMIT_FSIZE makes the OS refuse big writes (EFBIG), even for root: a real write error."""
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    live = read_current(index)
    for i in range(4):
        write_jsonl(corpus / f"big{i}.jsonl", f"big{i}", 300)
    out = subprocess.run(
        [sys.executable, "-c", FAIL_WRITE, str(corpus), str(index), str(procs)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 3, out.stderr
    assert "cannot write the index" in out.stdout
    assert read_current(index) == live
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")]
    assert len(load_manifest(index / live)) == 4
    store = Store(index)
    assert store.searcher().doc_count() == 14
    store.close()


FAIL_WRITE = """
import resource, signal, sys
from searchsvc.errors import IndexWriteError
from searchsvc.engine.indexer import index_corpus
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    index_corpus(sys.argv[1], sys.argv[2], procs=int(sys.argv[3]))
except IndexWriteError as e:
    print(e.message, e.hint)
    sys.exit(3)
"""


class CtrlCInAFinalizer:
    """Sends this process SIGINT from its __del__: CPython raises the KeyboardInterrupt inside
    the finalizer, which prints it as "Exception ignored" and drops it. A real Ctrl-C meets the
    same fate whenever the first bytecode after it is a finalizer's (seen in the indexer in
    multiprocessing's Connection.__del__ and the import system's module-lock callbacks)."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("procs", [1, 2])
def test_a_ctrl_c_that_a_finalizer_swallowed_still_abandons_the_build(corpus, tmp_path, procs):
    index = tmp_path / "index"
    index_corpus(corpus, index, procs=1)
    live = read_current(index)
    write_jsonl(corpus / "e.jsonl", "e", 3)

    def progress(done: int, total: int, rel: str) -> None:
        if done == 1:
            CtrlCInAFinalizer()  # dropped at once: its __del__ runs here

    with pytest.raises(KeyboardInterrupt):
        index_corpus(corpus, index, procs=procs, progress=progress)
    assert read_current(index) == live
    assert [p.name for p in index.iterdir() if p.name.startswith("gen-")] == [live]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
    assert index_corpus(corpus, index, procs=1).documents == 14 + 3


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match="corpus folder not found"):
        index_corpus(tmp_path / "nope", tmp_path / "index")
    assert IndexWriteError.status == 500
