"""The Typesense cluster as the web app's health check sees it: exists, generation, stats."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from typesense import exceptions as tse

from searchsvc.config import Settings
from searchsvc.errors import IndexMissing
from searchsvc.ingest.wal import Log
from searchsvc.typesense.docs import ARTICLES
from searchsvc.typesense.index import ALIAS, UNDATED, connect, live_collection, unavailable

EXISTS_TTL_S = 1.0  # the web app asks before every request; one alias lookup a second is enough
ERRORS = (tse.ServiceUnavailable, tse.ServerError, tse.HTTPStatus0Error, tse.Timeout, OSError)


class TypesenseStore:
    """The cluster as the web app's health check sees it: exists, generation, stats."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = connect(settings)
        self._seen = -EXISTS_TTL_S  # when exists() last found the alias

    def collection(self) -> str:
        """Return the live collection name; raise IndexMissing/BackendUnavailable otherwise."""
        try:
            name = live_collection(self.client)
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        if name is None:
            raise IndexMissing(
                f"no {ALIAS} collection on the Typesense cluster",
                hint="build it with `searchsvc index --backend typesense`",
            )
        return name

    def exists(self) -> bool:
        """Return True when the alias points to a collection (a yes is trusted for a second)."""
        if time.monotonic() - self._seen < EXISTS_TTL_S:
            return True
        try:
            found = live_collection(self.client) is not None
        except ERRORS:
            return False
        if found:
            self._seen = time.monotonic()
        return found

    @property
    def generation(self) -> str:
        """Return the live collection's name (changes with every rebuild)."""
        return self.collection()

    @property
    def version(self) -> str:
        """Return the live collection plus the state of the write log: live writes change the
        collection in place, so its name alone does not change with them."""
        return f"{self.collection()}|{Log(self.settings.index_dir).signature()!r}"

    def stats(self) -> dict:
        """Return documents, sources, date span, last rebuild time and the live collection."""
        name = self.collection()
        try:
            info = self.client.collections[name].retrieve()
            docs = self.client.collections[name].documents
            facets = docs.search(
                {
                    "q": "*",
                    "filter_by": ARTICLES,
                    "facet_by": "source",
                    "max_facet_values": 1000,
                    "per_page": 0,
                }
            )
            span = [
                docs.search(
                    {"q": "*", "filter_by": f"day:>{UNDATED}", "sort_by": f"day:{o}", "per_page": 1}
                )["hits"]
                for o in ("asc", "desc")
            ]
            undated = docs.search({"q": "*", "filter_by": f"day:={UNDATED}", "per_page": 0})
        except ERRORS as err:
            raise unavailable(err, self.settings) from err
        counts = {c["value"]: c["count"] for c in facets["facet_counts"][0]["counts"]}
        created = info["created_at"]  # the last rebuild: updates keep the collection
        return {
            "documents": facets["found"],  # the articles (not the statistics document)
            "index_bytes": None,
            "last_update": datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds"),
            "sources": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "date_span": [h[0]["document"].get("published") if h else None for h in span],
            "undated": undated["found"],
            "generation": name,
        }
