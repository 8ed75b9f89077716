"""Updates of a built Reuters xN index, as a running server sees them (bench_scale.py's part).

`searchsvc index` adds 1,000 new articles (one JSON Lines file) and, once the file is removed,
takes them out again, each run timed end to end as a user runs it (a new process). A search
engine opened before (a server's worker) then answers its next search, which opens the new
generation: that first request is timed too, and must find the new articles. Then, on a
hard-linked copy of the index (so the cached one is left as it was), the write API's path:
10 articles appended to the log, applied as the next generation, and the next search; then
the same copy served by `searchsvc serve` (2 workers, which open each new generation
themselves): one article PUT over HTTP, and searches from new connections a second after the
switch (what a reader arriving then waits).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import speed_common as sc
from bench_query import open_engine

UPDATE_FILE = "zz-update-1000.jsonl"


def _next_search(engine, title: str, wanted: str) -> tuple[float, bool]:
    """Time one search for a title (top 10, snippets, facets); return (seconds, whether the
    article `wanted` is then in the engine's generation)."""
    from searchsvc.contract import SearchRequest

    t0 = time.perf_counter()
    engine.search(SearchRequest(q=title, per_page=10))
    seconds = time.perf_counter() - t0
    try:
        engine.article(wanted)
    except Exception:  # NotFound
        return seconds, False
    return seconds, True


def _link_generations(src: str, dst: str) -> None:
    """Hard-link a generation's file (never written again); copy anything else (the write
    log is appended to in place: a link would put the copy's writes in the cached index)."""
    if Path(src).parent.name.startswith("gen-"):
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def _api_batch(index_dir: Path, stories: list[dict]) -> dict:
    """Time 10 write-API articles on a hard-linked copy of the index: apply, next search."""
    live_writer = sc.project_piece("engine.livewrite", "LiveWriter")
    apply_pending = sc.project_piece("engine.live", "apply_pending")
    if sc.missing(live_writer, apply_pending):
        return {}
    from searchsvc.model import Article

    copy = index_dir.with_name(index_dir.name + "-api")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(
        index_dir, copy, copy_function=_link_generations, ignore=shutil.ignore_patterns("*.lock")
    )
    try:
        engine = open_engine(copy)
        _next_search(engine, "oil prices", "")  # warm: the generation is open, as in a worker
        batch = [
            Article(id=f"api-{i}", title=s["title"], body=s["body"])
            for i, s in enumerate(stories[:10])
        ]
        live_writer(copy, lambda: engine.store).put(batch)
        t0 = time.perf_counter()
        apply_pending(copy)
        applied = time.perf_counter() - t0
        seconds, found = _next_search(engine, batch[0].title, "api-0")
        engine.store.close()
        served = _served(copy, stories[10])
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return {"api_apply_s": applied, "api_next_s": seconds, "api_visible": found, **served}


def _served(index_dir: Path, story: dict) -> dict:
    """PUT one article to a served copy; time searches a second after its generation is live."""
    key, port = "bench-write-key-0123456789", sc.free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "searchsvc", "serve", "--index", str(index_dir)]
    cmd += ["--port", str(port), "--workers", "2"]
    env = {**os.environ, "SEARCHSVC_WRITE_KEYS": key}
    log = sc.OUT / "updates-serve.log"
    proc = sc.start_server(cmd, f"{base}/healthz", log, env=env)
    try:
        sc.wait_ready(log, 2)  # the workers open the index as they start
        before = (index_dir / "CURRENT").read_text()
        body = json.dumps({"title": story["title"], "body": story["body"]}).encode()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        put = urllib.request.Request(f"{base}/api/articles/api-http", body, headers, method="PUT")
        urllib.request.urlopen(put, timeout=30).close()
        deadline = time.monotonic() + 60
        while (index_dir / "CURRENT").read_text() == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(1.0)
        took = []
        for q in (story["title"], "oil prices", "wheat exports", "bank rate cut"):
            t0 = time.perf_counter()  # a new connection each: either worker may answer
            url = f"{base}/api/search?" + urllib.parse.urlencode({"q": q})
            urllib.request.urlopen(url, timeout=60).close()
            took.append((time.perf_counter() - t0) * 1000)
        try:
            urllib.request.urlopen(f"{base}/api/articles/api-http", timeout=30).close()
            found = True
        except OSError:
            found = False
    finally:
        sc.stop_server(proc)
    return {"served_ms": took, "served_median_ms": statistics.median(took), "served_found": found}


def update_figures(copies: int, out: Path, n: int = 1000) -> dict:
    """Time adding n articles to the built Nx index and removing them (see the module doc)."""
    corpus, index_dir = out / f"corpus-{copies}x", out / f"searchsvc-{copies}x"
    stories = []
    for story in sc.iter_stories(sc.sgm_files(sc.reuters_dir())):
        if story["title"] and story["body"]:
            stories.append({**story, "id": f"update-{len(stories)}"})
        if len(stories) == n:
            break
    path = corpus / UPDATE_FILE
    cli = str(Path(sys.executable).with_name("searchsvc"))
    cmd = [cli, "index", "--corpus", str(corpus), "--index", str(index_dir)]
    engine = open_engine(index_dir)
    before = engine.store.view().state.documents
    _next_search(engine, "oil prices", "")  # a worker that has served the current generation
    path.write_text("\n".join(json.dumps(s) for s in stories) + "\n", encoding="utf-8")
    try:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        add_s = time.perf_counter() - t0
        next_s, visible = _next_search(engine, stories[-1]["title"], stories[-1]["id"])
        after = engine.store.view().state.documents
    finally:
        path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    remove_s = time.perf_counter() - t0
    gone_s, still = _next_search(engine, stories[-1]["title"], stories[-1]["id"])
    engine.store.close()
    print(
        f"   x{copies}: +{n} articles in {add_s:.1f} s ({before:,} -> {after:,} docs), the "
        f"running engine's next search {next_s:.2f} s (found: {visible}); removing them again "
        f"{remove_s:.1f} s, next search {gone_s:.2f} s (gone: {not still})   command: "
        f"{' '.join(cmd)}",
        flush=True,
    )
    figs = {"add_s": add_s, "remove_s": remove_s, "before": before, "after": after,
            "next_s": next_s, "visible": visible, "gone_s": gone_s}  # fmt: skip
    figs.update(_api_batch(index_dir, stories))
    if "api_apply_s" in figs:
        print(
            f"   x{copies}: write API, 10 articles applied in {figs['api_apply_s']:.2f} s, the "
            f"next search {figs['api_next_s']:.2f} s (found: {figs['api_visible']}); served, "
            f"searches 1 s after a PUT's generation is live: "
            f"{', '.join(f'{ms:.0f}' for ms in figs['served_ms'])} ms "
            f"(found: {figs['served_found']})",
            flush=True,
        )
    return figs
