"""The write API on the Typesense backend: writes passed through to the live collection.

A write is appended to the same write-ahead log as on Whoosh (ingest/wal.py: the durable store
of API articles, which `searchsvc index --rebuild` reads back into the new collection), then
upserted into (or deleted from) the collection behind the alias, all under the log's append
lock, so the log and the cluster see the writes of every worker in the same order. Typesense
makes a document searchable as soon as it acknowledges it.
"""

from __future__ import annotations

import contextlib

from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.errors import IndexWriteError
from searchsvc.ingest.apiarticle import to_payload
from searchsvc.ingest.wal import Log
from searchsvc.model import Article
from searchsvc.typesense.docs import article_to_ts
from searchsvc.typesense.index import ALIAS, _averages, _current_stats, connect, unavailable

ERRORS = (tse.ServiceUnavailable, tse.ServerError, tse.HTTPStatus0Error, tse.Timeout, OSError)


class TypesenseWriter:
    """Durable API writes on a Typesense cluster (one instance per worker process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = connect(settings, timeout=10.0)
        self.log = Log(settings.index_dir)

    def _docs(self):
        return self.client.collections[ALIAS].documents  # Typesense resolves the alias

    def _exists(self, article_id: str) -> bool:
        try:
            self._docs()[article_id].retrieve()
            return True
        except tse.ObjectNotFound:
            return False

    def put(self, articles: list[Article]) -> list[bool]:
        """Store articles; return for each whether its id existed (replaced)."""
        try:
            with self.log.locked():
                existed = [self._exists(a.id) for a in articles]
                self.log.append_locked([("put", a.id, to_payload(a)) for a in articles])
                avg = _averages(_current_stats(self._docs()))
                results = self._docs().import_(
                    [article_to_ts(a, avg) for a in articles], {"action": "upsert"}
                )
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        bad = [r for r in results if not r.get("success")]
        if bad:
            raise IndexWriteError(f"Typesense rejected {len(bad)} articles: {bad[0].get('error')}")
        return existed

    def delete(self, article_id: str) -> bool:
        """Delete an article; return False (nothing written) when the id is unknown."""
        try:
            with self.log.locked():
                if not self._exists(article_id):
                    return False
                self.log.append_locked([("delete", article_id, None)])
                with contextlib.suppress(tse.ObjectNotFound):
                    self._docs()[article_id].delete()
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        return True
