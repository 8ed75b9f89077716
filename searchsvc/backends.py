"""Search backends behind one interface: the Whoosh index on disk, or a Typesense cluster.

`open_store`, `open_engine` and `index_with` pick the backend from `Settings.backend`
(SEARCHSVC_BACKEND: "whoosh", the default, or "typesense"); everything above them (the CLI, the
web app, batch runs) is the same for both.
"""

from __future__ import annotations

import os

from searchsvc.config import Settings
from searchsvc.errors import BadRequest
from searchsvc.ingest.plan import IndexSummary, Progress

BACKENDS = ("whoosh", "typesense")


def _kind(settings: Settings) -> str:
    kind = (settings.backend or "whoosh").lower()
    if kind not in BACKENDS:
        raise BadRequest(
            f"unknown search backend {settings.backend!r}",
            hint=f"use one of: {', '.join(BACKENDS)}",
        )
    return kind


def open_store(settings: Settings):
    """Return the backend's store: `.exists()`, `.generation`, `.stats()`."""
    if _kind(settings) == "typesense":
        from searchsvc.typesense.engine import TypesenseStore

        return TypesenseStore(settings)
    from searchsvc.engine.store import Store

    return Store(settings.index_dir, verify_full=settings.verify_on_open)


def open_engine(settings: Settings, store=None):
    """Return the search engine of the configured backend (the same interface for both)."""
    store = store if store is not None else open_store(settings)
    if _kind(settings) == "typesense":
        from searchsvc.typesense.engine import TypesenseEngine

        return TypesenseEngine(store, settings)
    from searchsvc.engine.search import SearchEngine

    return SearchEngine(store, settings)


def open_writer(settings: Settings, store_of=None):
    """Return the live writer (the write API's) of the configured backend; `store_of` gives
    the caller's store of the index (Whoosh: whether an id exists)."""
    if _kind(settings) == "typesense":
        from searchsvc.typesense.live import TypesenseWriter

        return TypesenseWriter(settings)
    from searchsvc.engine.livewrite import LiveWriter

    return LiveWriter(settings.index_dir, store_of or (lambda: open_store(settings)))


def index_with(
    settings: Settings,
    corpus_dir: str | os.PathLike | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IndexSummary:
    """Index the corpus into the configured backend (incremental unless rebuild); same summary."""
    corpus = corpus_dir if corpus_dir is not None else settings.corpus_dir
    if _kind(settings) == "typesense":
        from searchsvc.typesense.index import index_typesense

        return index_typesense(corpus, settings, rebuild=rebuild, progress=progress)
    from searchsvc.engine.indexer import index_corpus

    return index_corpus(
        corpus,
        settings.index_dir,
        rebuild=rebuild,
        procs=settings.index_procs,
        progress=progress,
        lock_timeout=settings.lock_timeout,
        max_bytes=settings.max_file_bytes,
        bulk=settings.bulk_writer,
        follow_links=settings.follow_links,
    )
