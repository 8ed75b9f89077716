"""The query log (append, rotate, several writing processes) and its report, on real files."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from searchsvc.analytics import (
    QueryLog,
    entry,
    format_report,
    log_path,
    normalise,
    parse_since,
    report,
)
from searchsvc.config import Settings
from searchsvc.contract import SearchPage, SearchRequest

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def search(q: str, page: int = 1, hits: int = 3, took: float = 1.0, **req) -> tuple:
    """Return a (SearchRequest, SearchPage) pair as the web app records them."""
    return (
        SearchRequest(q=q, page=page, **req),
        SearchPage(query=q, total=hits, page=page, per_page=10, took_ms=took),
    )


def test_normalise_folds_case_width_and_whitespace():
    assert normalise("  Oil\tPRICES \n") == "oil prices"
    assert normalise("Straße") == "strasse"
    assert normalise("ＯＩＬ") == "oil"  # full-width letters (NFKC)


def test_entry_holds_the_search_and_nothing_about_who_asked():
    req, page = search(
        "Oil  Prices",
        page=2,
        hits=14,
        took=3.456,
        source=("Reuters",),
        tag="energy",
        date_from=date(2020, 1, 1),
        sort="newest",
    )
    got = entry(req, page, "api", now=NOW)
    assert got == {
        "ts": "2026-03-01T12:00:00.000Z",
        "q": "Oil  Prices",
        "norm": "oil prices",
        "filters": {"source": ["Reuters"], "tag": ["energy"], "from": "2020-01-01"},
        "sort": "newest",
        "page": 2,
        "hits": 14,
        "took_ms": 3.46,
        "via": "api",
    }


def test_a_corrected_search_logs_no_hits_as_typed():
    req, page = search("quetzl", hits=4)
    page.results_for = "quetzal"
    got = entry(req, page, "page", now=NOW)
    assert got["hits"] == 0 and got["shown_for"] == "quetzal"


def test_log_path_is_beside_the_index_unless_set(tmp_path):
    assert log_path(Settings(index_dir=tmp_path / "index")) == tmp_path / "index.queries.jsonl"
    assert log_path(Settings(query_log_path=tmp_path / "q.jsonl")) == tmp_path / "q.jsonl"


def test_append_and_read_back_with_since(tmp_path):
    log = QueryLog(tmp_path / "q.jsonl")
    for hours in (50, 30, 1):
        req, page = search(f"q{hours}")
        log.append(entry(req, page, "page", now=NOW - timedelta(hours=hours)))
    assert [r["q"] for r in log.read()] == ["q50", "q30", "q1"]
    assert [r["q"] for r in log.read(parse_since("2d", now=NOW))] == ["q30", "q1"]
    assert [r["q"] for r in log.read(parse_since("2026-03-01"))] == ["q1"]
    assert (tmp_path / "q.jsonl").stat().st_mode & 0o777 == 0o600


def test_torn_or_foreign_lines_are_skipped(tmp_path):
    path = tmp_path / "q.jsonl"
    good = json.dumps(entry(*search("oil"), "page", now=NOW))
    path.write_text(f'{good}\n{{"ts": "2026-03-01T1\n[1, 2]\nnot json\n{good}\n')
    assert [r["q"] for r in QueryLog(path).read()] == ["oil", "oil"]


def test_rotation_keeps_five_files_of_bounded_size(tmp_path):
    log = QueryLog(tmp_path / "q.jsonl", max_bytes=2000)
    for n in range(200):
        log.append(entry(*search(f"query number {n:03d}"), "page", now=NOW))
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert files == ["q.jsonl", "q.jsonl.1", "q.jsonl.2", "q.jsonl.3", "q.jsonl.4"]
    assert all((tmp_path / f).stat().st_size <= 2000 for f in files)
    got = [r["q"] for r in log.read()]
    assert got == [f"query number {n:03d}" for n in range(200 - len(got), 200)]  # newest kept


def _writer(path: str, worker: int, count: int) -> None:
    log = QueryLog(Path(path), max_bytes=4_000, files=500)  # a rotation every ~8 lines
    for n in range(count):
        req, page = search(f"worker {worker} search {n} " + "x" * 200)
        log.append(entry(req, page, "api"))


def test_several_processes_append_whole_lines_through_rotations(tmp_path):
    path = tmp_path / "q.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 120)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert (tmp_path / "q.jsonl.50").exists()  # it rotated often while four processes wrote
    lines = []
    for f in sorted(tmp_path.glob("q.jsonl*")):
        if not f.name.endswith(".lock"):
            lines += f.read_text().splitlines()
    assert len(lines) == 480  # no line lost to two rotations at once
    records = [json.loads(line) for line in lines]  # every line whole
    assert sorted(r["q"].split(" x")[0] for r in records) == sorted(
        f"worker {w} search {n}" for w in range(4) for n in range(120)
    )


def test_report_counts_a_scripted_set_exactly():
    scripted = [
        search("Oil prices", hits=14, took=2),
        search("oil  PRICES", hits=14, took=4),
        search("oil prices", page=2, hits=14, took=1),
        search("oil prices", page=3, hits=14, took=1),
        search("cocoa", hits=1, took=3),
        search("cocoa", page=2, hits=1, took=5),
        search("zyzzyva", hits=0, took=10),
        search("Zyzzyva", hits=0, took=20),
        search("quetzl", hits=0, took=30),
        search("", hits=20, took=6, source=("BBC",)),  # filters only: counted, not a query
    ]
    rep = report(entry(req, page, "page", now=NOW) for req, page in scripted)
    assert rep["searches"] == 10
    assert rep["top_queries"] == [
        {"query": "oil prices", "count": 2},
        {"query": "zyzzyva", "count": 2},
        {"query": "cocoa", "count": 1},
        {"query": "quetzl", "count": 1},
    ]
    assert rep["zero_result_queries"] == [
        {"query": "zyzzyva", "count": 2},
        {"query": "quetzl", "count": 1},
    ]
    assert rep["paged_queries"] == [
        {"query": "oil prices", "count": 2},
        {"query": "cocoa", "count": 1},
    ]
    assert rep["latency_ms"] == {
        "count": 10,
        "p50": 4.0,
        "p90": 20.0,
        "p95": 30.0,
        "p99": 30.0,
        "max": 30.0,
    }
    text = format_report(rep)
    assert "searches: 10" in text and "p95 30.0" in text and "       2  zyzzyva" in text


def test_report_of_nothing():
    rep = report([])
    assert rep["searches"] == 0 and rep["top_queries"] == []
    assert rep["latency_ms"] == {"count": 0, "p50": None, "p90": None, "p95": None, "p99": None,
                                 "max": None}  # fmt: skip
    assert "searches: 0" in format_report(rep)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-02-01", datetime(2026, 2, 1, tzinfo=UTC)),
        ("2026-02-01T10:00:00+01:00", datetime(2026, 2, 1, 9, tzinfo=UTC)),
    ],
)
def test_parse_since(text, expected):
    assert parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["", "7 days", "-3d", "yesterday"])
def test_parse_since_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="cannot read"):
        parse_since(text, now=NOW)


def test_stats_queries_command(tmp_path):
    from click.testing import CliRunner

    from searchsvc.cli import main

    index = tmp_path / "index"
    log = QueryLog(tmp_path / "index.queries.jsonl")
    log.append(entry(*search("Old query"), "page", now=datetime.now(UTC) - timedelta(days=9)))
    for q in ("oil", "Oil", "zyzzyva"):
        log.append(entry(*search(q, hits=0 if q == "zyzzyva" else 5), "api"))
    run = CliRunner().invoke
    out = run(main, ["stats", "--queries", "--index", str(index)])
    assert out.exit_code == 0, out.output
    assert "searches: 4" in out.output and "       2  oil" in out.output
    got = json.loads(run(main, ["stats", "--queries", "--since", "7d", "--json",
                                "--index", str(index)]).output)  # fmt: skip
    assert got["searches"] == 3
    assert got["top_queries"] == [{"query": "oil", "count": 2}, {"query": "zyzzyva", "count": 1}]
    assert got["zero_result_queries"] == [{"query": "zyzzyva", "count": 1}]
    bad = run(main, ["stats", "--queries", "--since", "soon", "--index", str(index)])
    assert bad.exit_code == 2 and "Invalid value for '--since': cannot read 'soon'" in bad.output
    lone = run(main, ["stats", "--since", "7d", "--json", "--index", str(index)])
    assert lone.exit_code == 0 and json.loads(lone.output)["searches"] == 3  # implies --queries
    none = run(main, ["stats", "--queries", "--index", str(tmp_path / "other")])
    assert none.exit_code == 0 and "searches: 0" in none.output
