"""A new generation reuses what the store read from the segments it keeps, with the same result.

Segment files are never rewritten, so a store that switches to the next generation carries
each kept segment's coded columns, tag sets and term arrays over (ReaderState.segment_memo);
the columns it then builds must be exactly those of a store opening the generation afresh,
deletions in kept segments included.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from searchsvc.engine import facets
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.live import apply_pending
from searchsvc.engine.livewrite import LiveWriter
from searchsvc.engine.store import Store
from searchsvc.model import Article

WORDS = ["oil", "price", "crude", "wheat", "grain", "export", "bank", "rate"]


def _article(i: int) -> Article:
    story = i - 1 if i % 9 == 1 else i  # some stories have an exact copy
    words = " ".join(WORDS[(story * k) % len(WORDS)] for k in range(1, 9))
    return Article(
        f"d{i:03d}",
        f"{WORDS[story % len(WORDS)].title()} report {story}",
        f"{words}. Report {story} of the series. {words}. " * 3,
        published=date(1987, 1 + story % 12, 1 + story % 28) if i % 4 else None,
        source=["Wire", "Desk", "The Wire", ""][i % 4],
        tags=tuple(WORDS[j] for j in range(i % 4)) + ((f"copy{i % 2}",) if i % 9 < 2 else ()),
    )


def _columns(view) -> dict:
    cols = facets.columns(view)
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in cols.items()}


@pytest.fixture
def index(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name, numbers in (("a.jsonl", range(60)), ("b.jsonl", range(60, 120))):
        lines = [json.dumps(_article(i).to_json()) for i in numbers]
        (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        index_corpus(corpus, index_dir, procs=1)  # one segment per file
    return index_dir


def test_the_next_generation_carries_kept_segments_and_codes_them_alike(index):
    store = Store(index)
    before = store.view()
    first = _columns(before)
    ids = before.doc_ids(list(range(before.state.total)))
    old = before.state
    assert len(before.leaves) == 2 and old.per_segment
    assert first["dup_count"] < old.total  # copies fold into stories

    writer = LiveWriter(index, lambda: store)
    writer.put([_article(200), _article(9)])  # a new article, and a new version of a copy
    writer.delete("d027")
    apply_pending(index)

    after = store.view()
    assert after.state is not old and len(after.leaves) == 3
    got = _columns(after)
    fresh = Store(index)
    try:
        assert got == _columns(fresh.view())  # what a store opening it afresh builds
        assert after.doc_ids(list(range(after.state.total))) == fresh.view().doc_ids(
            list(range(fresh.view().state.total))
        )
    finally:
        fresh.close()
    kept = [k for k, v in after.state.per_segment.items() if old.per_segment.get(k) is v]
    kinds = {k[2] for k in kept if isinstance(k[0], str)}
    assert {"arrays", "codes", "exact"} <= kinds  # read once, in the first generation
    assert any(k[-1] == "tag_sets" for k in kept)
    assert first != got  # the update shows: d027 gone, d200 there
    live = after.doc_ids(after.state.live_ids.tolist())
    assert live.count("d009") == 1
    assert "d027" in ids and "d027" not in live
    store.close()
