"""Copies of one story: an exact key, and a MinHash fingerprint that survives small edits.

Wire services resend a story with a spelling changed, a sentence added or a new lead; such
copies should fold into one result. Each article gets:

- `near_duplicate_key`: a hash of its text after folding case and spaces (exact copies);
- `fingerprint`: MinHash over its word pairs (2-shingles): HASHES values kept as BANDS band
  keys (locality-sensitive hashing: texts whose shingle sets have Jaccard resemblance J share a
  band with probability 1 - (1 - J^ROWS)^BANDS: 0.99 at J = 0.6, 0.64 at 0.4) plus the low
  byte of every value, the number of shingles, and a 64-bit Bloom filter of its numbers.

Two texts are copies when the shorter one's word pairs lie at least CONTAINMENT (0.9) within
the longer one (estimated from the MinHash resemblance and the two sizes: a re-lead or an
added paragraph keeps the old text inside the new one), and every number of the shorter one
occurs in the longer one (template reports that differ only in their figures are different
news). Texts under MIN_WORDS words get no fingerprint; they fold only when exactly equal.
The thresholds come from measured pairs of Reuters and BBC (docs/architecture.md).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from itertools import chain

import numpy as np

_WORD = re.compile(rb"\w+")  # on UTF-8 bytes: ASCII word runs (a fingerprint needs no more)
_NUMBER = re.compile(rb"\d[\d.,]*")

SHINGLE = 2  # words per shingle
HASHES = 64
BANDS, ROWS = 16, 4  # BANDS * ROWS == HASHES
MIN_WORDS = 12
CONTAINMENT = 0.9
_BANDS_END = BANDS * 4
_VALUES_END = _BANDS_END + HASHES
FINGERPRINT_BYTES = _VALUES_END + 4 + 8  # band keys, value bytes, shingle count, number bloom
EMPTY = bytes(FINGERPRINT_BYTES)
_rng = np.random.default_rng(20261206)  # fixed: fingerprints must agree across runs
_A = _rng.integers(1, 2**32, HASHES, dtype=np.uint64) | 1  # odd multipliers
_B = _rng.integers(0, 2**32, HASHES, dtype=np.uint64)
_MASK = np.uint64(0xFFFFFFFF)
_A32, _B32 = _A.astype(np.uint32), _B.astype(np.uint32)  # low 32 bits: see _min_hashes
CHUNK = 16_384  # shingles hashed at once: HASHES x 16,384 x 4 bytes = 4 MB


def near_duplicate_key(title: str, body: str) -> str:
    """Return the near-duplicate group key: a hash of the text after folding case and spaces."""
    text = body if len(body) >= 40 else f"{title} {body}"
    norm = " ".join(text.split()).casefold()  # split() breaks at exactly re's \s: same key
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _text(title: str, body: str) -> str:
    return body if len(body) >= 200 else f"{title} {body}"


def _min_hashes(shingles: np.ndarray, doc: np.ndarray, n: int) -> np.ndarray:
    """Return the HASHES minimum hash values of each of n documents over its shingles (`doc`:
    ascending owner of each), a block at a time (HASHES x CHUNK: bounded memory).

    Only the low 32 bits of shingle * a + b are kept, so uint32 arithmetic (wrapping) gives the
    same values as uint64 at half the memory traffic; a hash per row makes the minima per
    document contiguous reductions.
    """
    values = np.full((n, HASHES), _MASK, dtype=np.uint64)
    for at in range(0, len(shingles), CHUNK):
        owner = doc[at : at + CHUNK]
        hashed = _A32[:, None] * shingles[at : at + CHUNK].astype(np.uint32)[None, :]
        hashed += _B32[:, None]
        cut = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        rows = owner[cut]
        values[rows] = np.minimum(values[rows], np.minimum.reduceat(hashed, cut, axis=1).T)
    return values


def _numbers(texts: list[bytes]) -> np.ndarray:
    """Return the 64-bit Bloom filter of the numbers in each text."""
    found = [_NUMBER.findall(t) for t in texts]
    sizes = np.array([len(f) for f in found], dtype=np.int64)
    crcs = np.fromiter(map(zlib.crc32, chain.from_iterable(found)), np.uint64, int(sizes.sum()))
    bits = np.left_shift(np.uint64(1), crcs % np.uint64(64))
    blooms = np.zeros(len(texts), dtype="<u8")
    some = sizes > 0
    if some.any():
        blooms[some] = np.bitwise_or.reduceat(bits, (np.cumsum(sizes) - sizes)[some])
    return blooms


def fingerprint(title: str, body: str) -> bytes:
    """Return the fingerprint of an article's text (EMPTY when it is too short)."""
    return fingerprints([(title, body)])[0]


