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

import numpy as np

_WS = re.compile(r"\s+")
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
CHUNK = 16_384  # shingles hashed at once: 16,384 x HASHES x 8 bytes = 8 MB


def near_duplicate_key(title: str, body: str) -> str:
    """Return the near-duplicate group key: a hash of the text after folding case and spaces."""
    text = body if len(body) >= 40 else f"{title} {body}"
    norm = _WS.sub(" ", text).strip().casefold()
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _text(title: str, body: str) -> str:
    return body if len(body) >= 200 else f"{title} {body}"


def _min_hashes(shingles: np.ndarray) -> np.ndarray:
    """Return the HASHES minimum hash values over the shingles, a block at a time (a block's
    matrix is CHUNK x HASHES: bounded memory for an article of any length)."""
    values = np.full(HASHES, _MASK, dtype=np.uint64)
    for at in range(0, len(shingles), CHUNK):
        block = shingles[at : at + CHUNK, None]
        np.minimum(values, ((block * _A + _B) & _MASK).min(axis=0), out=values)
    return values


def fingerprint(title: str, body: str) -> bytes:
    """Return the fingerprint of an article's text (EMPTY when it is too short)."""
    text = _text(title, body).casefold().encode("utf-8", "surrogatepass")
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return EMPTY
    h = np.array(list(map(zlib.crc32, words)), dtype=np.uint64)
    shingles = np.unique((h[:-1] * np.uint64(0x9E3779B1) + h[1:]) & _MASK)
    values = _min_hashes(shingles)
    bands = [zlib.crc32(values[b * ROWS : (b + 1) * ROWS].tobytes()) or 1 for b in range(BANDS)]
    bloom = 0
    for number in set(_NUMBER.findall(text)):
        bloom |= 1 << (zlib.crc32(number) % 64)
    return b"".join(
        (
            np.array(bands, dtype="<u4").tobytes(),
            (values & np.uint64(0xFF)).astype(np.uint8).tobytes(),
            np.array([len(shingles)], dtype="<u4").tobytes(),
            np.array([bloom], dtype="<u8").tobytes(),
        )
    )


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
