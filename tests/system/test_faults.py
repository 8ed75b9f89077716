"""Faults in the real `searchsvc index` CLI while a real `searchsvc serve` keeps answering.

- SIGKILL at seeded random moments of full rebuilds and incremental updates: after every kill the
  index opens, the running server answers /api/search with 200 and /api/stats counts exactly the
  old or the new document total; a normal run then finishes the job.
- A write error (RLIMIT_FSIZE, enforced by the kernel even for root) and a permission error
  (the CLI run as an unprivileged user when the tests run as root): a clear message, a non-zero
  exit, no traceback, the previous index intact.
- A stale lock: a writer killed with -9 while holding the lock does not block the next run, and
  the next run removes the temp generation it left.
tests/system/test_crash.py kills and interrupts the same CLI and checks the index folder itself;
these tests check from the outside, through the server.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from servers import CLI, serve
from test_crash import write_corpus

from searchsvc.engine.generations import read_current

REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("SEARCHSVC_FAULT_KILLS", "20"))
SEED = int(os.environ.get("SEARCHSVC_FAULT_SEED", "20261126"))
LEAKS = ("Traceback", 'File "', "/work/")
pytestmark = pytest.mark.slow  # the real CLI in subprocesses, beside a real server


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    """GET a URL; return the status and the decoded JSON body (also for error statuses)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def served_count(base: str) -> int:
    """Check /api/search answers 200 and return /api/stats documents (asked twice: 2 workers)."""
    counts = set()
    for _ in range(2):
        status, body = get_json(base + "/api/search?q=report")
        assert status == 200 and isinstance(body["hits"], list), (status, body)
        status, body = get_json(base + "/api/stats")
        assert status == 200, body
        counts.add(body["documents"])
    assert len(counts) == 1, f"workers disagree: {counts}"
    return counts.pop()


def index_cmd(corpus: Path, index: Path, *extra: str) -> list[str]:
    """Return the CLI command line for an indexing run."""
    return [CLI, "index", "--corpus", str(corpus), "--index", str(index), *extra]


def run_index(corpus: Path, index: Path, *extra: str, **kw) -> subprocess.CompletedProcess:
    """Run `searchsvc index` to completion."""
    return subprocess.run(
        index_cmd(corpus, index, *extra), capture_output=True, text=True, timeout=300, **kw
    )


def set_state(corpus: Path, n_files: int, per_file: int, word: str) -> int:
    """Replace the corpus by n_files JSON Lines files of per_file articles; return the count."""
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, range(n_files), per_file, word)
    return n_files * per_file


def update_state(corpus: Path, flip: int) -> int:
    """An incremental change from the 10x30 state: 4 files rewritten, 1 deleted, 2 added."""
    set_state(corpus, 10, 30, "cocoa")
    if flip:
        write_corpus(corpus, range(4), 25, "sugar")
        (corpus / "f009.jsonl").unlink()
        write_corpus(corpus, range(20, 22), 15, "tin")
        return 5 * 30 + 4 * 25 + 2 * 15
    return 300


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A corpus, its index and a real 2-worker server over it, started once."""
    root = tmp_path_factory.mktemp("faults")
    corpus, index = root / "corpus", root / "index"
    set_state(corpus, 10, 30, "cocoa")
    out = run_index(corpus, index)
    assert out.returncode == 0, out.stderr
    with serve(index, root / "server.log") as base:
        yield corpus, index, base, root / "server.log"


def test_sigkill_at_random_moments_of_rebuilds_and_updates(served):
    corpus, index, base, log = served
    rng = random.Random(SEED)
    # The window for a kill: from after the interpreter start-up to the end of a complete run.
    t0 = time.monotonic()
    subprocess.run([CLI, "--version"], check=True, capture_output=True)
    startup = (time.monotonic() - t0) * 0.8
    probe = index.parent / "probe"
    durations = {}
    update_state(corpus, 0)
    assert run_index(corpus, probe).returncode == 0
    for kind, flip, extra in (("update", 1, ()), ("rebuild", 0, ("--rebuild",))):
        update_state(corpus, flip)
        t0 = time.monotonic()
        assert run_index(corpus, probe, *extra).returncode == 0
        durations[kind] = round(time.monotonic() - t0, 2)
    shutil.rmtree(probe)
    failures, outcomes = [], {"old": 0, "new": 0, "mid-build": 0}
    for n in range(KILLS):
        # Rebuilds switch between 10x30 and 12x35 articles; updates change a few files of 10.
        kind = "rebuild" if n < KILLS // 2 else "update"
        before = served_count(base)
        if kind == "rebuild":
            target, extra = (
                set_state(corpus, *((12, 35, "sugar"), (10, 30, "cocoa"))[n % 2]),
                ("--rebuild",),
            )
        else:
            target, extra = update_state(corpus, n % 2), ()
        delay = rng.uniform(startup, durations[kind] * 1.05)
        proc = subprocess.Popen(
            index_cmd(corpus, index, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        outcomes["mid-build"] += any(p.name.endswith(".tmp") for p in index.iterdir())
        count = served_count(base)
        if count not in (before, target):
            failures.append(f"{kind} killed after {delay:.2f} s: {count} not in {before, target}")
        outcomes["new" if count == target != before else "old"] += 1
        # A normal run finishes the job.
        out = run_index(corpus, index, "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["documents"] == target
        assert served_count(base) == target
        assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
    print(f"{KILLS} SIGKILLs (seed {SEED}), windows {durations}: {outcomes}")
    assert failures == []
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log and '" 500 ' not in server_log


def no_xfsz() -> None:
    """In the child: ignore SIGXFSZ so an over-limit write fails with EFBIG, and cap file size."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(
        resource.RLIMIT_FSIZE, (40_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1])
    )