def fingerprints(articles: list[tuple[str, str]]) -> list[bytes]:
    """Return the fingerprint of each (title, body), computed together: one hash pass and one
    sort over the batch's word pairs instead of a dozen numpy calls per article."""
    out = [EMPTY] * len(articles)
    texts, words, kept = [], [], []
    for k, (title, body) in enumerate(articles):
        text = _text(title, body).casefold().encode("utf-8", "surrogatepass")
        found = _WORD.findall(text)
        if len(found) >= MIN_WORDS:
            kept.append(k)
            texts.append(text)
            words.append(found)
    if not kept:
        return out
    sizes = np.array([len(w) for w in words], dtype=np.int64)
    h = np.fromiter(map(zlib.crc32, chain.from_iterable(words)), np.uint64, int(sizes.sum()))
    del words  # in place from here on: an 18 MB article must not cost several copies
    keys = h[:-1] * np.uint64(0x9E3779B1)  # word pairs (across articles too, dropped below)
    keys += h[1:]
    keys &= _MASK
    keys |= np.repeat(np.arange(len(kept), dtype=np.uint64), sizes)[:-1] << np.uint64(32)
    del h
    within = np.ones(len(keys), dtype=bool)
    within[np.cumsum(sizes)[:-1] - 1] = False  # an article's last word pairs with no next one
    keys = np.sort(keys[within])  # by article, then pair
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # distinct word pairs, by article
    shingles, doc = keys & _MASK, (keys >> np.uint64(32)).astype(np.int64)
    counts = np.bincount(doc, minlength=len(kept))  # every kept article has 11 pairs or more
    values = _min_hashes(shingles, doc, len(kept))
    raw = memoryview(values.tobytes())  # a band key hashes its ROWS values' native bytes
    step = ROWS * values.itemsize
    bands = [zlib.crc32(raw[i : i + step]) or 1 for i in range(0, len(raw), step)]
    rows = np.concatenate(
        (
            np.array(bands, dtype="<u4").reshape(-1, BANDS).view(np.uint8),
            (values & np.uint64(0xFF)).astype(np.uint8),
            counts.astype("<u4")[:, None].view(np.uint8),
            _numbers(texts)[:, None].view(np.uint8),
        ),
        axis=1,
    )
    for r, k in enumerate(kept):
        out[k] = rows[r].tobytes()
    return out


def _parts(fingerprints: np.ndarray):
    """Return (band keys, value bytes, shingle counts, number blooms) of fingerprint rows."""
    f = np.ascontiguousarray(fingerprints)
    bands = f[:, :_BANDS_END].copy().view("<u4")
    values = f[:, _BANDS_END:_VALUES_END]
    sizes = f[:, _VALUES_END : _VALUES_END + 4].copy().view("<u4")[:, 0].astype(np.float64)
    blooms = f[:, _VALUES_END + 4 :].copy().view("<u8")[:, 0]
    return bands, values, sizes, blooms


def containment(fingerprints: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Return the estimated containment of the shorter text in the longer for row pairs."""
    _, values, sizes, _ = _parts(fingerprints)
    agree = np.count_nonzero(values[i] == values[j], axis=1) / HASHES
    jac = np.clip((agree - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)  # 1-byte minwise hashing
    a, b = sizes[i], sizes[j]
    return jac * (a + b) / ((1 + jac) * np.minimum(a, b))


def copies(fingerprints: np.ndarray) -> list[tuple[int, int]]:
    """Return the pairs (i, j), i < j, of rows whose texts are copies of one story.

    `fingerprints`: one FINGERPRINT_BYTES row per document (EMPTY rows never match). Candidate
    pairs share a band key; each is confirmed by containment and numbers.
    """
    if len(fingerprints) < 2:
        return []
    bands, _, sizes, blooms = _parts(fingerprints)
    pairs: set[tuple[int, int]] = set()
    for b in range(BANDS):
        keys = bands[:, b]
        order = np.argsort(keys, kind="stable")
        ranked = keys[order]
        same = np.flatnonzero((ranked[1:] == ranked[:-1]) & (ranked[1:] != 0))
        pairs.update(zip(order[same].tolist(), order[same + 1].tolist(), strict=True))
    if not pairs:
        return []
    cand = np.array(sorted((min(p), max(p)) for p in pairs), dtype=np.int64)
    i, j = cand[:, 0], cand[:, 1]
    short = np.where(sizes[i] <= sizes[j], i, j)
    long = np.where(sizes[i] <= sizes[j], j, i)
    numbers_within = (blooms[short] & ~blooms[long]) == 0
    keep = (containment(fingerprints, i, j) >= CONTAINMENT) & numbers_within
    return [(int(x), int(y)) for x, y in cand[keep].tolist()]


def stories(exact: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Return a story label per document (0..k-1): same exact-key code, or linked by a pair.

    `exact`: an int code per document (equal for exact copies); `pairs`: copy pairs.
    """
    _, first, inverse = np.unique(exact, return_index=True, return_inverse=True)
    parent = first[inverse]  # every document points at the first of its exact copies
    for i, j in pairs:  # union, by the smaller root
        a, b = i, j
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
    while True:  # point every document straight at its root
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        parent = grand
    return np.unique(parent, return_inverse=True)[1].astype(np.int32)
