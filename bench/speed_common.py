"""Shared helpers of the speed benchmarks: data, queries, timing statistics, servers, tables."""

from __future__ import annotations

import html
import math
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"  # git-ignored: cached indexes, server logs, query files
QUERY_SEED = 20261126
_WORD = re.compile(r"[a-z]+")
_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _field(name: str) -> re.Pattern:
    return re.compile(rf"<{name}>(.*?)</{name}>", re.S)


_TITLE, _BODY, _DATE, _AUTHOR = _field("TITLE"), _field("BODY"), _field("DATE"), _field("AUTHOR")
_TOPICS, _PLACES, _D = _field("TOPICS"), _field("PLACES"), _field("D")


def data_dir() -> Path:
    """Return the shared data folder (env SEARCHSVC_DATA, else <repo>/../shared/data)."""
    return Path(os.environ.get("SEARCHSVC_DATA") or REPO.parent / "shared" / "data")


def reuters_dir() -> Path:
    """Return the Reuters-21578 folder, exiting with a clear message when it is absent."""
    path = data_dir() / "reuters21578"
    if not list(path.glob("reut2-*.sgm")):
        sys.exit(f"Reuters-21578 not found in {path} (set SEARCHSVC_DATA)")
    return path


def sgm_files(root: Path, limit: int = 0) -> list[Path]:
    """Return the sorted reut2-*.sgm files of root (the first `limit` when limit > 0)."""
    files = sorted(root.glob("reut2-*.sgm"))
    return files[:limit] if limit > 0 else files


def decode(raw: bytes) -> str:
    """Decode a Reuters file: UTF-8, else Latin-1 (reut2-017 has one 0xFC byte)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _clean(text: str) -> str:
    return _CTRL.sub(" ", html.unescape(text)).strip()


def iter_stories(files: list[Path]) -> Iterator[dict]:
    """Yield each story as a dict (id, title, body, published, author, tags) by regex."""
    for path in files:
        text = decode(path.read_bytes())
        for m in _DOC.finditer(text):
            attrs, inner = m.group(1), m.group(2)
            newid = _NEWID.search(attrs)
            title, body = _TITLE.search(inner), _BODY.search(inner)
            date, author = _DATE.search(inner), _AUTHOR.search(inner)
            tags = []
            for block in (_TOPICS.search(inner), _PLACES.search(inner)):
                if block:
                    tags += [d.strip() for d in _D.findall(block.group(1))]
            yield {
                "id": f"{path.stem}-{newid.group(1) if newid else m.start()}",
                "title": _clean(title.group(1)) if title else "",
                "body": _clean(body.group(1)) if body else "",
                "published": _date(date.group(1)) if date else None,
                "author": _clean(author.group(1)) if author else "",
                "tags": tags,
            }


def _date(text: str) -> str | None:
    try:
        return datetime.strptime(text.split()[0], "%d-%b-%Y").date().isoformat()
    except ValueError:
        return None


def stop_words() -> frozenset[str]:
    """Return Whoosh's English stop list (the same one searchsvc.text.analysis uses)."""
    from whoosh.lang.stopwords import stoplists

    return frozenset(stoplists["en"])


class QueryMaker:
    """Reproducible 1-3 word queries: title words with document frequency in [5, 5000]."""

    def __init__(self, files: list[Path], min_df: int = 5, max_df: int = 5000) -> None:
        stops = stop_words()
        df: dict[str, int] = {}
        title_words: list[list[str]] = []
        for story in iter_stories(files):
            words = set(_WORD.findall(f"{story['title']} {story['body']}".lower()))
            for w in words:
                df[w] = df.get(w, 0) + 1
            title_words.append(_WORD.findall(story["title"].lower()))
        ok = {w for w, n in df.items() if min_df <= n <= max_df and len(w) > 2 and w not in stops}
        self.titles: list[list[str]] = []
        for words in title_words:
            kept = list(dict.fromkeys(w for w in words if w in ok))
            if kept:
                self.titles.append(kept)
        self.vocabulary = sorted({w for t in self.titles for w in t})

    def one(self, rng: random.Random) -> str:
        """Return one query: 1-3 vocabulary words of one random title, in title order."""
        words = rng.choice(self.titles)
        k = min(len(words), rng.choice((1, 2, 3)))
        picks = sorted(rng.sample(range(len(words)), k))
        return " ".join(words[i] for i in picks)

    def queries(self, n: int, seed: int = QUERY_SEED) -> list[str]:
        """Return n queries (repeats allowed) from a seeded generator."""
        rng = random.Random(seed)
        return [self.one(rng) for _ in range(n)]

    def distinct(self, n: int, seed: int = QUERY_SEED) -> list[str]:
        """Return n distinct queries (fewer only if the vocabulary cannot make that many)."""
        rng = random.Random(seed)
        seen: dict[str, None] = {}
        tries = 0
        while len(seen) < n and tries < 50 * n:
            seen[self.one(rng)] = None
            tries += 1
        return list(seen)