def assert_clean_failure(out: subprocess.CompletedProcess, *words: str) -> None:
    """A non-zero exit with a one-paragraph message naming the problem, and no traceback."""
    assert out.returncode != 0, out.stdout
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stderr.startswith("Error: "), out.stderr[-2000:]
    assert any(w in out.stderr for w in words), out.stderr


def test_disk_full_while_indexing_is_a_clear_error_and_keeps_the_index(served):
    corpus, index, base, _ = served
    before, live = served_count(base), read_current(index)
    write_corpus(corpus, range(30, 34), 300, "rubber")  # big enough to pass the 40 KB cap
    for extra in ((), ("--rebuild",)):
        out = run_index(corpus, index, *extra, preexec_fn=no_xfsz)
        assert_clean_failure(out, "cannot write the index")
        assert "Hint:" in out.stderr
        assert read_current(index) == live
        assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
        assert served_count(base) == before
    for k in range(30, 34):
        (corpus / f"f{k:03d}.jsonl").unlink()


def without_root_override(cmd: list[str]) -> list[str]:
    """Return cmd so that file permissions bind: as root, drop CAP_DAC_OVERRIDE with setpriv."""
    if os.getuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot enforce permissions")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]


def test_permission_denied_on_the_index_is_a_clear_error_and_keeps_the_index(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    count = set_state(corpus, 3, 10, "cocoa")
    assert run_index(corpus, index).returncode == 0
    live = read_current(index)
    write_corpus(corpus, range(5, 7), 10, "sugar")
    tree = [index, *index.rglob("*")]
    try:
        for p in tree:
            p.chmod(0o555 if p.is_dir() else 0o444)
        for extra in ((), ("--rebuild",)):
            out = subprocess.run(
                without_root_override(index_cmd(corpus, index, *extra)),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert_clean_failure(out, "cannot write", "ermission")
            assert read_current(index) == live
    finally:
        for p in tree:
            p.chmod(0o755 if p.is_dir() else 0o644)
    out = subprocess.run([CLI, "stats", "--index", str(index), "--json"], capture_output=True)
    assert json.loads(out.stdout)["documents"] == count


def test_a_writer_killed_holding_the_lock_does_not_block_the_next_run(served):
    corpus, index, base, _ = served
    target = set_state(corpus, 12, 35, "sugar")
    proc = subprocess.Popen(
        index_cmd(corpus, index, "--rebuild"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in index.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the build never started"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert any(p.name.endswith(".tmp") for p in index.iterdir()), "no temp generation left"
    assert (index / ".write.lock").read_text().strip() == str(proc.pid)  # the dead holder's pid
    t0 = time.monotonic()
    out = run_index(corpus, index, "--json")  # no --wait: a held lock would fail at once
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["documents"] == target
    assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
    assert served_count(base) == target
    print(f"next run after a stale lock finished in {time.monotonic() - t0:.1f} s")


def test_a_live_lock_holder_gives_a_clear_busy_error(served):
    corpus, index, _, _ = served
    hold = (
        "import sys, time\n"
        "from searchsvc.ingest.durable import WriteLock\n"
        "with WriteLock(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(index)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        out = run_index(corpus, index, "--rebuild")
        assert_clean_failure(out, "is writing")
        assert f"pid {holder.pid}" in out.stderr and "--wait" in out.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert run_index(corpus, index).returncode == 0
