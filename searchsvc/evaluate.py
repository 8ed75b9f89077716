"""Relevance evaluation: TREC topics/qrels/run files, trec_eval metrics and batch search runs.

Metrics follow trec_eval's definitions (``ndcg_cut_10``, ``map``, ``P_10``):

* a run is ranked per query by score descending, ties broken by docid descending (string
  order), exactly as trec_eval re-sorts it; the rank column of a run file is ignored;
* a document is relevant when its grade is >= 1; unjudged documents are non-relevant;
* nDCG@10 uses gain = grade (negative grades count 0) and discount log2(rank + 1); the ideal
  ranking is built from all judged documents of the query;
* AP divides by the number of relevant documents in the qrels (not only the retrieved ones);
* P@10 always divides by 10, even when fewer than 10 documents were returned;
* means are taken over the queries that have at least one relevant judgment; such a query
  that the run does not answer scores 0 (like ``trec_eval -c``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchsvc.contract import SearchRequest
from searchsvc.errors import SearchsvcError

Qrels = dict[str, dict[str, int]]  # qid -> docid -> grade
Run = dict[str, dict[str, float]]  # qid -> docid -> score
RunRow = tuple[str, str, int, float]  # (qid, docid, rank, score)


# --------------------------------------------------------------------------- file formats


def read_topics(path: str | Path) -> dict[str, str]:
    """Read a topics file, one `qid<TAB>query text` per line, in file order."""
    topics: dict[str, str] = {}
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        qid, sep, text = line.partition("\t")
        if not sep or not qid.strip():
            raise ValueError(f"{path}:{n}: expected 'qid<TAB>query text'")
        if qid.strip() in topics:
            raise ValueError(f"{path}:{n}: duplicate query id {qid.strip()!r}")
        topics[qid.strip()] = text.strip()
    return topics


def write_topics(path: str | Path, topics: dict[str, str]) -> None:
    """Write topics as `qid<TAB>text` lines, collapsing every run of whitespace to one space."""
    lines = [f"{qid}\t{' '.join(text.split())}\n" for qid, text in topics.items()]
    Path(path).write_text("".join(lines), "utf-8")


def read_qrels(path: str | Path) -> Qrels:
    """Read TREC qrels (`qid iteration docid grade`, whitespace separated)."""
    qrels: Qrels = {}
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise ValueError(f"{path}:{n}: expected 'qid 0 docid grade'")
        qid, _iteration, docid, grade = parts
        qrels.setdefault(qid, {})[docid] = int(float(grade))
    return qrels


def write_qrels(path: str | Path, qrels: Qrels) -> None:
    """Write qrels in TREC format, one `qid 0 docid grade` line per judgment."""
    lines = [f"{q} 0 {d} {g}\n" for q, docs in qrels.items() for d, g in docs.items()]
    Path(path).write_text("".join(lines), "utf-8")


def read_run(path: str | Path) -> Run:
    """Read a TREC run file (`qid Q0 docid rank score tag`); a repeated (qid, docid) is an error."""
    run: Run = {}
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise ValueError(f"{path}:{n}: expected 'qid Q0 docid rank score tag'")
        qid, _q0, docid, _rank, score, _tag = parts
        docs = run.setdefault(qid, {})
        if docid in docs:
            raise ValueError(f"{path}:{n}: document {docid!r} listed twice for query {qid!r}")
        docs[docid] = float(score)
    return run


def write_run(path: str | Path, rows: Iterable[RunRow], tag: str = "searchsvc") -> None:
    """Write (qid, docid, rank, score) rows as a TREC run file with the given tag."""
    if not tag or any(c.isspace() for c in tag):
        raise ValueError("the run tag must be one word")
    with Path(path).open("w", encoding="utf-8") as out:
        for qid, docid, rank, score in rows:
            out.write(f"{qid} Q0 {docid} {rank} {score:.6f} {tag}\n")


def rows_to_run(rows: Iterable[RunRow]) -> Run:
    """Return the run (qid -> docid -> score) of in-memory rows, as `read_run` would."""
    run: Run = {}
    for qid, docid, _rank, score in rows:
        docs = run.setdefault(qid, {})
        if docid in docs:
            raise ValueError(f"document {docid!r} listed twice for query {qid!r}")
        # Round like the run file does, so in-memory and on-disk scores rank identically.
        docs[docid] = float(f"{score:.6f}")
    return run


# --------------------------------------------------------------------------- metrics


def ranked(docs: dict[str, float]) -> list[str]:
    """Return docids in trec_eval order: score descending, then docid descending."""
    return [d for d, _s in sorted(docs.items(), key=lambda x: (x[1], x[0]), reverse=True)]


def ndcg_at(ranking: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Return nDCG@k (trec_eval ndcg_cut): gain = grade, discount log2(rank + 1)."""
    dcg = sum(max(grades.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def average_precision(ranking: list[str], grades: dict[str, int]) -> float:
    """Return AP: the mean of precision at each relevant document over all relevant documents."""
    n_rel = sum(1 for g in grades.values() if g >= 1)
    if n_rel == 0:
        return 0.0
    found = 0
    total = 0.0
    for i, d in enumerate(ranking):
        if grades.get(d, 0) >= 1:
            found += 1
            total += found / (i + 1)
    return total / n_rel


def precision_at(ranking: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Return P@k: relevant documents among the first k, divided by k."""
    return sum(1 for d in ranking[:k] if grades.get(d, 0) >= 1) / k


@dataclass
class Scores:
    """Mean metrics of one run against qrels, plus the per-query values they came from."""

    ndcg10: float
    map: float
    p10: float
    queries: int
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the means as a plain dict (per-query values left out)."""
        return {"ndcg@10": self.ndcg10, "map": self.map, "p@10": self.p10, "queries": self.queries}


def evaluate(run: Run, qrels: Qrels) -> Scores:
    """Score a run against qrels: mean nDCG@10, MAP and P@10 over queries with a relevant doc."""
    per_query: dict[str, dict[str, float]] = {}
    for qid, grades in qrels.items():
        if not any(g >= 1 for g in grades.values()):
            continue
        ranking = ranked(run.get(qid, {}))
        per_query[qid] = {
            "ndcg@10": ndcg_at(ranking, grades, 10),
            "map": average_precision(ranking, grades),
            "p@10": precision_at(ranking, grades, 10),
        }
    n = len(per_query)

    def mean(key: str) -> float:
        return sum(v[key] for v in per_query.values()) / n if n else 0.0

    return Scores(mean("ndcg@10"), mean("map"), mean("p@10"), n, per_query)


# --------------------------------------------------------------------------- batch runs


def run_topics(
    engine: Any,
    topics: dict[str, str],
    limit: int = 1000,
    *,
    timings: dict[str, float] | None = None,
    errors: dict[str, str] | None = None,
) -> list[RunRow]:
    """Search every topic with a SearchEngine and return (qid, docid, rank, score) rows.

    Relevance order, no snippets, facets or near-duplicate collapsing. When `timings` is given
    it receives the seconds each query took; when `errors` is given it receives the message of
    each query the engine rejected (such a query contributes no rows). Without `errors`, a
    rejected query raises.
    """
    rows: list[RunRow] = []
    for qid, text in topics.items():
        start = time.perf_counter()
        try:
            ids = list(_search_all(engine, text, limit))
        except SearchsvcError as exc:
            if errors is None:
                raise
            errors[qid] = exc.message
            ids = []
        if timings is not None:
            timings[qid] = time.perf_counter() - start
        rows.extend((qid, docid, rank, score) for rank, (docid, score) in enumerate(ids, 1))
    return rows


def _search_all(engine: Any, text: str, limit: int) -> Iterator[tuple[str, float]]:
    """Yield (docid, score) of the first `limit` hits, in pages as large as the engine allows."""
    settings = getattr(engine, "settings", None)
    per_page = max(1, min(limit, getattr(settings, "max_per_page", limit)))
    seen: set[str] = set()
    number = 1
    while True:
        page = engine.search(_request(text, number, per_page))
        for hit in page.hits:
            if hit.id not in seen and len(seen) < limit:
                seen.add(hit.id)
                yield hit.id, hit.score
        if len(seen) >= limit or len(page.hits) < per_page or number * per_page >= page.total:
            return
        number += 1


def _request(text: str, page: int, per_page: int) -> SearchRequest:
    return SearchRequest(
        q=text,
        page=page,
        per_page=per_page,
        sort="relevance",
        snippets=False,
        facets=False,
        collapse=False,
    )
