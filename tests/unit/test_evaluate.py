"""Relevance evaluation: trec_eval metrics on a hand-computed example, file formats, batch runs
on a real index, and the Cranfield/CISI converters on the real collections."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from searchsvc.config import Settings
from searchsvc.errors import BadRequest
from searchsvc.evaluate import (
    average_precision,
    evaluate,
    ndcg_at,
    precision_at,
    ranked,
    read_qrels,
    read_run,
    read_topics,
    rows_to_run,
    run_topics,
    write_qrels,
    write_run,
    write_topics,
)

REPO = Path(__file__).resolve().parents[2]


def _bench_module(name: str):
    """Import bench/<name>.py (bench/ is not a package on the test path)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location(f"bench.{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- metrics

QRELS = {
    "q1": {"d1": 3, "d2": 1, "d3": 0, "d4": 2},
    "q2": {"d5": 0},  # judged, nothing relevant: left out of every mean
    "q3": {"d7": 1},  # relevant doc, but the run has no line for q3: scores 0
}
# Ranks in the file are deliberately wrong: trec_eval re-sorts by score, ties by docid desc.
RUN_TEXT = """q1 Q0 d1 1 1.5 x
q1 Q0 d4 2 0.5 x
q1 Q0 d3 3 2.0 x
q1 Q0 d8 4 1.0 x
q1 Q0 d2 5 1.5 x
q4 Q0 d1 1 9.0 x
"""


def test_metrics_match_a_hand_computed_example(tmp_path):
    run_file = tmp_path / "run"
    run_file.write_text(RUN_TEXT)
    run = read_run(run_file)
    # Order: d3 (2.0), then the 1.5 tie d2 before d1 (docid descending), d8 (1.0), d4 (0.5).
    assert ranked(run["q1"]) == ["d3", "d2", "d1", "d8", "d4"]
    # grades along the ranking: 0, 1, 3, 0 (unjudged), 2
    # DCG@10 = 1/log2(3) + 3/log2(4) + 2/log2(6) = 0.6309298 + 1.5 + 0.7737056 = 2.9046354
    # IDCG   = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.2618595 + 0.5       = 4.7618595
    # nDCG@10 = 2.9046354 / 4.7618595 = 0.6099792
    ranking = ranked(run["q1"])
    assert ndcg_at(ranking, QRELS["q1"]) == pytest.approx(0.6099792242, abs=1e-9)
    # AP: relevant d2 at 2, d1 at 3, d4 at 5 -> (1/2 + 2/3 + 3/5) / 3 relevant = 53/90
    assert average_precision(ranking, QRELS["q1"]) == pytest.approx(53 / 90, abs=1e-12)
    # P@10 divides by 10 even though only 5 were returned: 3/10
    assert precision_at(ranking, QRELS["q1"]) == pytest.approx(0.3)
    scores = evaluate(run, QRELS)
    # Means over q1 and q3 (q2 has no relevant doc, q4 is not judged); q3 scores 0.
    assert scores.queries == 2
    assert set(scores.per_query) == {"q1", "q3"}
    assert scores.per_query["q3"] == {"ndcg@10": 0.0, "map": 0.0, "p@10": 0.0}
    assert scores.ndcg10 == pytest.approx(0.6099792242 / 2, abs=1e-9)
    assert scores.map == pytest.approx(53 / 180, abs=1e-12)
    assert scores.p10 == pytest.approx(0.15)
    assert scores.to_dict()["queries"] == 2


def test_cutoffs_negative_grades_and_string_tie_order():
    # Ties compare docids as strings, descending, like trec_eval's strcmp: "d9" > "d10".
    assert ranked({"d10": 1.0, "d9": 1.0, "d2": 2.0}) == ["d2", "d9", "d10"]
    grades = {f"r{i}": 1 for i in range(12)} | {"neg": -1}
    ranking = ["neg"] + [f"r{i}" for i in range(12)]
    # A negative grade is not relevant and gains 0: the 9 relevant docs at ranks 2..10
    dcg = sum(1 / math.log2(r + 1) for r in range(2, 11))
    ideal = sum(1 / math.log2(r + 1) for r in range(1, 11))
    assert ndcg_at(ranking, grades) == pytest.approx(dcg / ideal)
    assert precision_at(ranking, grades) == pytest.approx(0.9)
    # AP sums precision at all 12 relevant docs (ranks 2..13), divides by 12.
    assert average_precision(ranking, grades) == pytest.approx(
        sum(k / (k + 1) for k in range(1, 13)) / 12
    )
    assert ndcg_at([], grades) == 0.0 and average_precision(["x"], {"x": 0}) == 0.0


def test_file_formats_round_trip(tmp_path):
    write_topics(tmp_path / "topics.tsv", {"1": "what  is\nthe\r\nflow ?", "2": "b"})
    assert (tmp_path / "topics.tsv").read_text() == "1\twhat is the flow ?\n2\tb\n"
    assert read_topics(tmp_path / "topics.tsv") == {"1": "what is the flow ?", "2": "b"}
    write_qrels(tmp_path / "qrels", QRELS)
    assert (tmp_path / "qrels").read_text().splitlines()[0] == "q1 0 d1 3"
    assert read_qrels(tmp_path / "qrels") == QRELS
    rows = [("1", "a", 1, 2.5), ("1", "b", 2, 1.0000004), ("1", "c", 3, 1.0)]
    write_run(tmp_path / "run", rows, tag="t")
    assert (tmp_path / "run").read_text().splitlines()[1] == "1 Q0 b 2 1.000000 t"
    # Scores are compared as written: b and c tie at 1.000000, so "c" ranks before "b".
    assert read_run(tmp_path / "run") == rows_to_run(rows) == {"1": {"a": 2.5, "b": 1.0, "c": 1.0}}
    assert ranked(rows_to_run(rows)["1"]) == ["a", "c", "b"]


def test_bad_files_are_refused(tmp_path):
    (tmp_path / "run").write_text("1 Q0 a 1 1.0 t\n1 Q0 a 2 0.5 t\n")
    with pytest.raises(ValueError, match="listed twice"):
        read_run(tmp_path / "run")
    (tmp_path / "topics").write_text("1 no tab here\n")
    with pytest.raises(ValueError, match="qid<TAB>"):
        read_topics(tmp_path / "topics")
    with pytest.raises(ValueError, match="one word"):
        write_run(tmp_path / "out", [], tag="two words")


# --------------------------------------------------------------------------- batch runs


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory):
    from searchsvc.engine.indexer import index_corpus

    root = tmp_path_factory.mktemp("evalidx")
    corpus = root / "corpus"
    corpus.mkdir()
    docs = [
        {"id": f"w{i}", "title": f"Wing flutter note {i}", "body": "wing flutter " * (i + 1)}
        for i in range(7)
    ] + [{"id": "h1", "title": "Heat transfer", "body": "Heat transfer in slabs."}]
    (corpus / "c.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    index_corpus(corpus, root / "index", rebuild=True)
    return root / "index"


def _engine(index_dir, **settings):
    from searchsvc.engine.search import SearchEngine
    from searchsvc.engine.store import Store

    return SearchEngine(Store(index_dir), Settings(index_dir=index_dir, **settings))


def test_run_topics_on_a_real_index_pages_and_reports_errors(tiny_index):
    topics = {"1": "wing flutter", "2": "heat transfer", "3": "zzzunknownword"}
    rows = run_topics(_engine(tiny_index), topics, limit=1000)
    by_q = {q: [r for r in rows if r[0] == q] for q in topics}
    assert len(by_q["1"]) == 7 and [r[1] for r in by_q["2"]] == ["h1"] and by_q["3"] == []
    assert [r[2] for r in by_q["1"]] == list(range(1, 8))
    assert all(a[3] >= b[3] for a, b in zip(by_q["1"], by_q["1"][1:], strict=False))
    # A small max_per_page forces paging; the rows are the same, and `limit` cuts the list.
    timings: dict[str, float] = {}
    paged = run_topics(_engine(tiny_index, max_per_page=2), topics, timings=timings)
    assert paged == rows and set(timings) == set(topics)
    first3 = run_topics(_engine(tiny_index, max_per_page=2), {"1": "wing flutter"}, limit=3)
    assert first3 == by_q["1"][:3]
    # A query the engine rejects raises, or is recorded when an errors dict is given.
    long_topics = {"1": "wing flutter", "9": "wing " * 50}
    with pytest.raises(BadRequest):
        run_topics(_engine(tiny_index, max_query_chars=100), long_topics)
    errors: dict[str, str] = {}
    kept = run_topics(_engine(tiny_index, max_query_chars=100), long_topics, errors=errors)
    assert list(errors) == ["9"] and "too long" in errors["9"].lower()
    assert kept == by_q["1"]


# --------------------------------------------------------------------------- converters


@pytest.mark.data
def test_cranfield_converter(data_dir, tmp_path):
    cols = _bench_module("eval_collections")
    col = cols.load("cranfield", data_dir)
    assert len(col.docs) == 1400 and len(col.topics) == 225
    # Queries are numbered by position: qrels query 3 is ".I 004".
    assert col.topics["3"].startswith("what problems of heat conduction in composite slabs")
    # 1,837 judgments = 1,612 graded + one excluded -1 (source paper) per query.
    assert sum(len(g) for g in col.qrels.values()) == 1612
    assert col.exclude["1"] == {"486"} and sum(len(d) for d in col.exclude.values()) == 225
    # gain = 5 - code: cranqrel "1 184 2" -> grade 3, "2 12 1" -> 4
    assert col.qrels["1"]["184"] == 3 and col.qrels["2"]["12"] == 4
    doc240 = col.docs[239]
    assert doc240["author"] == "dean r. chapman" and doc240["source"] == "naca technote 3792"
    assert "application to turbulent separations" in doc240["body"] and ".A" not in doc240["body"]
    assert "benser, w.a." in col.docs[575]["body"]  # the second .W of doc 576 is kept
    paths = col.write(tmp_path)
    assert read_qrels(paths["qrels"]) == col.qrels
    assert read_topics(paths["topics"]) == col.topics
    lines = paths["corpus"].read_text().splitlines()
    assert len(lines) == 1400 and json.loads(lines[0])["id"] == "1"
    assert cols.load("cranfield", data_dir, "nonrelevant").qrels["1"]["486"] == 0
    assert cols.load("cranfield", data_dir, "relevant").qrels["1"]["486"] == 4


@pytest.mark.data
def test_cisi_converter(data_dir):
    cols = _bench_module("eval_collections")
    col = cols.load("cisi", data_dir)
    assert len(col.docs) == 1460 and len(col.topics) == 112 and not col.exclude
    assert sum(len(g) for g in col.qrels.values()) == 3114 and len(col.qrels) == 76
    first = col.docs[0]
    assert first["title"] == "18 Editions of the Dewey Decimal Classifications"
    assert first["author"] == "Comaromi, J.P." and "\r" not in first["body"]
    assert first["body"].endswith("librarianship in this country and abroad.")  # no .X lines
    assert col.topics["58"].startswith("Directions in Library Networking Bibliographic control")
    assert "Avram" not in col.topics["58"] and "JASIS" not in col.topics["58"]
    # Queries without judgments are topics but count in no mean.
    assert "36" in col.topics and evaluate({}, col.qrels).queries == 76


@pytest.mark.data
@pytest.mark.slow
def test_reference_whoosh_or_on_cranfield_reproduces_the_known_figure(data_dir, tmp_path):
    """Plain Whoosh (OR) on the qrels as given: the lead's reference point, nDCG@10 0.38.

    Only the top 10 are fetched (all nDCG@10 needs), to keep the test short."""
    rel = _bench_module("relevance")
    col = rel.evalcols.load("cranfield", data_dir, "nonrelevant")
    rows = rel.run_reference(rel.whoosh_engine(col.docs, tmp_path, "or"), col.topics, {}, limit=10)
    scores = evaluate(rows_to_run(rows), col.qrels)
    assert scores.queries == 225
    assert scores.ndcg10 == pytest.approx(0.377, abs=0.002)
