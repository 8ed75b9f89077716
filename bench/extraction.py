"""Score the HTML cleaner on the extraction benchmark: token P/R/F1, CPU, cross-validation.

Beside ours, in the same run: a naive get_text baseline and trafilatura (when installed in the
benchmark venv), each with its CPU seconds per page. `--folds K` cross-validates the cleaner's
knobs: pages go to K folds by sorted name (page i to fold i mod K); for each fold the knobs are
chosen by a small grid on the other folds, then the held-out fold is scored with them.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from searchsvc.ingest.extract import Knobs
from searchsvc.ingest.fields import BadFile
from searchsvc.ingest.html import extract_html

_TOKEN = re.compile(r"\w+")
# The grid searched on the training folds: every knob the cleaner has, three values each.
GRID = {"sibling": (0.1, 0.2, 0.3), "split": (0.6, 0.75, 0.9), "links": (0.25, 0.3, 0.4)}
LOW = 0.5
Page = tuple[str, bytes, str, str]  # key, raw HTML, url, gold text


def prf(predicted: str, truth: str) -> tuple[float, float, float]:
    """Return token-level (multiset) precision, recall and F1 of predicted text against truth."""
    p = Counter(_TOKEN.findall(predicted.lower()))
    t = Counter(_TOKEN.findall(truth.lower()))
    common = sum((p & t).values())
    if not p or not t:
        return (float(p == t), float(p == t), float(p == t))
    prec, rec = common / sum(p.values()), common / sum(t.values())
    return prec, rec, (2 * prec * rec / (prec + rec) if common else 0.0)


def _default_dir() -> Path:
    base = (
        os.environ.get("SEARCHSVC_DATA") or Path(__file__).resolve().parents[1] / "../shared/data"
    )
    return Path(base) / "extraction"


def load(folder: Path) -> list[Page]:
    """Return (key, raw HTML, url, gold text) for every page, in sorted key order."""
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    return [
        (k, gzip.decompress((folder / "html" / f"{k}.html.gz").read_bytes()),
         truth[k].get("url", ""), truth[k]["articleBody"])
        for k in sorted(truth)
    ]  # fmt: skip


def ours(raw: bytes, url: str, knobs: Knobs) -> str | None:
    """Return our body text for one page, or None when the cleaner skips it."""
    try:
        body = extract_html(raw, url=url, knobs=knobs)[1]
    except BadFile:
        return None
    return body or None


def run(
    pages: list[Page], extract: Callable[[bytes, str], str | None]
) -> tuple[list[tuple[float, float, float]], list[bool], float]:
    """Extract every page; return per-page P/R/F1, which pages were skipped, and CPU seconds."""
    scores, skipped, cpu = [], [], 0.0
    for _key, raw, url, gold in pages:
        t = time.process_time()
        text = extract(raw, url)
        cpu += time.process_time() - t
        skipped.append(text is None)
        scores.append(prf(text or "", gold))
    return scores, skipped, cpu


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def cross_validate(pages: list[Page], folds: int) -> None:
    """Choose knobs on K-1 folds by grid search, score the held-out fold; print the figures."""
    names = list(GRID)
    configs = [Knobs(**dict(zip(names, v, strict=True))) for v in itertools.product(*GRID.values())]
    f1 = {}  # config -> per-page F1
    skips = {}
    for c in configs:
        scores, skipped, _cpu = run(pages, lambda raw, url, c=c: ours(raw, url, c))
        f1[c], skips[c] = [s[2] for s in scores], skipped
    fold_of = [i % folds for i in range(len(pages))]
    held: list[float] = [0.0] * len(pages)
    held_skipped = 0
    print(f"\n{folds}-fold cross-validation over {len(configs)} knob settings {GRID}")
    for k in range(folds):
        train = [i for i, f in enumerate(fold_of) if f != k]
        test = [i for i, f in enumerate(fold_of) if f == k]
        default = Knobs()
        chosen = max(configs, key=lambda c: (_mean(f1[c][i] for i in train), c == default))
        for i in test:
            held[i] = f1[chosen][i]
            held_skipped += skips[chosen][i]
        low = sum(1 for i in test if f1[chosen][i] < LOW)
        knobs = ", ".join(f"{n}={getattr(chosen, n)}" for n in names)
        print(
            f"  fold {k}: {len(test)} pages, knobs {knobs}: train F1 "
            f"{_mean(f1[chosen][i] for i in train):.3f}, held-out F1 "
            f"{_mean(f1[chosen][i] for i in test):.3f}, below {LOW}: {low}"
        )
    print(
        f"  held-out F1 over all {len(pages)} pages: {_mean(held):.3f}; pages skipped "
        f"{held_skipped}; pages below {LOW}: {sum(1 for f in held if f < LOW)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run ours, the naive baseline and trafilatura over every page and print P/R/F1 and CPU."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=_default_dir())
    ap.add_argument("--worst", type=int, default=0, help="list the N pages with the lowest F1")
    ap.add_argument("--folds", type=int, default=0, help="cross-validate the knobs over K folds")
    ap.add_argument("--no-trafilatura", action="store_true", help="skip the trafilatura run")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
    warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
    pages = load(args.dir)
    n = len(pages)
    default = Knobs()
    rows = {"ours": run(pages, lambda raw, url: ours(raw, url, default))}
    rows["naive"] = run(pages, lambda raw, url: BeautifulSoup(raw, "html.parser").get_text(" "))
    if not args.no_trafilatura:
        try:
            import trafilatura
        except ImportError:
            print("trafilatura is not installed (bench/requirements-bench.txt): not compared")
        else:
            rows["trafilatura"] = run(
                pages, lambda raw, url: trafilatura.extract(raw, url=url) or None
            )
    print(f"pages: {n}")
    for name, (scores, skipped, cpu) in rows.items():
        print(
            f"{name:12s} precision {_mean(s[0] for s in scores):.3f}  recall "
            f"{_mean(s[1] for s in scores):.3f}  F1 {_mean(s[2] for s in scores):.3f}  "
            f"skipped {sum(skipped)}  below {LOW}: {sum(1 for s in scores if s[2] < LOW)}  "
            f"({cpu / n * 1000:.1f} ms CPU/page)"
        )
    if "trafilatura" in rows:
        ratio = rows["ours"][2] / rows["trafilatura"][2]
        print(f"CPU per page ours/trafilatura: {ratio:.2f}x")
    scores = rows["ours"][0]
    pairs = zip(scores, pages, strict=True)
    worst = sorted((s[2], s[0], s[1], key, url) for s, (key, _r, url, _g) in pairs)
    for f1, prec, rec, key, url in worst[: args.worst]:
        print(f"  F1 {f1:.3f} P {prec:.3f} R {rec:.3f} {key[:12]} {url}")
    if args.folds:
        cross_validate(pages, args.folds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
