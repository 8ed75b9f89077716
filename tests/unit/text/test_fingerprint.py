"""Fingerprints computed a batch at a time are the per-article definition, byte for byte."""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.text import fingerprint as fp
from searchsvc.text.fingerprint import EMPTY, fingerprint, fingerprints, near_duplicate_key


def reference(title: str, body: str) -> bytes:
    """The fingerprint as first written: one article, uint64 arithmetic, np.unique."""
    text = (body if len(body) >= 200 else f"{title} {body}").casefold()
    raw = text.encode("utf-8", "surrogatepass")
    words = re.findall(rb"\w+", raw)
    if len(words) < fp.MIN_WORDS:
        return EMPTY
    h = np.array(list(map(zlib.crc32, words)), dtype=np.uint64)
    shingles = np.unique((h[:-1] * np.uint64(0x9E3779B1) + h[1:]) & fp._MASK)
    values = ((shingles[:, None] * fp._A + fp._B) & fp._MASK).min(axis=0)
    bands = [
        zlib.crc32(values[b * fp.ROWS : (b + 1) * fp.ROWS].tobytes()) or 1 for b in range(fp.BANDS)
    ]
    bloom = 0
    for number in set(re.findall(rb"\d[\d.,]*", raw)):
        bloom |= 1 << (zlib.crc32(number) % 64)
    return b"".join(
        (
            np.array(bands, dtype="<u4").tobytes(),
            (values & np.uint64(0xFF)).astype(np.uint8).tobytes(),
            np.array([len(shingles)], dtype="<u4").tobytes(),
            np.array([bloom], dtype="<u8").tobytes(),
        )
    )


WORDS = ["oil", "Price", "rose", "4.5", "1,200", "café", "MARKETS", "the", "x", "2026", "é"]
texts = st.lists(st.sampled_from(WORDS), max_size=80).map(" ".join)
articles = st.lists(st.tuples(st.sampled_from(["", "Oil 7", "Bank"]), texts), max_size=12)


@settings(max_examples=150, deadline=None)
@given(articles)
def test_a_batch_gives_each_articles_own_fingerprint(batch):
    assert fingerprints(batch) == [reference(t, b) for t, b in batch]


@settings(max_examples=30, deadline=None)
@given(articles, st.integers(1, 40))
def test_any_block_size_gives_the_same_fingerprints(batch, chunk):
    want = [reference(t, b) for t, b in batch]
    saved = fp.CHUNK
    fp.CHUNK = chunk  # blocks that split articles: minima carried across blocks
    try:
        assert fingerprints(batch) == want
    finally:
        fp.CHUNK = saved


def test_known_fingerprint_is_unchanged():
    """A stored index's fingerprints must keep matching new ones: pinned by a digest."""
    body = "The central bank kept its rate at 4.5 percent on Tuesday, citing slower inflation. " * 3
    got = fingerprint("Rates", body)
    assert got == reference("Rates", body)
    assert hashlib.sha256(got).hexdigest()[:16] == KNOWN
    assert fingerprints([]) == []
    assert fingerprints([("", "too short")]) == [EMPTY]


def reference_key(title: str, body: str) -> str:
    """The exact-copy key as first written: spaces folded by a regular expression."""
    text = body if len(body) >= 40 else f"{title} {body}"
    norm = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


SPACES = [chr(c) for c in range(0x110000) if re.match(r"\s", chr(c))]  # 29 code points
spaced = st.lists(
    st.one_of(st.sampled_from(SPACES), st.sampled_from(WORDS), st.text()), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(spaced, spaced)
def test_the_exact_key_folds_every_kind_of_space_as_before(title, body):
    title, body = "".join(title), "".join(body)
    assert near_duplicate_key(title, body) == reference_key(title, body)
    assert near_duplicate_key(title, body * 40) == reference_key(title, body * 40)


KNOWN = "610349fc86fc25a8"  # computed by the code of 7 December (before batches)
