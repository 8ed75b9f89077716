"""The ranking model, backend-neutral: BM25F, proximity, RM3 feedback and keyword tiers.

Every number of the ranking lives here, and both backends rank with these functions. The
values are standard ones, chosen leave-one-collection-out over four test collections
(`bench/relevance.py --loo`, README "Relevance"):

- **BM25F** over title and body: each field's term frequency, length-normalised with its own
  b and multiplied by its weight, is summed into one pseudo-frequency that saturates once (K1):
  a word in the title and the body is one strong match, not two independent ones. Lucene's IDF.
- **Proximity**, a bounded boost: the PROXIMITY_TOP best documents get, per pair of neighbouring
  query words, PROXIMITY_WEIGHT times a BM25 saturation of how closely the pair stands (sum of
  1/distance within PROXIMITY_WINDOW words) times the pair's idf (its words' idfs summed).
- **RM3 pseudo-relevance feedback** from FEEDBACK_FROM query words on: the best FEEDBACK_DOCS
  documents of the first pass, weighted by exp(score - best), give a term distribution; its
  FEEDBACK_TERMS strongest terms (times IDF, found in 2+ of those documents) are added with
  weight 1 - FEEDBACK_ORIGINAL. Feedback re-ranks the FEEDBACK_RERANK best matches; it never adds
  documents, and needs more than 2 * FEEDBACK_DOCS matches.
- **Tiers** for keyword queries (up to SHORT_QUERY groups): documents matching more of the
  words always rank first (a product rule: "oil price" shows the stories with both first).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from searchsvc.text.analysis import index_terms

K1 = 0.9
FIELDS = {"title": (2.0, 0.5), "body": (1.0, 0.75)}  # field: (weight, b)
TEXT_FIELDS = tuple(FIELDS)
SHORT_QUERY = 2  # up to this many groups, docs matching more of them always rank first
LONG_QUERY = 8  # from this many groups on, very common groups only add to rarer groups' docs
COMMON_FRACTION = 0.1  # "very common": in more than this fraction of the documents
FEEDBACK_FROM = 3  # groups: one- and two-word queries skip feedback (cost, see README)
FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 20
FEEDBACK_ORIGINAL = 0.5
FEEDBACK_RERANK = 1000  # first-pass documents RM3 re-ranks (the rest follow, in first-pass order)
PROXIMITY_WEIGHT = 0.1  # share of a pair's BM25 score given for its words standing close
PROXIMITY_WINDOW = 5  # word distance (stop words removed) up to which a pair counts as close
PROXIMITY_TOP = 100  # candidates re-ranked by proximity (the best by the other scores)
PROXIMITY_MAX_GROUPS = 12  # queries with more groups get no proximity boost (cost)


def idf(df: int, total: int) -> float:
    """Return the BM25 (Lucene) inverse document frequency of a term in df of total documents."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def field_part(tf: np.ndarray, length: np.ndarray, avg: float, field: str) -> np.ndarray:
    """Return one field's share of the BM25F pseudo-frequency: weight * tf / length norm."""
    weight, b = FIELDS[field]
    return tf / ((1 - b) / weight + b / (avg or 1.0) / weight * length)


def saturate(x: np.ndarray, df: int, total: int) -> np.ndarray:
    """Return BM25F scores of summed pseudo-frequencies x for a term in df of total documents."""
    return idf(df, max(1, total)) * (K1 + 1) * x / (K1 + x)


def tiered(final: np.ndarray, matched_groups: np.ndarray, groups: int) -> np.ndarray:
    """Return the final scores of a keyword query: documents matching more groups first."""
    if groups > SHORT_QUERY:
        return final
    return (1 if groups == 1 else matched_groups) + final / (final + 10.0)


def feedback_terms(
    docs: Iterable[tuple[float, str]], doc_frequency: Callable[[str], int], total: int
) -> list[tuple[str, float]]:
    """Return RM3 expansion terms with weights summing to 1.

    `docs`: (first-pass score, title and body text) of the best documents, best first (at most
    FEEDBACK_DOCS are used); `doc_frequency(term)`: in how many documents a term occurs.
    """
    counted = [(score, Counter(index_terms(text))) for score, text in list(docs)[:FEEDBACK_DOCS]]
    return feedback_from_counts(counted, doc_frequency, total)


def feedback_candidates(docs: Iterable[tuple[float, Counter]]) -> list[str]:
    """Return the terms whose document frequency `feedback_from_counts` will ask for."""
    seen: Counter = Counter()
    for _, counts in list(docs)[:FEEDBACK_DOCS]:
        seen.update(counts.keys())
    return [t for t, n in seen.items() if n >= 2 and not t.isdigit()]


