"""Score the HTML cleaner against the extraction benchmark (token P/R/F1 vs naive get_text)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from searchsvc.ingest.html import extract_html

_TOKEN = re.compile(r"\w+")


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


def main(argv: list[str] | None = None) -> int:
    """Run ours and the naive get_text baseline over every page and print mean P/R/F1."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=_default_dir())
    ap.add_argument("--worst", type=int, default=0, help="list the N pages with the lowest F1")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
    warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
    truth = json.loads((args.dir / "ground-truth.json").read_text("utf-8"))
    ours, naive, rows = [], [], []
    t_ours = t_naive = 0.0
    for key in sorted(truth):
        raw = gzip.decompress((args.dir / "html" / f"{key}.html.gz").read_bytes())
        gold = truth[key]["articleBody"]
        t = time.process_time()
        _title, body, _meta = extract_html(raw, url=truth[key].get("url"))
        t_ours += time.process_time() - t
        t = time.process_time()
        plain = BeautifulSoup(raw, "html.parser").get_text(" ")
        t_naive += time.process_time() - t
        ours.append(prf(body, gold))
        naive.append(prf(plain, gold))
        rows.append((ours[-1][2], key, truth[key].get("url", "")))
    n = len(rows)

    def mean(scores: list, i: int) -> float:
        return sum(s[i] for s in scores) / n

    print(f"pages: {n}")
    for name, s, secs in (("ours", ours, t_ours), ("naive", naive, t_naive)):
        print(
            f"{name:6s} precision {mean(s, 0):.3f}  recall {mean(s, 1):.3f}  F1 {mean(s, 2):.3f}"
            f"  ({secs / n * 1000:.1f} ms CPU/page)"
        )
    print(f"F1 ratio ours/naive: {mean(ours, 2) / mean(naive, 2):.2f}")
    for f1, key, url in sorted(rows)[: args.worst]:
        print(f"  {f1:.3f} {key[:12]} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
