"""The Typesense backend on a real server: errors, alias rebuilds, the web app, the CLI, Reuters."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
from click.testing import CliRunner
from typesense_fixtures import API_KEY, ts_settings, write_corpus
from typesense_fixtures import typesense_node as typesense_node
from webdata import web_articles

from searchsvc.backends import index_with, open_engine, open_store
from searchsvc.cli import main
from searchsvc.contract import SearchRequest
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import IndexMissing
from searchsvc.typesense.index import (
    ALIAS,
    FIELDS,
    RANK_ALIAS,
    RANK_FIELDS,
    BackendUnavailable,
    connect,
    rank_name,
)
from searchsvc.typesense.query import NOTES
from searchsvc.typesense.server import free_port


@pytest.fixture(scope="module")
def indexed(typesense_node, tmp_path_factory):
    """Return Settings of the tiny web corpus indexed into the module's Typesense server."""
    root = tmp_path_factory.mktemp("ts")
    corpus = write_corpus(root / "corpus", web_articles())
    settings = ts_settings([typesense_node.url], root / "index", corpus_dir=corpus)
    index_with(settings, rebuild=True)
    return settings


@pytest.mark.slow
def test_errors_before_indexing_and_without_a_cluster(typesense_node, tmp_path):
    client = connect(ts_settings([typesense_node.url], tmp_path))
    if any(a["name"] == ALIAS for a in client.aliases.retrieve()["aliases"]):
        pytest.skip("the alias already exists (tests ran out of order)")
    empty = open_engine(ts_settings([typesense_node.url], tmp_path))
    assert not empty.store.exists()
    with pytest.raises(IndexMissing) as err:
        empty.search(SearchRequest(q="oil"))
    assert err.value.status == 503 and "searchsvc index" in err.value.hint
    down = ts_settings([f"http://127.0.0.1:{free_port()}"], tmp_path)
    start = time.monotonic()
    with pytest.raises(BackendUnavailable) as err:
        open_engine(down).search(SearchRequest(q="oil"))
    assert err.value.status == 503 and "unavailable" in err.value.message
    assert time.monotonic() - start < 10
    assert not open_store(down).exists()


@pytest.mark.slow
def test_notes_say_what_differs_from_whoosh(indexed):
    engine = open_engine(indexed)
    data = engine.search(SearchRequest(q="oil")).to_dict()
    assert data["notes"] == NOTES and any("Did you mean" in n for n in NOTES)
    assert engine.stats().notes == NOTES and engine.stats().backend == "typesense"
    assert "filter_by: source_key:=[`bbc`]" in engine.explain("oil source:bbc")
    assert "filter_by: terms:!=[`brent`]" in engine.explain("oil -brent")
    assert "groups (tiered): (term:oil)^2 (phrase:oil futur)" in engine.explain(
        'oil oil "oil futures"'
    )


@pytest.mark.slow
def test_rebuild_switches_the_alias_without_a_failed_search(indexed):
    engine = open_engine(indexed)
    client = engine.store.client
    before = engine.store.generation
    client.collections.create({"name": f"{ALIAS}_1", "fields": FIELDS})  # a killed build's
    client.collections.create({"name": f"{RANK_ALIAS}_1", "fields": RANK_FIELDS})
    results, errors, stop = [], [], threading.Event()

    def searcher():
        while not stop.is_set() and len(results) < 5000:
            try:
                results.append(engine.search(SearchRequest(q="oil", collapse=False)).total)
            except Exception as e:  # any failure is what this test looks for
                errors.append(repr(e))

    thread = threading.Thread(target=searcher)
    thread.start()
    try:
        time.sleep(0.2)
        summaries = [index_with(indexed, rebuild=True) for _ in range(3)]
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert not errors and len(results) > 20 and set(results) == {14}
    assert all(s.documents == 20 and s.added == 1 for s in summaries)
    after = engine.store.generation
    assert after != before
    names = {c["name"] for c in client.collections.retrieve()}
    assert names == {after, rank_name(after)}  # the replaced ones and leftovers were dropped


