"""A Whoosh index written segment by segment with Whoosh's own writer, for the fast-path tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import whoosh.index

from searchsvc.engine.schema import article_to_doc, build_schema
from searchsvc.model import Article


def write_segments(folder: Path, parts: Iterable[Iterable[Article]], delete: Iterable[str]) -> None:
    """Create an index in folder: one segment per part (no merging), then delete ids."""
    ix = whoosh.index.create_in(str(folder), build_schema())
    for part in parts:
        with ix.writer() as w:
            w.merge = False
            for article in part:
                w.add_document(**article_to_doc(article))
    with ix.writer() as w:
        w.merge = False
        for article_id in delete:
            w.delete_by_term("id", article_id)