def feedback_from_counts(
    docs: Iterable[tuple[float, Counter]], doc_frequency: Callable[[str], int], total: int
) -> list[tuple[str, float]]:
    """Return RM3 expansion terms as `feedback_terms`, from each document's term counts.

    `docs`: (first-pass score, Counter of the terms of its title and body) of the best
    documents, best first; for a backend that stores term counts instead of re-analysing text.
    """
    docs = list(docs)[:FEEDBACK_DOCS]
    if not docs:
        return []
    best = docs[0][0]
    weights = [math.exp(score - best) for score, _ in docs]
    norm = sum(weights)
    model: dict[str, float] = {}  # plain dicts: a Counter's missing key is a Python call
    seen: dict[str, int] = {}
    at, times = model.get, seen.get
    for w, (_, counts) in zip(weights, docs, strict=True):
        length = sum(counts.values())
        for t, c in counts.items():
            model[t] = at(t, 0) + c * w / norm / length
            seen[t] = times(t, 0) + 1
    weighted = Counter(
        {
            t: p * idf(doc_frequency(t), total)
            for t, p in model.items()
            if seen[t] >= 2 and not t.isdigit()
        }
    )
    chosen = weighted.most_common(FEEDBACK_TERMS)
    norm = sum(w for _, w in chosen) or 1.0
    return [(t, w / norm) for t, w in chosen if w > 0]


def pair_frequency(left: list[int], right: list[int]) -> float:
    """Return how closely two words stand in one field: the sum of 1/distance over left's
    occurrences (each to its nearest right occurrence within PROXIMITY_WINDOW words).

    Positions are short sorted lists, so plain bisect beats numpy's per-call overhead here."""
    if not len(left) or not len(right):
        return 0.0
    total, n = 0.0, len(right)
    for p in left:
        i = bisect.bisect_left(right, p)
        best = PROXIMITY_WINDOW + 1
        for j in (i - 1, i):
            if 0 <= j < n:
                d = abs(right[j] - p)
                if 0 < d < best:
                    best = d
        if best <= PROXIMITY_WINDOW:
            total += 1.0 / best
    return total


def pair_frequencies(left: np.ndarray, right: np.ndarray, docs: int) -> np.ndarray:
    """Return `pair_frequency` of many documents at once (the same sums, in the same order).

    `left`, `right`: sorted int64 keys `document << 32 | position` of the two words' occurrences,
    documents numbered 0..docs-1; returns one frequency per document.
    """
    if not len(left) or not len(right):
        return np.zeros(docs)
    at = np.searchsorted(right, left)
    best = np.full(len(left), PROXIMITY_WINDOW + 1, dtype=np.int64)
    for j in (at - 1, at):
        ok = (j >= 0) & (j < len(right))
        other = right[np.where(ok, j, 0)]
        d = np.abs((other & 0xFFFFFFFF) - (left & 0xFFFFFFFF))
        ok &= ((other >> 32) == (left >> 32)) & (d > 0) & (d < best)
        best = np.where(ok, d, best)
    near = best <= PROXIMITY_WINDOW
    return np.bincount(left[near] >> 32, weights=1.0 / best[near], minlength=docs)


def proximity_boosts(pair_freqs: list[tuple[np.ndarray, float]], docs: int) -> np.ndarray:
    """Return `proximity_boost` of many documents at once, from per pair (frequencies, idf)."""
    out = np.zeros(docs)
    for x, w in pair_freqs:
        out = out + np.where(x > 0, PROXIMITY_WEIGHT * w * (K1 + 1) * x / (K1 + x), 0.0)
    return out


def proximity_boost(pair_freqs: Iterable[tuple[float, float]]) -> float:
    """Return the proximity boost of a document: per query pair (weighted pair frequency, idf),
    PROXIMITY_WEIGHT times a BM25 saturation of the frequency, times the pair's idf (the sum of
    its words' idfs, as Lucene's phrase query has it)."""
    return sum(PROXIMITY_WEIGHT * w * (K1 + 1) * x / (K1 + x) for x, w in pair_freqs if x > 0)


def document_proximity(
    pairs: list[tuple[str, str]],
    positions: dict[str, dict[str, list[int]]],
    idf: dict[str, float],
) -> float:
    """Return one document's proximity boost, for any backend.

    `pairs`: neighbouring query words; `positions`: {field: {term: word positions}} of the
    document (stop words removed, as indexed); `idf`: each word's idf. A field's pair frequency
    counts with the field's weight; the pair's idf is its words' idfs summed.
    """
    freqs = []
    for a, b in pairs:
        x = sum(
            FIELDS[f][0] * pair_frequency(found.get(a, []), found.get(b, []))
            for f, found in positions.items()
        )
        freqs.append((x, idf[a] + idf[b]))
    return proximity_boost(freqs)


def stem_positions(stems: str) -> dict[str, list[int]]:
    """Return {term: positions} of a field kept as its analysed terms joined by spaces."""
    out: dict[str, list[int]] = {}
    for i, term in enumerate(stems.split()):
        out.setdefault(term, []).append(i)
    return out


def query_pairs(groups) -> list[tuple[str, str]]:
    """Return the neighbouring single-word groups of a query, in query order, each pair once
    (groups of either backend's plan: `leaves` with `kind`, `fields` and `terms`)."""
    words = []
    for g in groups:
        leaf = g.leaves[0]
        single = len(g.leaves) == 1 and leaf.kind == "term" and leaf.fields == TEXT_FIELDS
        words.append(leaf.terms[0] if single else None)
    pairs = itertools.pairwise(words)
    return list(dict.fromkeys((a, b) for a, b in pairs if a and b and a != b))
