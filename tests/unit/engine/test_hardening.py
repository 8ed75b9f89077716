"""Hardening of the engine (issue 20): statistics in any order of dated and undated articles,
out-of-range dates, corrupted generations, bounded costs, file names and exact summaries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import whoosh.index
from click.testing import CliRunner

from searchsvc.cli import main
from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine import integrity, spelling
from searchsvc.engine.deadline import deadline
from searchsvc.engine.generations import gen_name, load_checksums, read_current, switch_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.plan import EXPANSION_BUDGET, plan_query
from searchsvc.engine.schema import build_schema
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import BadRequest, IndexDamaged, SearchTimeout
from searchsvc.text.analysis import MAX_FIELD_TOKENS
from searchsvc.text.query import parse
from searchsvc.web import create_app

DATED = {"id": "d1", "title": "Oil", "body": "Oil prices rose.", "published": "2020-03-02"}
UNDATED = {"id": "u1", "title": "Tea", "body": "Tea prices fell.", "source": "Daily"}


def write(path: Path, *docs: dict) -> None:
    """Write articles as one JSON Lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")


@pytest.mark.parametrize("order", [(DATED, UNDATED), (UNDATED, DATED)])
def test_statistics_in_either_order_of_dated_and_undated_updates(tmp_path, order):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", order[0])
    index_corpus(corpus, index)
    write(corpus / "b.jsonl", order[1])
    assert index_corpus(corpus, index).added == 1  # a second segment, with or without dates
    engine = SearchEngine(Store(index), Settings())
    stats = engine.stats()
    assert (stats.documents, stats.undated, stats.date_span) == (2, 1, ["2020-03-02"] * 2)
    client = create_app({"INDEX_DIR": index}).test_client()
    assert client.get("/api/stats").json["undated"] == 1
    assert client.get("/healthz").json == {
        "status": "ok",
        "documents": 2,
        "generation": read_current(index),
    }
    assert client.get("/").status_code == 200


def test_statistics_count_live_documents_only_after_updates(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    tagged = {**DATED, "tags": ["economy"]}
    write(corpus / "a.jsonl", tagged)
    write(corpus / "b.jsonl", {**UNDATED, "tags": ["economy"]})
    index_corpus(corpus, index)
    for extra in ("once", "twice"):  # the same file changed twice: its tag counts once
        write(corpus / "a.jsonl", {**tagged, "body": f"Oil prices rose {extra}."})
        index_corpus(corpus, index)
    engine = SearchEngine(Store(index), Settings())
    assert [(t.tag, t.count) for t in engine.stats().top_tags] == [("economy", 2)]
    (corpus / "b.jsonl").unlink()
    index_corpus(corpus, index)
    assert [(t.tag, t.count) for t in engine.stats().top_tags] == [("economy", 1)]


@pytest.fixture
def indexed(tmp_path) -> Path:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED, UNDATED)
    index_corpus(corpus, index)
    return index


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"q": "oil year:9999"}, "outside the dates an index holds"),
        ({"q": "oil before:0001-01-01"}, "outside the dates an index holds"),
        ({"q": "oil", "to": "9999-12-31"}, "outside the dates an index holds"),
    ],
)
def test_extreme_dates_are_a_400_in_the_api_the_page_and_the_cli(indexed, args, message):
    client = create_app({"INDEX_DIR": indexed}).test_client()
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 400 and message in r.json["error"]
    assert client.get("/", query_string=args).status_code == 400
    if "to" not in args:
        out = CliRunner().invoke(main, ["search", args["q"], "--index", str(indexed)])
        assert out.exit_code == 1 and message in out.output and "Traceback" not in out.output


def test_a_search_past_its_deadline_is_a_503_and_the_next_one_runs(indexed):
    engine = SearchEngine(Store(indexed), Settings(search_deadline=-1.0))
    with pytest.raises(SearchTimeout) as err:
        engine.search(SearchRequest(q="oil prices"))
    assert err.value.status == 503 and "too long" in err.value.message
    assert SearchEngine(engine.store, Settings()).search(SearchRequest(q="oil")).total == 1


def test_long_unknown_words_are_never_corrected(indexed):
    engine = SearchEngine(Store(indexed), Settings())
    word = "x" * 999
    assert engine.search(SearchRequest(q=word)).suggestion is None
    assert engine.store.view().state.corrections.get(word) is None  # no lexicon walk for it
    assert spelling.MAX_WORD_CHARS < 999


def test_too_many_phrases_are_refused_naming_the_limit(indexed):
    engine = SearchEngine(Store(indexed), Settings())
    with pytest.raises(BadRequest, match=r"21 phrases \(the limit is 20\)"):
        engine.search(SearchRequest(q=" ".join(['"oil prices"'] * 21)))