@pytest.mark.slow
def test_web_app_on_typesense(indexed):
    from searchsvc.web import create_app

    client = create_app({"SETTINGS": indexed, "TESTING": True}).test_client()
    data = client.get("/api/search?q=oil&per_page=3").json
    assert data["total"] == 14 and len(data["hits"]) == 3 and data["notes"] == NOTES
    assert "<mark>" in data["hits"][0]["snippet"]
    health = client.get("/healthz").json
    assert health["status"] == "ok" and health["documents"] == 20
    assert health["generation"].startswith(ALIAS)
    assert client.get("/api/suggest?q=crude+oi").json["suggestions"][0] == "crude oil"
    assert client.get("/api/articles/cocoa-1").json["source"] == "BBC"
    assert client.get("/api/articles/nope").status_code == 404
    assert client.get("/api/stats").json["documents"] == 20
    home = client.get("/")
    assert home.status_code == 200 and b"Articles" in home.data
    page = client.get("/?q=zanzibar")
    assert page.status_code == 200 and b"&lt;script&gt;" in page.data
    assert b"<script>window" not in page.data
    assert client.get("/articles/oil-03?q=oil").status_code == 200


def test_web_app_reports_an_unreachable_cluster(tmp_path):
    from searchsvc.web import create_app

    down = ts_settings([f"http://127.0.0.1:{free_port()}"], tmp_path)
    client = create_app({"SETTINGS": down, "TESTING": True}).test_client()
    res = client.get("/api/search?q=oil")
    assert res.status_code == 503 and "try again" in res.json["error"]  # no internals shown
    assert client.get("/healthz").status_code == 503


@pytest.mark.slow
def test_cli_index_search_stats_and_batch(typesense_node, tmp_path):
    corpus = write_corpus(tmp_path / "corpus", web_articles())
    opts = [
        "--backend",
        "typesense",
        "--typesense-url",
        typesense_node.url,
        "--typesense-api-key",
        API_KEY,
        "--index",
        str(tmp_path / "index"),
    ]
    runner = CliRunner()
    res = runner.invoke(main, ["index", "--corpus", str(corpus), "--json", *opts])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["documents"] == 20 and summary["unchanged"] == 0
    res = runner.invoke(main, ["index", "--corpus", str(corpus), "--json", *opts])
    assert json.loads(res.output)["unchanged"] == 1
    res = runner.invoke(main, ["search", "coffee frost", "--json", *opts])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["hits"][0]["similar"] == 2
    res = runner.invoke(main, ["stats", "--json", *opts])
    assert json.loads(res.output)["documents"] == 20
    topics, run = tmp_path / "topics.tsv", tmp_path / "run.txt"
    topics.write_text("1\toil prices\n2\tcocoa grindings\n")
    res = runner.invoke(main, ["search", "--topics", str(topics), "--run", str(run), *opts])
    assert res.exit_code == 0, res.output
    lines = [ln.split() for ln in run.read_text().splitlines()]
    assert {ln[2] for ln in lines if ln[0] == "2"} == {"cocoa-1"}
    assert len([ln for ln in lines if ln[0] == "1"]) == 15  # 14 oil articles + "Prices of cloves"
    bad = runner.invoke(main, ["search", "oil", *opts[:2], "--typesense-url", "http://127.0.0.1:1"])
    assert bad.exit_code == 1 and "unavailable" in bad.output


