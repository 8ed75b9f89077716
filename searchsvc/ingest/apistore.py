"""The API's articles as one indexing run sees them (both backends' indexers use this).

The write-ahead log (wal.py) is the store of API articles. An indexing run reads it up to its
end once: the last record of every id, and which of them the index has not applied yet. An API
write of a corpus article's id hides that article until its file changes: each file's manifest
entry records `since`, the log position when that version of the file was read, and the later
of the two wins (a record at or after `since` wins over the file).
"""

from __future__ import annotations

from pathlib import Path

from searchsvc.ingest.apiarticle import from_payload
from searchsvc.ingest.wal import Log, Record
from searchsvc.model import Article


class ApiView:
    """The log as one index run sees it: its end, the last record of every id, the pending ones."""

    def __init__(self, log: Log, end: int, fold: dict[str, Record], applied: int) -> None:
        self.log, self.end, self.fold = log, end, fold
        self.pending = {i: r for i, r in fold.items() if r.seq >= applied}

    @classmethod
    def snapshot(cls, index_dir: Path, applied: int) -> ApiView:
        """Read the log of an index folder up to its current end."""
        log = Log(index_dir)
        if not log.dir.is_dir():
            return cls(log, 0, {}, applied)
        end = log.end()
        return cls(log, end, log.fold(end), applied)

    def wins(self, article_id: str, since: int) -> bool:
        """Return True when an API record of the id is as new as a file version read at since."""
        rec = self.fold.get(article_id)
        return rec is not None and rec.seq >= since

    def article(self, rec: Record) -> Article:
        """Return the article a put record stores."""
        return from_payload(rec.id, rec.payload or self.log.payload(rec))

    def expected(self, files: dict) -> int:
        """Return how many documents the index holds for these manifest files plus the API's."""
        since = {i: e.get("since", 0) for e in files.values() for i in e["ids"]}
        count = sum(1 for i, s in since.items() if not self.wins(i, s))
        for i, rec in self.fold.items():
            if rec.op == "put" and (i not in since or rec.seq >= since[i]):
                count += 1
        return count
