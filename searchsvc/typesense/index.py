"""Typesense collections for articles: connection, schema, documents, and incremental indexing.

The corpus is planned exactly as for the Whoosh index (the same manifest of size, mtime, hash and
article ids per file; the same IndexSummary). The manifest lives in the local index folder
(`typesense-manifest.json`) together with the name of the collection it describes. Every
article is written twice (docs.py): its document to the article collection (alias ALIAS) and
its ranking entry to the ranking collection (alias RANK_ALIAS, the same name suffix). An update
deletes the ids of changed and removed files and upserts the articles of new and changed files
in the live collections. A rebuild (or a manifest that does not match the live collections)
writes new collections aside and then switches the aliases to them, the ranking one first:
searches never see a half-built index.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import typesense
from typesense import api_call
from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.errors import BackendUnavailable, IndexWriteError, SearchsvcError
from searchsvc.ingest.apistore import ApiView
from searchsvc.ingest.durable import WriteLock, atomic_write
from searchsvc.ingest.plan import IndexSummary, Progress, accept_file, plan_changes
from searchsvc.model import Article
from searchsvc.typesense import upkeep
from searchsvc.typesense.docs import (
    EPOCH,
    FIELDS,
    RANK_FIELDS,
    UNDATED,
    article_to_ts,
    stems,
)
from searchsvc.typesense.writes import (
    ALIAS,
    RANK_ALIAS,
    docs_of,
    import_articles,
    rank_name,
    replay,
)

__all__ = ["EPOCH", "FIELDS", "RANK_FIELDS", "UNDATED", "article_to_ts", "stems"]

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
    # The client's (module-wide) requests session would look up proxy settings and .netrc in
    # the environment on every request: ~0.6 ms a request. Cluster nodes are reached directly.
    api_call.session.trust_env = False
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
            fresh = fresh or _alias_target(client, RANK_ALIAS) != rank_name(live or "")
            summary = IndexSummary()
            plan = plan_changes(corpus, {} if fresh else saved["files"], summary)
            target = f"{ALIAS}_{time.time_ns()}" if fresh else live
            if fresh:
                client.collections.create({"name": target, "fields": FIELDS})
                client.collections.create({"name": rank_name(target), "fields": RANK_FIELDS})
            api = ApiView.snapshot(index_dir, 0)  # the write API's articles are kept
            known = saved.get("files", {}) if fresh else {}
            args = (client, target, corpus, plan, summary, progress, settings, fresh)
            written = _write(*args, api, known)
            expected = ApiView.snapshot(index_dir, 0).expected(plan.manifest)
            upkeep.write_stats(client, target, expected)
            summary.documents = upkeep.count(client, target, expected + 1) - 1  # not the statistics
            ranked = upkeep.count(client, rank_name(target), expected)
            if expected != summary.documents or expected != ranked:
                raise IndexWriteError(
                    f"collection {target} holds {summary.documents} documents and its ranking "
                    f"{ranked}, expected {expected}",
                    hint="the previous collection is still live; run `searchsvc index --rebuild`",
                )
            if fresh:
                client.aliases.upsert(RANK_ALIAS, {"collection_name": rank_name(target)})
                client.aliases.upsert(ALIAS, {"collection_name": target})
                replay(docs_of(client, target), api)  # what the API wrote to the old one meanwhile
            _save(index_dir, target, plan.manifest)
            if fresh:  # searches use the new collections now; drop the old ones and leftovers
                _drop_others(client, target)
        except (tse.TypesenseClientError, OSError) as err:
            if isinstance(err, tse.ObjectUnprocessable | tse.RequestMalformed):
                raise IndexWriteError(f"Typesense rejected a write: {err}") from err
            raise unavailable(err, settings) from err
    summary.seconds = round(time.monotonic() - start, 3)
    summary.docs_per_s = round(written / summary.seconds, 1) if summary.seconds else 0.0
    return summary


def _alias_target(client, alias: str) -> str | None:
    """Return the collection behind an alias, or None."""
    try:
        return client.aliases[alias].retrieve()["collection_name"]
    except tse.ObjectNotFound:
        return None


def _drop_others(client, keep: str) -> None:
    """Delete every searchsvc collection but `keep` and its ranking (replaced or killed builds)."""
    for c in client.collections.retrieve():
        name = c["name"]
        ours = name.startswith((f"{ALIAS}_", f"{RANK_ALIAS}_"))
        if ours and name not in (keep, rank_name(keep)):
            client.collections[name].delete()


def _write(client, target, corpus, plan, summary, progress, settings, fresh, api, known) -> int:
    """Delete stale ids, upsert the articles of the files to read; return documents written.

    API articles: as on Whoosh (ingest/apistore.py), an API write hides a corpus article
    until its file changes; a new collection gets every API article back from the log.
    Then recount the copies (`dupn`) of every near-duplicate key the changes touched.
    """
    docs = client.collections[target].documents
    ranks = client.collections[rank_name(target)].documents
    touched: Counter = Counter()
    if not fresh:
        stale = [
            i
            for rel in plan.to_delete
            for i in plan.old_ids.get(rel, ())
            if not api.wins(i, plan.old_since.get(rel, 0))
        ]
        touched.update(upkeep.keys_of(ranks, stale))
        for k in range(0, len(stale), 100):
            ids = ",".join(f"`{i}`" for i in stale[k : k + 100])
            docs.delete({"filter_by": f"id:[{ids}]"})
            ranks.delete({"filter_by": f"id:[{ids}]"})
    reading, replacing = set(plan.to_read), set(plan.to_delete)
    owners = {i: rel for rel, e in plan.manifest.items() if rel not in reading for i in e["ids"]}
    batch: list[Article] = []
    sums = {"n": 0, "title": 0.0, "body": 0.0} if fresh else upkeep.current_stats(docs)
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
                import_articles(docs, ranks, batch, sums, touched)
        if progress is not None:
            progress(done, len(plan.files), rel)
    if fresh:
        since = {i: e.get("since", 0) for e in plan.manifest.values() for i in e["ids"]}
        for rec in api.fold.values():
            if rec.op == "put" and (rec.id not in since or rec.seq >= since[rec.id]):
                batch.append(api.article(rec))
    import_articles(docs, ranks, batch, sums, touched)
    # a new collection: only keys written twice or more have copies; else every touched key
    upkeep.update_counts(ranks, {k for k, n in touched.items() if n > 1 or not fresh})
    return written


def _read_one(corpus, rel, entry, owners, summary, settings, batch, old_ids) -> int:
    """Read one file into the batch (the same id rules as the Whoosh indexer)."""
    accepted = accept_file(
        corpus, rel, entry, owners, summary, max_bytes=settings.max_file_bytes, old_ids=old_ids
    )
    batch.extend(accepted)
    return len(accepted)


def tag_counts(facet: dict) -> Counter:
    """Return a facet's {value: count}."""
    return Counter({c["value"]: c["count"] for c in facet.get("counts", ())})
