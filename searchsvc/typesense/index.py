"""Typesense collections for articles: connection, schema, documents, and incremental indexing.

The corpus is planned exactly as for the Whoosh index (the same manifest of size, mtime, hash and
article ids per file; the same IndexSummary). The manifest lives in the local index folder
(`typesense-manifest.json`) together with the name of the collection it describes. An update
deletes the ids of changed and removed files and upserts the articles of new and changed files
in the live collection. A rebuild (or a manifest that does not match the live collection) writes
a new collection aside and then switches the alias to it: searches never see a half-built index.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from pathlib import Path

import typesense
from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.errors import BackendUnavailable, IndexWriteError, SearchsvcError
from searchsvc.ingest.apistore import ApiView
from searchsvc.ingest.durable import WriteLock, atomic_write
from searchsvc.ingest.plan import IndexSummary, Progress, accept_file, plan_changes
from searchsvc.model import Article
from searchsvc.text.analysis import index_terms
from searchsvc.typesense.docs import (
    ARTICLES,
    EPOCH,
    FIELDS,
    STATS_ID,
    UNDATED,
    article_to_ts,
    read_stats,
    stats_doc,
    stems,
)

__all__ = ["EPOCH", "FIELDS", "UNDATED", "article_to_ts", "stems"]

ALIAS = "searchsvc_articles"
MANIFEST = "typesense-manifest.json"
BATCH = 500


def node_urls(settings: Settings) -> list[str]:
    """Return the node URLs of SEARCHSVC_TYPESENSE_URL (comma-separated)."""
    return [u.strip().rstrip("/") for u in settings.typesense_url.split(",") if u.strip()]


def connect(settings: Settings, *, timeout: float = 2.0) -> typesense.Client:
    """Return a client that spreads requests over every configured node and fails over."""
    nodes = node_urls(settings)
    if not nodes:
        raise SearchsvcError("no Typesense node configured", hint="set SEARCHSVC_TYPESENSE_URL")
    return typesense.Client(
        {
            "nodes": nodes,
            "api_key": settings.typesense_api_key or "xyz",
            "connection_timeout_seconds": timeout,
            "num_retries": max(3, 2 * len(nodes)),
            "retry_interval_seconds": 0.2,
            "healthcheck_interval_seconds": 2,
        }
    )


def unavailable(err: Exception, settings: Settings) -> BackendUnavailable:
    """Return the 503 error for a cluster that did not answer."""
    return BackendUnavailable(
        f"the Typesense cluster at {settings.typesense_url} is unavailable ({type(err).__name__})",
        hint="check that the Typesense nodes are running and SEARCHSVC_TYPESENSE_URL is right",
    )


def live_collection(client: typesense.Client) -> str | None:
    """Return the collection behind the alias, or None when there is none yet."""
    try:
        return client.aliases[ALIAS].retrieve()["collection_name"]
    except tse.ObjectNotFound:
        return None


def _load(index_dir: Path) -> dict:
    try:
        with open(index_dir / MANIFEST, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}


def _save(index_dir: Path, collection: str, files: dict) -> None:
    atomic_write(
        index_dir / MANIFEST, json.dumps({"version": 1, "collection": collection, "files": files})
    )


def index_typesense(
    corpus_dir: str | os.PathLike,
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IndexSummary:
    """Bring the Typesense alias up to date with `corpus_dir`; return the same summary as Whoosh."""
    start = time.monotonic()
    corpus, index_dir = Path(corpus_dir), Path(settings.index_dir)
    if not corpus.is_dir():
        raise SearchsvcError(f"corpus folder not found: {corpus}")
    index_dir.mkdir(parents=True, exist_ok=True)
    client = connect(settings, timeout=30.0)
    with WriteLock(index_dir, timeout=settings.lock_timeout):
        try:
            live = live_collection(client)
            saved = _load(index_dir)
            fresh = rebuild or live is None or saved.get("collection") != live
            summary = IndexSummary()
            plan = plan_changes(corpus, {} if fresh else saved["files"], summary)
            target = f"{ALIAS}_{time.time_ns()}" if fresh else live
            if fresh:
                client.collections.create({"name": target, "fields": FIELDS})
            api = ApiView.snapshot(index_dir, 0)  # the write API's articles are kept
            known = saved.get("files", {}) if fresh else {}
            args = (client, target, corpus, plan, summary, progress, settings, fresh)
            written = _write(*args, api, known)
            expected = ApiView.snapshot(index_dir, 0).expected(plan.manifest)
            _write_stats(client, target, expected)
            summary.documents = _count(client, target, expected + 1) - 1  # not the statistics
            if summary.documents != expected:
                raise IndexWriteError(
                    f"collection {target} holds {summary.documents} documents, expected {expected}",
                    hint="the previous collection is still live; run `searchsvc index --rebuild`",
                )
            if fresh:
                client.aliases.upsert(ALIAS, {"collection_name": target})
                _replay(client, target, api)  # what the API wrote to the old one meanwhile
            _save(index_dir, target, plan.manifest)
            if fresh:  # searches use the new collection now; drop the old one and leftovers
                _drop_others(client, target)
        except (tse.TypesenseClientError, OSError) as err:
            if isinstance(err, tse.ObjectUnprocessable | tse.RequestMalformed):
                raise IndexWriteError(f"Typesense rejected a write: {err}") from err
            raise unavailable(err, settings) from err
    summary.seconds = round(time.monotonic() - start, 3)
    summary.docs_per_s = round(written / summary.seconds, 1) if summary.seconds else 0.0
    return summary


def _drop_others(client, keep: str) -> None:
    """Delete every searchsvc collection but `keep` (the replaced one, or a killed build's)."""
    for c in client.collections.retrieve():
        if c["name"].startswith(f"{ALIAS}_") and c["name"] != keep:
            client.collections[c["name"]].delete()


def _count(client, name: str, expected: int, wait: float = 15.0) -> int:
    """Return the collection's document count once it reaches `expected` (or after `wait` s).

    In a cluster the count may come from a follower that has not applied the last writes yet.
    """
    deadline = time.monotonic() + wait
    while True:
        n = client.collections[name].retrieve()["num_documents"]
        if n == expected or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def _length_sums(client, name: str, expected: int, wait: float = 15.0) -> tuple[int, int, int]:
    """Return (articles, summed title lengths, summed body lengths) as the collection holds them.

    Summed by Typesense (facet stats) once a node reports `expected` articles, so incremental
    updates, deletions and rebuilds all leave exact figures.
    """
    deadline = time.monotonic() + wait
    params = {"q": "*", "filter_by": ARTICLES, "facet_by": "tl,bl", "per_page": 0}
    while True:
        res = client.collections[name].documents.search(params)
        if res["found"] == expected or time.monotonic() > deadline:
            sums = {f["field_name"]: f.get("stats", {}).get("sum", 0) for f in res["facet_counts"]}
            return res["found"], int(sums.get("tl", 0)), int(sums.get("bl", 0))
        time.sleep(0.1)


def _write_stats(client, name: str, expected: int) -> None:
    """Rewrite the statistics document (article count, summed lengths) of a collection."""
    stats = stats_doc(*_length_sums(client, name, expected))
    client.collections[name].documents.upsert(stats)


def _current_stats(docs) -> dict:
    """Return the running sums of the collection's statistics document (zeros without one)."""
    try:
        got = read_stats(docs[STATS_ID].retrieve())
    except tse.ObjectNotFound:
        got = read_stats(None)
    n = got["documents"]
    return {"n": n, "title": got["avg"]["title"] * n, "body": got["avg"]["body"] * n}


def _write(client, target, corpus, plan, summary, progress, settings, fresh, api, known) -> int:
    """Delete stale ids, upsert the articles of the files to read; return documents written.

    API articles: as on Whoosh (ingest/apistore.py), an API write hides a corpus article
    until its file changes; a new collection gets every API article back from the log.
    """
    docs = client.collections[target].documents
    if not fresh:
        stale = [
            i
            for rel in plan.to_delete
            for i in plan.old_ids.get(rel, ())
            if not api.wins(i, plan.old_since.get(rel, 0))
        ]
        for k in range(0, len(stale), 100):
            ids = ",".join(f"`{i}`" for i in stale[k : k + 100])
            docs.delete({"filter_by": f"id:[{ids}]"})
    reading, replacing = set(plan.to_read), set(plan.to_delete)
    owners = {i: rel for rel, e in plan.manifest.items() if rel not in reading for i in e["ids"]}
    batch: list[Article] = []
    sums = {"n": 0, "title": 0.0, "body": 0.0} if fresh else _current_stats(docs)
    written = 0
    for done, rel in enumerate(plan.files, 1):
        if rel in reading:
            entry = plan.manifest[rel]
            old_ids = plan.old_ids.get(rel, []) if rel in replacing else None
            prev = known.get(rel)
            same = prev is not None and prev.get("sha") == entry["sha"]
            since = prev.get("since", 0) if same else api.end
            written += _read_one(corpus, rel, entry, owners, summary, settings, batch, old_ids)
            entry["since"] = since
            batch[:] = [a for a in batch if a.path != rel or not api.wins(a.id, since)]
            if len(batch) >= BATCH:
                _import(docs, batch, sums)
        if progress is not None:
            progress(done, len(plan.files), rel)
    if fresh:
        since = {i: e.get("since", 0) for e in plan.manifest.values() for i in e["ids"]}
        for rec in api.fold.values():
            if rec.op == "put" and (rec.id not in since or rec.seq >= since[rec.id]):
                batch.append(api.article(rec))
    _import(docs, batch, sums)
    return written


def _replay(client, target: str, api: ApiView) -> None:
    """Apply to the new collection what the write API logged after the snapshot `api`."""
    docs = client.collections[target].documents
    last = {}
    for rec in api.log.read(api.end):
        last[rec.id] = rec
    puts = [api.article(r) for r in last.values() if r.op == "put"]
    if puts:
        sums = _current_stats(docs)
        _import(docs, puts, sums)
    for rec in last.values():
        if rec.op == "delete":
            with contextlib.suppress(tse.ObjectNotFound):
                docs[rec.id].delete()


def _read_one(corpus, rel, entry, owners, summary, settings, batch, old_ids) -> int:
    """Read one file into the batch (the same id rules as the Whoosh indexer)."""
    accepted = accept_file(
        corpus, rel, entry, owners, summary, max_bytes=settings.max_file_bytes, old_ids=old_ids
    )
    batch.extend(accepted)
    return len(accepted)


def _import(docs, batch: list[Article], sums: dict) -> None:
    """Upsert a batch of articles and empty it; raise when any document was rejected.

    `sums`: running article count and summed lengths; their averages set the impact levels
    (the first batch of a new collection is measured before it is written).
    """
    if not batch:
        return
    if not sums["n"]:
        for a in batch:
            sums["title"] += len(index_terms(a.title))
            sums["body"] += len(index_terms(a.body))
        sums["n"] = len(batch)
        encoded = [article_to_ts(a, _averages(sums)) for a in batch]
    else:
        encoded = [article_to_ts(a, _averages(sums)) for a in batch]
        for d in encoded:
            sums["title"] += d["tl"]
            sums["body"] += d["bl"]
        sums["n"] += len(batch)
    results = docs.import_(encoded, {"action": "upsert"})
    bad = [r for r in results if not r.get("success")]
    if bad:
        raise IndexWriteError(f"Typesense rejected {len(bad)} documents: {bad[0].get('error')}")
    batch.clear()


def _averages(sums: dict) -> dict[str, float]:
    """Return the average title and body lengths of running sums."""
    n = max(1, sums["n"])
    return {"title": sums["title"] / n or 1.0, "body": sums["body"] / n or 1.0}


def tag_counts(facet: dict) -> Counter:
    """Return a facet's {value: count}."""
    return Counter({c["value"]: c["count"] for c in facet.get("counts", ())})
