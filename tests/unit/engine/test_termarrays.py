"""Term arrays beside segments and the zero-copy segment maps give what Whoosh's own reads give.

A real two-segment index on disk with a deletion; its term arrays are written by decoding the
segments (the path a bulk writer shortcuts), then every ranked term is compared three ways.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np
import pytest
import whoosh.index
from segments import write_segments

from searchsvc.engine import termscores
from searchsvc.engine.generations import read_current
from searchsvc.engine.indexer import index_corpus
from searchsvc.engine.state import ReaderState, View
from searchsvc.engine.w3 import segments, termarrays
from searchsvc.engine.w3.mapped import MappedStorage
from searchsvc.model import Article
from searchsvc.text import scoring

WORDS = ["oil", "price", "crude", "wheat", "grain", "export", "bank", "rate"]
LONG = "x" * (termarrays.MAX_TERM_BYTES + 5)


def _article(i: int) -> Article:
    words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 2 + i % 7))
    extra = f" {LONG}" if i % 4 == 0 else ""
    return Article(f"d{i:03d}", f"{WORDS[i % len(WORDS)].title()} news {i}", f"{words}.{extra}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("arrays")
    write_segments(
        folder, [map(_article, range(30)), map(_article, range(30, 70))], ["d033", "d004"]
    )
    return folder


def _bm25f(searcher, text: str):
    """Return (ids, scores) of a term over title and body, read through a fresh ReaderState."""
    view = View(ReaderState("test", searcher), searcher)
    return termscores._bm25f_all(view, text, scoring.TEXT_FIELDS)


def _scores(folder: Path, text: str) -> tuple[list, list]:
    ix = MappedStorage(str(folder)).open_index()
    with ix.searcher() as s:
        ids, scores = _bm25f(s, text)
        return ids.tolist(), scores.tolist()


def _assert_arrays_match_postings(folder: Path) -> int:
    """Compare every ranked term's arrays with Whoosh's postings; return the segments checked."""
    ix = whoosh.index.open_dir(str(folder))
    with ix.reader() as r:
        leaves = [leaf for leaf, _ in r.leaf_readers()]
        for leaf in leaves:
            for field in termarrays.FIELDS:
                folder, sid = segments.segment_folder(leaf), segments.segment_id(leaf)
                arrays = termarrays.open_arrays(folder, sid, field)
                assert arrays is not None, f"{leaf.segment().segment_id()} has no {field} arrays"
                for tbytes in leaf.lexicon(field):
                    got = arrays.postings(tbytes)
                    if len(tbytes) > termarrays.MAX_TERM_BYTES:
                        assert got is None
                        continue
                    m = segments.term_matcher(leaf, field, tbytes)
                    ids, weights, positions, per_doc = [], [], [], {}
                    while m.is_active():  # deleted documents included, as stored
                        ids.append(m.id())
                        weights.append(m.weight())
                        per_doc[m.id()] = list(m.value_as("positions"))
                        positions += per_doc[m.id()]
                        m.next()
                    _assert_positions_of(arrays, tbytes, per_doc, leaf.doc_count_all())
                    assert got[0].tolist() == ids and got[1].tolist() == weights
                    docs, freq, pos = termarrays.term_positions(arrays, tbytes)
                    assert docs.tolist() == ids and freq.tolist() == weights
                    assert pos.tolist() == positions
                assert arrays.postings(b"nosuchterm")[0].tolist() == []
        return len(leaves)


def _assert_positions_of(arrays, tbytes: bytes, per_doc: dict, count: int) -> None:
    """positions_of gives Whoosh's positions of the documents asked for, and only theirs,
    with the weights as written (float32 sums) and widened to float64 (its other path)."""
    held, narrow = sorted(per_doc), arrays.weights
    for arrays.weights in (narrow, narrow.astype(np.float64)):
        for docs in (list(range(count)), held[::2], held[1::2], held[-1:], [count], []):
            k, freq, pos = termarrays.positions_of(arrays, tbytes, np.array(docs, dtype=np.int64))
            hit = [i for i, d in enumerate(docs) if d in per_doc]
            assert k.tolist() == hit
            assert freq.tolist() == [len(per_doc[docs[i]]) for i in hit]
            assert pos.tolist() == [p for i in hit for p in per_doc[docs[i]]]
    arrays.weights = narrow


def test_arrays_hold_every_posting_of_the_segment(folder):
    ix = whoosh.index.open_dir(str(folder))
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers():
            termarrays.write_segment(leaf, folder)
    assert _assert_arrays_match_postings(folder) == 2


def test_the_indexer_writes_arrays_for_its_segments(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for i in range(12):
        a = _article(i)
        (corpus / f"{i:02d}.txt").write_text(f"{a.title}\n\n{a.body}\n", encoding="utf-8")
    index_corpus(corpus, index)
    assert _assert_arrays_match_postings(index / read_current(index)) == 1
    (corpus / "20.txt").write_text("Wheat export\n\nwheat grain export news.\n", encoding="utf-8")
    (corpus / "03.txt").unlink()
    index_corpus(corpus, index)  # an update: the old segment (one deletion) plus a new one
    gen = index / read_current(index)
    assert _assert_arrays_match_postings(gen) == 2
    names = {p.name.split(".")[0] for p in gen.glob("*.npy")}
    assert names == {p.stem for p in gen.glob("*.seg")}  # no arrays without their segment


def test_phrases_from_the_position_arrays_are_whooshs(folder, tmp_path):
    ix = whoosh.index.open_dir(str(folder))
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers():
            termarrays.write_segment(leaf, folder)
    plain = tmp_path / "plain"
    plain.mkdir()
    for p in folder.iterdir():
        if not p.name.endswith(".npy"):
            os.link(p, plain / p.name)
    phrases = [("oil", "price"), ("price", "crude"), ("news", "0"), ("price", "crude", "wheat")]
    hits = 0
    for words in phrases:
        found = []
        for where in (folder, plain):  # position arrays, then Whoosh's phrase matcher
            with MappedStorage(str(where)).open_index().searcher() as s:
                view = View(ReaderState("test", s), s)
                ids, scores = termscores.phrase_scores(view, scoring.TEXT_FIELDS, words)
                found.append((ids.tolist(), scores.round(12).tolist()))
        assert found[0] == found[1]
        hits += len(found[0][0])
    assert hits  # some of the phrases are there


@pytest.mark.parametrize("text", ["oil", "price", "news", "d", "7", LONG, "nosuchterm"])
def test_scores_are_the_same_with_and_without_arrays(folder, tmp_path, text):
    ix = whoosh.index.open_dir(str(folder))
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers():
            termarrays.write_segment(leaf, folder)
    with_arrays = _scores(folder, text)
    plain = tmp_path / "plain"
    plain.mkdir()
    for p in folder.iterdir():
        if not p.name.endswith(".npy"):
            os.link(p, plain / p.name)
    without = _scores(plain, text)
    assert with_arrays == without
    assert not any(d in with_arrays[0] for d in (4, 33))  # deleted documents never score


def test_mapped_storage_reads_like_whoosh_from_views_of_the_map(folder):
    plain = whoosh.index.open_dir(str(folder))
    mapped = MappedStorage(str(folder)).open_index()
    with plain.searcher() as a, mapped.searcher() as b:
        assert [a.stored_fields(d) for d in a.reader().all_doc_ids()] == [
            b.stored_fields(d) for d in b.reader().all_doc_ids()
        ]
        for field in ("title", "body", "id"):
            assert list(a.reader().lexicon(field)) == list(b.reader().lexicon(field))
        for leaf, _ in b.reader().leaf_readers():  # every part is a view of the map, no copy
            f = leaf._storage.open_file(leaf.segment().make_filename(".pst"))
            assert isinstance(f._buf, memoryview) and isinstance(f._buf.obj, mmap.mmap)
        np.testing.assert_array_equal(
            _bm25f(a, "oil")[1],
            _bm25f(b, "oil")[1],
        )