@pytest.mark.data
@pytest.mark.slow
def test_reuters_file_on_both_backends(data_dir, typesense_node, tmp_path):
    src = data_dir / "reuters21578" / "reut2-000.sgm"
    if not src.is_file():
        pytest.skip(f"{src} is missing")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(src, corpus / src.name)  # a symlink out of the corpus would be skipped
    ts = ts_settings([typesense_node.url], tmp_path / "ts", max_per_page=1000)
    start = time.monotonic()
    summary = index_with(ts, corpus, rebuild=True)
    seconds = time.monotonic() - start
    assert summary.documents > 900 and seconds < 60
    index_with(ts.__class__(index_dir=tmp_path / "whoosh", index_procs=1), corpus)
    store = Store(tmp_path / "whoosh")
    whoosh, typesense = SearchEngine(store, ts), open_engine(ts)
    try:
        for q in ("coffee", "cocoa", '"interest rates"', "coffee brazil -colombia", "tag:cocoa"):
            req = SearchRequest(q=q, per_page=50, collapse=False, facets=False)
            w, t = whoosh.search(req), typesense.search(req)
            assert t.total == w.total > 0, q
            assert {h.id for h in t.hits} == {h.id for h in w.hits}, q
        big = typesense.search(SearchRequest(q="", per_page=300, page=2, collapse=False))
        assert len(big.hits) == 300 and big.total == summary.documents
        first = typesense.search(SearchRequest(q="", per_page=300, collapse=False))
        assert not {h.id for h in first.hits} & {h.id for h in big.hits}
        typo = typesense.search(SearchRequest(q="cofee"))  # nothing as typed: the correction's
        assert (typo.results_for, typo.suggestion, typo.query) == ("coffee", None, "cofee")
        page = typesense.search(SearchRequest(q="coffee brazil"))
        assert "COFFEE" in page.hits[0].title.upper() and page.took_ms < 2000
    finally:
        store.close()


@pytest.mark.slow
def test_copies_are_recounted_by_incremental_updates(typesense_node, tmp_path):
    """Totals fold copies by the ranking entries' `dupn`, which updates and deletions keep."""
    arts = web_articles()
    copies = [a for a in arts if a["id"].startswith("coffee-dup")]
    corpus = write_corpus(tmp_path / "corpus", [a for a in arts if a not in copies])
    write_corpus(corpus, copies[:1], name="copy-0.jsonl")
    settings = ts_settings([typesense_node.url], tmp_path / "index")
    index_with(settings, corpus, rebuild=True)
    engine = open_engine(settings)

    def coffee() -> tuple[int, int, int]:
        folded = engine.search(SearchRequest(q="coffee frost"))
        every = engine.search(SearchRequest(q="coffee frost", collapse=False))
        return folded.total, folded.hits[0].similar, every.total

    assert coffee() == (1, 0, 1)
    write_corpus(corpus, copies[1:], name="copy-1.jsonl")  # two more copies of the story
    index_with(settings, corpus)
    assert coffee() == (1, 2, 3)
    (corpus / "copy-0.jsonl").unlink()
    index_with(settings, corpus)
    assert coffee() == (1, 1, 2)
    many = engine.search(SearchRequest(q="coffee oil"))  # copies and single articles together
    assert many.total == engine.search(SearchRequest(q="coffee oil", collapse=False)).total - 1
    assert many.facets["tags"]["agriculture"] == 1


@pytest.mark.slow
def test_an_index_without_ranking_entries_asks_for_a_rebuild(indexed):
    """An index built before the ranking collection: searches say to rebuild, then work."""
    engine = open_engine(indexed)
    client = engine.store.client
    live = client.aliases[RANK_ALIAS].retrieve()["collection_name"]
    client.aliases[RANK_ALIAS].delete()
    try:
        with pytest.raises(IndexMissing) as err:
            engine.search(SearchRequest(q="oil"))
        assert err.value.status == 503 and "searchsvc index" in err.value.hint
        index_with(indexed)  # the manifest no longer matches: a rebuild
        assert engine.search(SearchRequest(q="oil", collapse=False)).total == 14
    finally:
        if not any(a["name"] == RANK_ALIAS for a in client.aliases.retrieve()["aliases"]):
            client.aliases.upsert(RANK_ALIAS, {"collection_name": live})