def zipf_sample(pool: list[str], n: int, seed: int, s: float = 1.0) -> list[str]:
    """Return n draws from pool with P(rank r) proportional to 1 / r**s (a query log)."""
    rng = random.Random(seed)
    cum, total = [], 0.0
    for r in range(1, len(pool) + 1):
        total += 1.0 / r**s
        cum.append(total)
    return rng.choices(pool, cum_weights=cum, k=n)


def fixed_queries(n: int = 300) -> list[str]:
    """Return the fixed, reproducible set of n benchmark queries over the whole Reuters corpus."""
    return QueryMaker(sgm_files(reuters_dir())).queries(n)


# --- statistics -----------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ratio(a: float, b: float) -> float:
    """Return a / b, NaN when either is missing or b is zero."""
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


def fmt(value, digits: int = 1) -> str:
    """Format a number for a table ('-' for None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list]) -> str:
    """Return a plain-text table with right-aligned columns (strings left-aligned)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        line = "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        lines.append(line)
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    """Return MET / MISSED / n/a for a target check."""
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def dir_size(path: Path) -> int:
    """Return the bytes of all regular files below path, each file once: generations share
    their unchanged segments as hard links, which a plain sum counted once per generation."""
    seen: dict[tuple[int, int], int] = {}
    for f in path.rglob("*"):
        if f.is_file():
            st = f.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def header(title: str) -> None:
    """Print a benchmark banner with the machine context (cores, load, Python, time)."""
    load = os.getloadavg()
    print(f"== {title} ==")
    print(
        f"   {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  cores={os.cpu_count()}  "
        f"load={load[0]:.2f}/{load[1]:.2f}  python={sys.version.split()[0]}",
        flush=True,
    )


# --- the project's pieces -------------------------------------------------------------------


def project_piece(module: str, name: str):
    """Return searchsvc.<module>.<name>, or a string saying why it is missing."""
    try:
        mod = __import__(f"searchsvc.{module}", fromlist=[name])
        return getattr(mod, name)
    except Exception as err:
        return f"searchsvc.{module}.{name} is missing ({type(err).__name__}: {err})"


def missing(*pieces) -> list[str]:
    """Return the messages of the pieces that project_piece could not load."""
    return [p for p in pieces if isinstance(p, str)]


# --- processes and servers ------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Return the resident memory of a process in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def memory_mb(pid: int, index: Path | None = None) -> dict[str, float]:
    """Return a process's RSS, PSS, USS and anonymous memory in MB (smaps_rollup).

    USS (private pages) is what the process alone costs; PSS shares each shared page (the
    memory-mapped index, the page cache's) between the processes mapping it. USS also counts
    index pages only this worker has touched so far (they stay the page cache's): with
    `index`, `uss_index` is that part (the private pages of mappings of files under it, from
    /proc/PID/smaps); `anon` is the heap alone (Python objects, arrays, caches).
    """
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    except OSError:
        return {"rss": math.nan, "pss": math.nan, "uss": math.nan, "anon": math.nan}
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "rss": fields.get("Rss", 0) / 1024,
        "pss": fields.get("Pss", 0) / 1024,
        "uss": uss / 1024,
        "anon": fields.get("Anonymous", 0) / 1024,
        "uss_index": _private_under(pid, index) / 1024 if index is not None else math.nan,
    }


def _private_under(pid: int, folder: Path) -> int:
    """Return the private kB of a process's mappings of files under folder (/proc/PID/smaps)."""
    root, total, inside = str(Path(folder).resolve()) + "/", 0, False
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):  # a mapping's header
            inside = len(parts) >= 6 and parts[5].startswith(root)
        elif inside and parts[0] in ("Private_Clean:", "Private_Dirty:"):
            total += int(parts[1])
    return total


def workers(master: int) -> list[int]:
    """Return the pids of a `searchsvc serve` master's gunicorn workers (not its applier)."""
    out = []
    for pid in children(master):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"searchsvc.engine.live" not in cmd:  # the live-write applier
            out.append(pid)
    return out


