"""Test collections as corpus.jsonl, topics.tsv and TREC qrels: Cranfield, CISI, SciFact, NFCorpus.

Decisions (see bench/README.md for the reasoning):

* Cranfield queries are numbered BY POSITION in cran.qry (qrels query 3 = ".I 004").
* Cranfield grades: code 1 (complete answer) .. 4 (minimum interest) become grade 5 - code,
  so 4 is best. The single code -1 per query marks the query's source paper (the question was
  written from it); by default it is dropped from the evaluation of that query: left out of
  the qrels AND removed from every run before scoring (`Collection.exclude`), as Cleverdon
  excluded source documents. `minus_one="relevant"` keeps it as grade 4 (like code 1), and
  `minus_one="nonrelevant"` keeps it judged with grade 0 (trec_eval on the qrels as given).
* CISI queries: the text is .T (title, bibliographic queries only) then .W; authors (.A) and
  the citation line (.B) are left out. CISI judgments are binary (grade 1). The 36 queries
  without judgments stay in topics.tsv but, having no relevant document, count in no mean.
* SciFact and NFCorpus come converted already (see their SOURCE.txt); they are read as they are.
* Documents: title = .T, body = .W, author = the .A lines joined with "; "; Cranfield's .B
  (bibliographic source) and CISI's .B go to "source"; CISI's .X citation lists are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.evaluate import Qrels, read_qrels, read_topics, write_qrels, write_topics

NAMES = ("cranfield", "cisi", "scifact", "nfcorpus")
# Anserini 1.7.1 nDCG@10 as each collection's SOURCE.txt reports it (BM25 k1 0.9 b 0.4, BM25+RM3,
# BM25 k1 1.2 b 0.75); `anserini()` checks every figure against the file when it is there.
ANSERINI = {
    "cranfield": {"BM25 0.9/0.4": 0.351, "BM25+RM3": 0.369, "BM25 1.2/0.75": 0.367},
    "cisi": {"BM25 0.9/0.4": 0.359, "BM25+RM3": 0.388, "BM25 1.2/0.75": 0.371},
    "scifact": {"BM25 0.9/0.4": 0.677, "BM25+RM3": 0.645, "BM25 1.2/0.75": 0.682},
    "nfcorpus": {"BM25 0.9/0.4": 0.336, "BM25+RM3": 0.361, "BM25 1.2/0.75": 0.337},
}
LIVE_REFERENCES = ("bm25s", "tantivy")  # engines the benchmark runs itself
MINUS_ONE = ("exclude", "relevant", "nonrelevant")
_MARKER = re.compile(r"^\.([A-Z])(?:\s+(\S.*))?\s*$")


@dataclass
class Collection:
    """One converted test collection, in memory and as the files written by `write`."""

    name: str
    docs: list[dict]
    topics: dict[str, str]
    qrels: Qrels
    exclude: dict[str, set[str]] = field(default_factory=dict)  # qid -> docids to drop from runs

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write corpus/corpus.jsonl, topics.tsv and qrels below out_dir; return their paths."""
        corpus_dir = out_dir / "corpus"
        corpus_dir.mkdir(parents=True, exist_ok=True)
        paths = {
            "corpus": corpus_dir / "corpus.jsonl",
            "topics": out_dir / "topics.tsv",
            "qrels": out_dir / "qrels",
        }
        with paths["corpus"].open("w", encoding="utf-8") as f:
            for doc in self.docs:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        write_topics(paths["topics"], self.topics)
        write_qrels(paths["qrels"], self.qrels)
        if self.exclude:
            paths["exclude"] = out_dir / "exclude"
            write_qrels(paths["exclude"], {q: dict.fromkeys(d, 0) for q, d in self.exclude.items()})
        return paths


