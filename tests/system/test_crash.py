"""kill -9 or Ctrl-C of a running `searchsvc index` never leaves a broken or half-updated index."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchsvc.engine.generations import GEN_PREFIX, TMP_SUFFIX, load_manifest, read_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.store import Store

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("searchsvc"))
pytestmark = pytest.mark.slow  # every test runs the real indexer in subprocesses


def write_corpus(root: Path, files: range, per_file: int, word: str) -> None:
    """Write JSON Lines files f<k>.jsonl with `per_file` articles each."""
    root.mkdir(parents=True, exist_ok=True)
    for k in files:
        rows = (
            {
                "id": f"f{k}-{i}",
                "title": f"Story {i} of file {k} on {word}",
                "body": f"The {word} report {i}: prices, harvests and shipping news from desk {k}. "
                * 3,
                "published": f"1987-03-{i % 28 + 1:02d}",
                "source": "Wire",
            }
            for i in range(per_file)
        )
        (root / f"f{k:03d}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def live_count(index: Path) -> int:
    """Open the live generation the way the server does and count its documents."""
    store = Store(index)
    try:
        assert len(load_manifest(index / store.generation)) > 0
        return store.searcher().doc_count()
    finally:
        store.close()


def orphans(index: Path) -> list[int]:
    """Return pids of processes still running an indexer on `index` (workers of a killed run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(index).encode() + b"\0" in cmdline and CLI.encode() + b"\0index" in cmdline:
                found.append(int(entry.name))
    return found


def start(corpus: Path, index: Path, *args: str) -> subprocess.Popen:
    """Start the real `searchsvc index` on corpus and index."""
    cmd = [CLI, "index", "--corpus", str(corpus), "--index", str(index), *args]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed_run(corpus: Path, index: Path, *args: str) -> float:
    t0 = time.monotonic()
    with start(corpus, index, *args) as p:
        err = p.stderr.read().decode()
        assert p.wait(timeout=300) == 0, err
    return time.monotonic() - t0


def state_a(corpus: Path) -> int:
    """12 files of 30 articles."""
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, range(12), 30, "cocoa")
    return 360


def state_b(corpus: Path) -> int:
    """12 files of 40 articles: every file differs from state A."""
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, range(12), 40, "sugar")
    return 480


def state_c(corpus: Path) -> int:
    """From state B: 4 files changed, 2 deleted, 6 rewritten with the same bytes, 3 added."""
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, range(4, 10), 40, "sugar")
    write_corpus(corpus, range(4), 10, "rubber")
    write_corpus(corpus, range(20, 23), 20, "tin")
    return 6 * 40 + 4 * 10 + 3 * 20


def kill_at_random(corpus, index, args, states, kills, rng, duration, startup) -> None:
    """Switch the corpus between two states and SIGKILL the indexer at a random moment, `kills`
    times; after each kill the live index holds exactly the old or the new document count."""
    mid_build, outcomes = 0, []
    for n in range(kills):
        before = live_count(index)
        target = states[n % 2](corpus)
        delay = rng.uniform(startup, duration * 1.05)
        with start(corpus, index, *args) as p:
            time.sleep(delay)
            p.kill()
            p.wait(timeout=60)
            p.stderr.read()
        deadline = time.monotonic() + 5
        while orphans(index) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert orphans(index) == [], "worker processes outlived the killed indexer"
        mid_build += any(p.name.endswith(".tmp") for p in index.iterdir())
        count = live_count(index)
        assert count in (before, target), f"killed after {delay:.2f} s: {count} documents"
        outcomes.append("new" if count == target != before else "old")
    print(f"{kills} kills within {duration:.1f} s: {mid_build} mid-build, outcomes {outcomes}")


def crash_scenario(tmp_path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    # Kills during the interpreter start-up prove nothing: aim after it.
    t0 = time.monotonic()
    subprocess.run([CLI, "--version"], cwd=REPO, check=True, capture_output=True)
    startup = (time.monotonic() - t0) * 0.8
    corpus, index, probe = tmp_path / "corpus", tmp_path / "index", tmp_path / "probe"
    # Rebuilds with two writer processes, the corpus switching between A and B. A probe index
    # beside the real one gives the duration of a complete run: the window for the kills.
    state_a(corpus)
    index_corpus(corpus, index, procs=1)
    rebuild = ("--rebuild", "--procs", "2")
    state_b(corpus)
    duration = timed_run(corpus, probe, *rebuild)
    kill_at_random(corpus, index, rebuild, (state_b, state_a), kills // 2, rng, duration, startup)
    state_b(corpus)
    timed_run(corpus, index, *rebuild)
    assert live_count(index) == 480

    # Incremental updates, the corpus switching between B and C.
    state_c(corpus)
    duration = timed_run(corpus, probe, "--procs", "1")
    states = (state_c, state_b)
    kill_at_random(
        corpus, index, ("--procs", "1"), states, kills - kills // 2, rng, duration, startup
    )

    new = state_c(corpus)
    summary = index_corpus(corpus, index, procs=1)
    assert summary.documents == new == live_count(index)
    assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
    assert read_current(index) is not None


def building(index: Path) -> bool:
    """Whether a generation is being built: gen-NNNNNN.tmp exists. (Not .CURRENT.<pid>.tmp, which
    exists only while CURRENT is switched to a generation already complete and renamed.)"""
    return any(
        p.name.startswith(GEN_PREFIX) and p.name.endswith(TMP_SUFFIX) for p in index.iterdir()
    )


def freeze(proc: subprocess.Popen) -> None:
    """SIGSTOP proc and return once the kernel reports it stopped (or it has exited)."""
    proc.send_signal(signal.SIGSTOP)
    stat = Path(f"/proc/{proc.pid}/stat")
    while proc.poll() is None and stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
        time.sleep(0.001)


def test_ctrl_c_during_a_rebuild_cleans_up_and_keeps_the_old_index(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    old = state_a(corpus)
    index_corpus(corpus, index, procs=1)
    live = read_current(index)
    shutil.rmtree(corpus)
    write_corpus(corpus, range(12), 400, "sugar")  # builds for about a second
    with start(corpus, index, "--rebuild", "--procs", "2") as p:
        deadline = time.monotonic() + 60
        while not building(index):
            assert p.poll() is None and time.monotonic() < deadline, "the build never started"
            time.sleep(0.01)
        # Ctrl-C must land mid-build, however late the scheduler runs this loop: freeze the
        # indexer, check that its generation is still being built, then send SIGINT and let
        # it go on (the pending SIGINT is delivered when it resumes).
        freeze(p)
        assert p.poll() is None and building(index), "the build ended before the Ctrl-C"
        assert read_current(index) == live
        p.send_signal(signal.SIGINT)
        p.send_signal(signal.SIGCONT)
        err = p.stderr.read().decode()
        assert p.wait(timeout=60) == 1, err  # click: "Aborted!", status 1
    assert err.strip().endswith("Aborted!") and "Traceback" not in err, err
    assert not [x.name for x in index.iterdir() if x.name.endswith(".tmp")]
    assert read_current(index) == live and live_count(index) == old
    deadline = time.monotonic() + 5
    while orphans(index) and time.monotonic() < deadline:  # workers die with their parent
        time.sleep(0.05)
    assert orphans(index) == []


def test_kill_9_during_rebuild_and_update_keeps_a_usable_index(tmp_path):
    crash_scenario(tmp_path, kills=6, seed=int(os.environ.get("SEARCHSVC_CRASH_SEED", "1987")))


def test_kill_9_many_times(tmp_path):
    crash_scenario(tmp_path, kills=24, seed=int(time.time()))
