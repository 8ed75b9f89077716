"""The write API's side of the Whoosh backend: durable appends and "does this id exist?".

Runs in every web worker. A write takes the log's append lock, decides for each id whether it
exists (its last pending record, else the live generation), appends its records with one fsync
and returns; the applier makes them searchable. Deleting an unknown id appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from searchsvc.engine.generations import applied_position, load_data
from searchsvc.engine.store import Store
from searchsvc.errors import IndexMissing
from searchsvc.ingest.apiarticle import to_payload
from searchsvc.ingest.wal import Log
from searchsvc.model import Article


class LiveWriter:
    """Appends API writes to the log of one index folder (one instance per worker process)."""

    def __init__(self, index_dir: str | Path, store_of: Callable[[], Store]) -> None:
        self.index_dir = Path(index_dir)
        self.log = Log(self.index_dir)
        self.store_of = store_of  # the worker's Store (raises IndexMissing while there is none)
        self._applied: dict[str, int] = {}  # generation -> its applied position
        self._pending: dict[str, tuple[int, str]] = {}  # id -> (seq, op) of records not applied
        self._scanned = 0  # log position the pending view was read up to

    def put(self, articles: list[Article]) -> list[bool]:
        """Store articles durably; return for each whether its id existed (replaced)."""
        return self._write([("put", a.id, to_payload(a)) for a in articles])

    def delete(self, article_id: str) -> bool:
        """Delete an article durably; return False (nothing written) when the id is unknown."""
        return self._write([("delete", article_id, None)])[0]

    def _write(self, ops: list[tuple[str, str, dict | None]]) -> list[bool]:
        with self.log.locked():
            gen, applied = self._live()
            self._read_pending(applied)
            existed, entries = [], []
            local: dict[str, str] = {}
            for op, article_id, payload in ops:
                found = self._exists(article_id, gen, local)
                existed.append(found)
                if op == "delete" and not found:
                    continue
                local[article_id] = op
                entries.append((op, article_id, payload))
            self.log.append_locked(entries)
            return existed

    def _live(self) -> tuple[str | None, int]:
        """Return the live generation and its applied position (None, 0 without an index)."""
        try:
            gen = self.store_of().generation
        except IndexMissing:
            return None, 0
        if gen not in self._applied:
            self._applied = {gen: applied_position(load_data(self.index_dir / gen))}
        return gen, self._applied[gen]

    def _read_pending(self, applied: int) -> None:
        """Bring the pending view up to the log's end (caller holds the append lock)."""
        self._scanned = max(self._scanned, applied)
        self._pending = {i: v for i, v in self._pending.items() if v[0] >= applied}
        for rec in self.log.read(self._scanned, payload=False):
            self._pending[rec.id] = (rec.seq, rec.op)
            self._scanned = rec.end

    def _exists(self, article_id: str, gen: str | None, local: dict[str, str]) -> bool:
        if article_id in local:
            return local[article_id] == "put"
        if article_id in self._pending:
            return self._pending[article_id][1] == "put"
        if gen is None:
            return False
        return self.store_of().view().searcher.document_number(id=article_id) is not None
