"""Read all of Reuters-21578 with our SGML reader and with BeautifulSoup html.parser; docs/s."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup

from searchsvc.ingest import read_file


def _default_dir() -> Path:
    base = (
        os.environ.get("SEARCHSVC_DATA") or Path(__file__).resolve().parents[1] / "../shared/data"
    )
    return Path(base) / "reuters21578"


def _bs4_read(path: Path) -> int:
    """The reference: parse one file with bs4 html.parser and pull each story's fields."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    n = 0
    for doc in BeautifulSoup(text, "html.parser").find_all("reuters"):
        title, body, date = doc.find("title"), doc.find("body"), doc.find("date")
        _ = (title and title.get_text(), body and body.get_text(), date and date.get_text())
        _ = [d.get_text() for d in doc.find_all("d")]
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    """Time both readers over every .sgm file and print docs/s and the speed ratio."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=_default_dir())
    args = ap.parse_args(argv)
    files = sorted(args.dir.glob("*.sgm"))
    t, c = time.perf_counter(), time.process_time()
    ours = sum(len(read_file(p, args.dir).articles) for p in files)
    t_ours, c_ours = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    ref = sum(_bs4_read(p) for p in files)
    t_ref, c_ref = time.perf_counter() - t, time.process_time() - c
    print(f"files: {len(files)} (docs/s by wall clock; by CPU time in brackets, for busy machines)")
    for name, n, wall, cpu in (("ours", ours, t_ours, c_ours), ("bs4", ref, t_ref, c_ref)):
        print(f"{name:5s} {n:6d} docs in {wall:6.2f} s = {n / wall:8.0f} docs/s  [{n / cpu:.0f}]")
    print(f"speed ratio ours/bs4: {(ours / t_ours) / (ref / t_ref):.1f}x")
    return 0 if ours == 21578 or len(files) != 22 else 1


if __name__ == "__main__":
    sys.exit(main())