def records(text: str) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Split a SMART-format file into (id, [(field letter, lines), ...]) in file order."""
    out: list[tuple[str, list[tuple[str, list[str]]]]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _MARKER.match(line)
        if m and m.group(1) == "I" and m.group(2):
            out.append((m.group(2).strip(), []))
        elif not out:
            continue
        elif m and not m.group(2):
            out[-1][1].append((m.group(1), []))
        elif out[-1][1]:
            out[-1][1][-1][1].append(line)
    return out


def _text(lines: list[str]) -> str:
    return "\n".join(ln.rstrip() for ln in lines).strip()


def _ordered_fields(segments: list[tuple[str, list[str]]], order: str) -> dict[str, list[str]]:
    """Join segments by field; a marker that does not move forward in `order` is stray text.

    Cranfield doc 240 has ".A"/".B" lines inside its abstract and docs 576/578 have two ".W":
    such markers are dropped and their lines stay in the field being read.
    """
    fields: dict[str, list[str]] = {}
    current, stage = None, -1
    for letter, lines in segments:
        pos = order.find(letter)
        if current is None or pos > stage:
            current, stage = letter, pos
            fields.setdefault(letter, [])
        fields[current].extend(lines)
    return fields


def load_cranfield(root: Path, minus_one: str = "exclude") -> Collection:
    """Read cran.all.1400, cran.qry and cranqrel from root."""
    if minus_one not in MINUS_ONE:
        raise ValueError(f"minus_one must be one of {MINUS_ONE}")
    docs = []
    for doc_id, segments in records((root / "cran.all.1400").read_text("ascii")):
        f = _ordered_fields(segments, "TABW")
        docs.append(
            {
                "id": doc_id,
                "title": " ".join(_text(f.get("T", [])).split()),
                "body": _text(f.get("W", [])),
                "author": " ".join(_text(f.get("A", [])).split()),
                "source": " ".join(_text(f.get("B", [])).split()),
            }
        )
    topics = {}
    for position, (_number, segments) in enumerate(records((root / "cran.qry").read_text()), 1):
        topics[str(position)] = " ".join(_text(_ordered_fields(segments, "W").get("W", [])).split())
    qrels: Qrels = {}
    exclude: dict[str, set[str]] = {}
    for line in (root / "cranqrel").read_text("ascii").splitlines():
        if not line.strip():
            continue
        qid, docid, code = line.split()
        grade = 5 - int(code) if int(code) in (1, 2, 3, 4) else None
        if grade is None and int(code) == -1:
            if minus_one == "exclude":
                exclude.setdefault(qid, set()).add(docid)
                continue
            grade = 4 if minus_one == "relevant" else 0
        if grade is None:
            raise ValueError(f"cranqrel: unknown relevance code {code!r}")
        qrels.setdefault(qid, {})[docid] = grade
    if set(qrels) - set(topics):
        raise ValueError("cranqrel names queries that cran.qry does not have")
    return Collection("cranfield", docs, topics, qrels, exclude)


def load_cisi(root: Path) -> Collection:
    """Read CISI.ALL, CISI.QRY and CISI.REL from root."""
    docs = []
    for doc_id, segments in records((root / "CISI.ALL").read_text("ascii")):
        authors = [_text(lines) for letter, lines in segments if letter == "A"]
        joined = {k: _text([ln for s, lines in segments if s == k for ln in lines]) for k in "TWB"}
        docs.append(
            {
                "id": doc_id,
                "title": " ".join(joined["T"].split()),
                "body": joined["W"],
                "author": "; ".join(" ".join(a.split()) for a in authors if a),
                "source": " ".join(joined["B"].split()),
            }
        )
    topics = {}
    for qid, segments in records((root / "CISI.QRY").read_text("ascii")):
        parts = [_text(lines) for letter, lines in segments if letter in "TW"]
        topics[qid] = " ".join(" ".join(parts).split())
    qrels: Qrels = {}
    for line in (root / "CISI.REL").read_text("ascii").splitlines():
        if line.strip():
            qid, docid, _zero, _score = line.split()
            qrels.setdefault(qid, {})[docid] = 1
    return Collection("cisi", docs, topics, qrels)


def load_converted(name: str, root: Path) -> Collection:
    """Load a collection already converted to corpus.jsonl, topics.tsv and qrels.txt (BEIR's).

    Only judged topics are kept (SciFact and NFCorpus list just those in topics.tsv anyway).
    """
    docs = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                docs.append({"id": d["id"], "title": d.get("title") or "", "body": d["body"]})
    qrels = read_qrels(root / "qrels.txt")
    topics = {q: text for q, text in read_topics(root / "topics.tsv").items() if q in qrels}
    return Collection(name, docs, topics, qrels)


def load(name: str, data_dir: Path, minus_one: str = "exclude") -> Collection:
    """Load a collection by name from <data_dir>/eval/<name>."""
    root = data_dir / "eval" / name
    if name == "cranfield":
        return load_cranfield(root, minus_one)
    if name == "cisi":
        return load_cisi(root)
    if name in ("scifact", "nfcorpus"):
        return load_converted(name, root)
    raise ValueError(f"unknown collection {name!r}; known: {', '.join(NAMES)}")


def drop_excluded(run: dict[str, dict[str, float]], exclude: dict[str, set[str]]) -> dict:
    """Return the run without the (query, document) pairs that the collection excludes."""
    return {
        qid: {d: s for d, s in docs.items() if d not in exclude.get(qid, ())}
        for qid, docs in run.items()
    }


def anserini(name: str, data_dir: Path | None = None) -> dict[str, float]:
    """Return Anserini's nDCG@10 figures of a collection, checked against its SOURCE.txt.

    Each figure must appear, in its order, on the SOURCE.txt line that names Anserini.
    """
    figures = ANSERINI[name]
    source = data_dir / "eval" / name / "SOURCE.txt" if data_dir else None
    if source is not None and source.exists():
        lines = [ln for ln in source.read_text("utf-8").splitlines() if "Anserini" in ln]
        found = [float(x) for x in re.findall(r"\b0\.\d{3}\b", " ".join(lines))]
        if found[-len(figures) :] != list(figures.values()):
            raise ValueError(f"{source}: Anserini figures {found} differ from {figures}")
    return figures


def best_reference(name: str, live: dict[str, float], data_dir: Path | None = None):
    """Return (label, nDCG@10) of the best reference: bm25s, tantivy (live) or Anserini."""
    pool = {e: v for e, v in live.items() if e in LIVE_REFERENCES}
    pool.update({f"Anserini {k}": v for k, v in anserini(name, data_dir).items()})
    label = max(pool, key=lambda k: (pool[k], k))
    return label, pool[label]