def test_many_prefixes_share_one_expansion_budget(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    pairs = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "aeiou"]  # 130 prefixes
    words = [f"{p}x{i}" for p in pairs for i in range(8)]  # 8 words under each
    write(
        corpus / "a.jsonl", *({"id": f"w{i}", "title": w, "body": w} for i, w in enumerate(words))
    )
    index_corpus(corpus, index)
    view = Store(index).view()
    one = plan_query(parse("bax*"), view)
    assert len(one.groups[0].leaves[0].terms) == 8  # alone, a prefix keeps all its words
    with deadline(60):
        many = plan_query(parse("oil " + " ".join(f"-{p}*" for p in pairs)), view)
    expanded = sum(len(leaf.terms) for leaf in many.excluded)
    assert len(many.excluded) == 130 and expanded == 130 * (EXPANSION_BUDGET // 130)


# -- damaged generations -----------------------------------------------------------------------
def _corrupt_arrays(gen: Path, part: str, change) -> str:
    """Rewrite one term-array file of a generation with `change` applied; return its name."""
    path = sorted(gen.glob(f"*.body.{part}.npy"))[0]
    arr = np.load(path)
    change(arr)
    with open(path, "wb") as f:
        np.save(f, arr)
    return path.name


@pytest.mark.parametrize(
    ("part", "change", "why"),
    [
        ("starts", lambda a: a.__setitem__(1, a[1] + 3), "contents differ"),
        ("weights", lambda a: a.__setitem__(0, a[0] * 10), "contents differ"),
        ("docs", lambda a: a.__setitem__(0, 10_000), "contents differ"),
    ],
)
def test_a_damaged_generation_is_never_served(tmp_path, part, change, why):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED, UNDATED)
    index_corpus(corpus, index)
    store = Store(index)
    client = create_app({"INDEX_DIR": index}).test_client()
    assert store.view().state.documents == 2 and client.get("/healthz").status_code == 200
    write(corpus / "b.jsonl", {"id": "c1", "title": "Cocoa", "body": "Cocoa prices rose."})
    index_corpus(corpus, index)
    name = _corrupt_arrays(index / read_current(index), part, change)
    assert store.view().state.documents == 2  # the previous generation is still served
    assert why in store.problem and name in store.problem
    health = client.get("/healthz").json
    assert health["status"] == "degraded" and name in health["problem"]
    out = CliRunner().invoke(main, ["check", "--index", str(index)])
    assert out.exit_code == 1 and name in out.output
    with pytest.raises(IndexDamaged):  # nothing good to fall back on
        Store(index).view()
    assert client.get("/api/search?q=oil").status_code == 200


