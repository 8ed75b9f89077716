"""The write API on the Typesense backend: writes passed through to the live collection.

A write is appended to the same write-ahead log as on Whoosh (ingest/wal.py: the durable store
of API articles, which `searchsvc index --rebuild` reads back into the new collection), then
upserted into (or deleted from) the collections behind the aliases (typesense/writes.py: the
article and its ranking entry, and the copy counts), all under the log's append
lock, so the log and the cluster see the writes of every worker in the same order. Typesense
makes a document searchable as soon as it acknowledges it.
"""

from __future__ import annotations

from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.ingest.apiarticle import to_payload
from searchsvc.ingest.wal import Log
from searchsvc.model import Article
from searchsvc.typesense import writes
from searchsvc.typesense.index import connect, unavailable
from searchsvc.typesense.writes import ALIAS

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
                writes.put(writes.docs_of(self.client), articles)  # article and ranking entry
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        return existed

    def delete(self, article_id: str) -> bool:
        """Delete an article; return False (nothing written) when the id is unknown."""
        try:
            with self.log.locked():
                if not self._exists(article_id):
                    return False
                self.log.append_locked([("delete", article_id, None)])
                writes.delete(writes.docs_of(self.client), [article_id])
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        return True