def children(pid: int) -> list[int]:
    """Return the pids of the direct children of pid (gunicorn workers of a master)."""
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(d.name))
    return sorted(kids)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    cmd: list[str], url: str, log: Path, env: dict | None = None, timeout: float = 120
):
    """Start a server process and wait until url answers 200; return the Popen."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"server not ready after {timeout:.0f}s at {url}; see {log}")


def wait_ready(log: Path, workers: int, timeout: float = 60) -> bool:
    """Wait until `workers` searchsvc workers have logged that they opened the index.

    Workers open the index as they start (web/server.py follow_index); a load that connects
    while one of them is still opening it puts every keep-alive connection on the other.
    Returns False at once for a searchsvc without it, and after `timeout`.
    """
    if isinstance(project_piece("web.server", "follow_index"), str):
        return False
    pattern = re.compile(r"\[(\d+)\] \[INFO\] index generation \S+ ready in this worker")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if len(set(pattern.findall(text))) >= workers:
            return True
        time.sleep(0.1)
    return False


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server this benchmark started (SIGTERM to its pid, SIGKILL after 15 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def profile(fn, top: int = 30) -> None:
    """Run fn under pyinstrument (cProfile if absent) and print the top self-time hotspots."""
    try:
        from pyinstrument import Profiler
        from pyinstrument.renderers import ConsoleRenderer
    except ImportError:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(fn)
        print("-- hotspots (cProfile, by own time) --")
        pstats.Stats(prof).sort_stats("tottime").print_stats(top)
        return
    prof = Profiler(interval=0.0005)
    prof.start()
    try:
        fn()
    finally:
        prof.stop()
    text = prof.output(ConsoleRenderer(unicode=False, color=False, flat=True, short_mode=False))
    print("-- hotspots (pyinstrument, self time; file:line function) --")
    print("\n".join(text.splitlines()[: top + 8]))


def sgm_corpus(dest: Path, files: list[Path], copies: int = 1) -> Path:
    """Lay out a corpus of only the .sgm files (copies > 1: folders copy1..copyN); return dest."""
    import shutil

    wanted = set()
    for k in range(1, copies + 1):
        folder = dest if copies == 1 else dest / f"copy{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for src in files:
            target = folder / src.name
            wanted.add(target)
            if not target.exists() or target.stat().st_size != src.stat().st_size:
                shutil.copyfile(src, target)
    for f in dest.rglob("*"):
        if f.is_file() and f not in wanted:
            f.unlink()
    return dest


def project_index(out: Path, copies: int = 1, reuse: bool = False) -> tuple[Path, str | None]:
    """Return (searchsvc index of Reuters x copies, why it is missing), built unless reused."""
    import shutil

    index_dir = out / f"searchsvc-{copies}x"
    index_corpus = project_piece("engine.indexer", "index_corpus")
    if isinstance(index_corpus, str):
        return index_dir, index_corpus
    if reuse and (index_dir / "CURRENT").exists():
        return index_dir, None
    if index_dir.exists():
        shutil.rmtree(index_dir)
    corpus = sgm_corpus(out / f"corpus-{copies}x", sgm_files(reuters_dir()), copies)
    print(f"   building searchsvc index of Reuters x{copies} in {index_dir} ...", flush=True)
    t0 = time.perf_counter()
    s = index_corpus(corpus, index_dir, rebuild=True)
    print(f"   {s.documents:,} docs in {time.perf_counter() - t0:.1f} s", flush=True)
    return index_dir, None


def print_collapsed(raw: Path, top: int = 25) -> None:
    """Print own-time and total-time hotspots (file:function) from a py-spy raw profile."""
    import re as _re
    from collections import Counter

    if not raw.exists():
        print(f"(no py-spy output in {raw}: py-spy may lack ptrace permission)")
        return
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    print(f"-- py-spy: {samples} samples; top own time --")
    for f, n in own.most_common(top):
        print(f"{100 * n / samples:5.1f}%  {f}")
    print("-- top total (inclusive) time in searchsvc / whoosh, entry points left out --")
    picked = [
        (f, n)
        for f, n in total.most_common()
        if ("searchsvc" in f or "whoosh" in f) and n < 0.9 * samples
    ]
    for f, n in picked[:top]:
        print(f"{100 * n / samples:5.1f}%  {f}")


def spy_command(cmd: list[str], raw: Path, top: int = 25) -> None:
    """Run cmd under `py-spy record --subprocesses` and print its hotspots (file:function)."""
    import shutil

    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        print("(py-spy is not installed: bench/.venv/bin/pip install py-spy)")
        return
    raw.parent.mkdir(parents=True, exist_ok=True)
    spy = [
        exe,
        "record",
        "--subprocesses",
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(raw),
        "--",
        *cmd,
    ]
    subprocess.run(
        spy, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800
    )
    print_collapsed(raw, top)