def test_files_checked_before_are_hashed_again_once_changed(tmp_path):
    """A store remembers the files it found right (device, inode, size, mtime), so the next
    generation's hard links of them are not hashed again; a file written since is."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED, UNDATED)
    index_corpus(corpus, index)
    gen = index / read_current(index)
    recorded = load_checksums(gen)
    first = integrity.verify(gen, recorded, False)
    seen = first.right
    assert first.ok and len(seen) == len(recorded)
    path = sorted(gen.glob("*.body.starts.npy"))[0]
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))  # in place: same inode and size, a new mtime
    report = integrity.verify(gen, recorded, False, seen)
    assert [d.split(":")[0] for d in report.damaged] == [path.name]
    seen = report.right
    assert len(seen) == len(recorded) - 1  # only the files found right are remembered
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # its old mtime put back
    assert integrity.verify(gen, recorded, False, seen).damaged == report.damaged
    assert not integrity.verify(gen, recorded, True, None).ok


def test_structure_checks_catch_what_no_checksum_recorded(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED, UNDATED)
    index_corpus(corpus, index)
    gen = index / read_current(index)
    data = json.loads((gen / "manifest.json").read_text())
    data.pop("checksums")  # as built by an older searchsvc
    (gen / "manifest.json").write_text(json.dumps(data))
    _corrupt_arrays(gen, "docs", lambda a: a.__setitem__(0, 10_000))
    with pytest.raises(IndexDamaged, match="a document number outside"):
        Store(index).view()
    report = integrity.check_index(index)
    assert not report.recorded and "document number outside" in report.damaged[0]


def test_a_garbled_toc_is_a_clean_503_and_cli_message(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED)
    index_corpus(corpus, index)
    toc = next((index / read_current(index)).glob("*.toc"))
    toc.write_bytes(b"garbage" * 10)
    client = create_app({"INDEX_DIR": index}).test_client()
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["status"] == "unavailable"
    assert client.get("/api/search?q=oil").status_code == 503
    out = CliRunner().invoke(main, ["search", "oil", "--index", str(index)])
    assert out.exit_code == 1 and "damaged" in out.output and "Traceback" not in out.output
    summary = index_corpus(corpus, index)  # the next run rebuilds instead of building on it
    assert summary.documents == 1 and Store(index).view().state.documents == 1


# -- inputs ------------------------------------------------------------------------------------
def test_a_huge_article_is_indexed_in_part_and_stored_whole(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    words = ["alpha"] + ["filler"] * MAX_FIELD_TOKENS + ["omega"]
    write(corpus / "big.jsonl", {"id": "big", "title": "Big", "body": " ".join(words)})
    summary = index_corpus(corpus, index)
    assert summary.truncated == [
        {
            "path": "big.jsonl",
            "id": "big",
            "reason": "only the first 200,000 words are searchable (all is stored)",
        }
    ]
    engine = SearchEngine(Store(index), Settings())
    assert engine.search(SearchRequest(q="alpha")).total == 1
    assert engine.search(SearchRequest(q="omega")).total == 0  # past the indexed words
    assert engine.article("big").body.endswith("omega")
    page = create_app({"INDEX_DIR": index}).test_client().get("/articles/big")
    assert "only its first 200,000 characters are shown" in page.get_data(as_text=True)


def test_non_ascii_file_names_keep_distinct_ids(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name in ("日本", "中国", "Россия", "café news"):
        (corpus / f"{name}.txt").write_text(f"{name} headline\n\nText about {name}.\n")
    summary = index_corpus(corpus, index)
    assert (summary.added, len(summary.skipped), summary.documents) == (4, 0, 4)
    store = Store(index)
    for name in ("日本", "中国", "Россия", "café-news"):
        assert store.searcher().document(id=name)["title"].endswith("headline")
    client = create_app({"INDEX_DIR": index}).test_client()
    assert client.get("/api/articles/日本").json["id"] == "日本"


def test_a_symlink_out_of_the_corpus_is_skipped_unless_allowed(tmp_path):
    corpus, index, outside = tmp_path / "corpus", tmp_path / "index", tmp_path / "secret.txt"
    write(corpus / "a.jsonl", DATED)
    outside.write_text("Secret\n\nThe password file.\n")
    os.symlink(outside, corpus / "passwd.txt")
    summary = index_corpus(corpus, index)
    assert summary.skipped == [
        {"path": "passwd.txt", "reason": "symlink to a file outside the corpus"}
    ]
    assert SearchEngine(Store(index), Settings()).search(SearchRequest(q="password")).total == 0
    allowed = index_corpus(corpus, tmp_path / "index2", follow_links=True)
    assert allowed.documents == 2 and allowed.skipped == []


def test_summaries_count_exactly_what_happened(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED)
    write(corpus / "b.jsonl", DATED)  # only a duplicate id: skipped, not added
    (corpus / "notes.txt").write_text("\n")  # an empty file: skipped
    first = index_corpus(corpus, index)
    assert (first.added, first.updated, first.deleted, first.unchanged) == (1, 0, 0, 0)
    assert [s["path"] for s in first.skipped] == ["b.jsonl", "notes.txt"]
    again = index_corpus(corpus, index)  # nothing changed: the same files reported again
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 1)
    assert again.skipped == first.skipped
    (corpus / "notes.txt").unlink()  # never indexed: its going is not a deletion
    (corpus / "a.jsonl").unlink()  # the owner goes: b.jsonl's copy of d1 is read again
    third = index_corpus(corpus, index)
    assert (third.added, third.updated, third.deleted, third.unchanged) == (0, 1, 1, 0)
    assert third.documents == 1 and third.skipped == []


def test_an_index_of_another_version_is_never_served(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "a.jsonl", DATED)
    gen = index / gen_name(1)  # as an older searchsvc wrote it: no fp column, no checksums
    gen.mkdir(parents=True)
    schema = build_schema()
    schema.remove("fp")
    with whoosh.index.create_in(str(gen), schema).writer() as w:
        w.add_document(id="old", title="Old", body="An article of an older index.")
    (gen / "manifest.json").write_text(json.dumps({"version": 1, "files": {}}))
    switch_current(index, gen_name(1))
    with pytest.raises(IndexDamaged, match="another version of searchsvc"):
        Store(index).view()
    assert index_corpus(corpus, index).documents == 1  # `searchsvc index` rebuilds it
    assert Store(index).searcher().document(id="d1")["title"] == "Oil"
