"""Spelling: "did you mean" corrections and completions of the last word typed.

Corrections look first among the `words` field (unstemmed, folded words of each article's
title and lead: the words people search for), then among every word of every body (the body's
stems, shown as a body spells them); completions read the `words` field.
"""

from __future__ import annotations

import re

import numpy as np

from searchsvc.engine.deadline import check_deadline
from searchsvc.engine.state import View
from searchsvc.engine.termscores import phrase_scores
from searchsvc.engine.w3 import termarrays
from searchsvc.text.analysis import STOP_WORDS, fold, index_terms
from searchsvc.text.query import ParsedQuery, last_word
from searchsvc.text.snippets import find_matches

MAX_CORRECTED_WORDS = 3  # corrections are tried only for queries with this many unknown words
MAX_COMPLETION_SCAN = 5000  # lexicon entries looked at for one completion
SPELLINGS_TRIED = 50  # words looked at to spell a completed stem
TITLE_WEIGHT = 5  # an article holding a completion's words in its title counts this often
PHRASE_CANDIDATES = 3  # candidates (times the limit) checked for standing next to the last word
MAX_CONTEXT_WORDS = 3  # earlier words a completion must stand with
MAX_WORD_CHARS = 30  # longer unknown words are not corrected (an edit-distance walk per letter)
SPELLING_WINDOW = 20_000  # characters of a body searched at a time for a stem's spelling


def _correction(view: View, word: str) -> list[str]:
    """Return the best correction of an unknown word ([] if none), memoised per generation."""
    found = view.state.corrections.get(word)
    if found is None:
        # prefix=1: typos rarely hit the first letter, and it cuts the lexicon walk ~10x.
        found = view.searcher.corrector("words").suggest(word, limit=1, maxdist=2, prefix=1)
        if not found:  # a word from deep inside some article: the bodies' stems, spelt out
            stems = view.searcher.corrector("body").suggest(word, limit=1, maxdist=2, prefix=1)
            found = [w for w in (_spelling(view, s) for s in stems) if w]
        view.state.corrections.put(word, found)
    return found


def _spelling(view: View, stem: str) -> str | None:
    """Return how an article spells a body stem ("pyongyang" for the stem "pyongyang")."""
    docs = view.term_docs("body", stem)
    if not len(docs):
        return None
    body = view.stored(int(docs[0])).get("body") or ""
    for start in range(0, len(body), SPELLING_WINDOW):  # bounded work per window
        window = body[start : start + SPELLING_WINDOW + 100]
        matches = find_matches(window, {stem})
        if matches:
            return window[matches[0].start : matches[0].end].lower()
    return None


def _known(view: View, word: str) -> bool:
    """Return True when a folded word is indexed: in titles and leads, or as a body stem."""
    if view.doc_frequency("words", word):
        return True
    return any(view.doc_frequency(f, s) for s in index_terms(word) for f in ("title", "body"))


def correct(view: View, pq: ParsedQuery) -> str | None:
    """Return the query text with its unknown words corrected, or None if nothing changed."""
    unknown: dict[str, str] = {}
    for group in pq.groups:
        for c in group:
            if c.kind != "word" or c.field in ("author", "source", "tag", "tags"):
                continue
            for word in re.findall(r"\w+", c.text):
                w = fold(word)
                if w in STOP_WORDS or not 3 <= len(w) <= MAX_WORD_CHARS or w.isdigit():
                    continue
                if w in unknown.values():
                    continue
                if not _known(view, w):
                    unknown[word] = w
    # A few unknown words are typos; many are another language or noise, and correcting
    # each would cost a lexicon walk per word while a worker waits.
    if not unknown or len(unknown) > MAX_CORRECTED_WORDS:
        return None
    text, changed = pq.text, False
    for word, w in unknown.items():
        check_deadline()
        cands = _correction(view, w)
        if cands and cands[0] != w:
            text = re.sub(rf"(?i)\b{re.escape(word)}\b", cands[0], text)
            changed = True
    return text if changed else None


def complete(view: View, prefix: str, limit: int = 8) -> list[str]:
    """Return whole queries completing the last word typed, phrase-aware.

    Alone, a word is completed by the words most articles use. After other words, a
    completion must occur in some article together with all of them. Those standing right
    after the last word in some article come first, by how many articles do so, then the
    others by how many articles hold them all; an article doing so in its title counts
    TITLE_WEIGHT times (the phrases of titles come first).
    """
    split = last_word(prefix)
    if split is None:
        return []
    head, keep, stem = split
    earlier = [s for s in index_terms(head)][-MAX_CONTEXT_WORDS:]
    if earlier:
        found = _together(view, earlier, stem, limit)
    else:
        found = [w for _, w in _used_words(view, stem)]
        found = [w for w in found if w not in STOP_WORDS and len(w) > 1][:limit]
    return [f"{head} {keep}{word}".strip() for word in found]


def _used_words(view: View, prefix: str) -> list[tuple[int, str]]:
    """Return (articles, word) of the title-and-lead words starting with prefix, most used first."""
    counted = []
    for i, term in enumerate(view.expand_prefix("words", prefix)):
        if i >= MAX_COMPLETION_SCAN:
            break
        t = term.decode() if isinstance(term, bytes) else term
        counted.append((view.doc_frequency("words", t), t))
    counted.sort(key=lambda c: (-c[0], c[1]))
    return counted


def _together(view: View, earlier: list[str], prefix: str, limit: int) -> list[str]:
    """Return completions standing with every earlier stem in some article."""
    live = view.state.live
    in_title, anywhere = live.copy(), live.copy()
    for s in earlier:
        title, body = view.term_docs("title", s), view.term_docs("body", s)
        mask = np.zeros_like(live)
        mask[title] = True
        in_title &= mask
        mask[body] = True
        anywhere &= mask
    titles = _prefix_counts(view, "title", prefix, in_title)
    bodies = _prefix_counts(view, "body", prefix, anywhere)

    def weight(s: str) -> int:  # articles holding them all; in a title counts TITLE_WEIGHT times
        return TITLE_WEIGHT * titles.get(s, 0) + bodies.get(s, 0)

    stems = sorted(set(titles) | set(bodies), key=lambda s: (-weight(s), s))
    stems = [s for s in stems if s not in earlier]
    adjacent = _following(view, earlier[-1], prefix)
    if adjacent is None:  # a segment without positions: phrase searches for the likeliest
        stems = stems[: PHRASE_CANDIDATES * limit]
        adjacent = {s: _phrase_weight(view, earlier[-1], s) for s in stems}
    stems.sort(key=lambda s: -adjacent.get(s, 0))  # stable: words next to the last first
    out: list[str] = []
    for s in stems:
        word = _spelt(view, s)
        if word and word not in out and word not in STOP_WORDS and s not in earlier:
            out.append(word)
            if len(out) >= limit:
                break
    return out


def _following(view: View, previous: str, prefix: str) -> dict | None:
    """Return {stem: articles with it right after `previous`, a title counting TITLE_WEIGHT}
    for every stem starting with prefix, from the position arrays (None: a segment has none)."""
    low, prev = prefix.encode("utf-8"), previous.encode("utf-8")
    out: dict[str, int] = {}
    for segment in view.state.segments:
        for field, weight in (("title", TITLE_WEIGHT), ("body", 1)):
            arrays = segment.arrays.get(field)
            if arrays is None:
                return None
            lo, hi = (int(x) for x in np.searchsorted(arrays.terms, [low, low + b"\xff"]))
            got = termarrays.following(arrays, prev, lo, hi, view.state.live[segment.offset :])
            if got is None:
                return None
            for k in np.flatnonzero(got).tolist():
                term = arrays.terms[lo + k].decode("utf-8")
                out[term] = out.get(term, 0) + weight * int(got[k])
    return out


def _phrase_weight(view: View, previous: str, stem: str) -> int:
    """Return how many articles have the two stems side by side (a title counting more)."""
    check_deadline()
    title = phrase_scores(view, ("title",), (previous, stem))[0]
    body = phrase_scores(view, ("body",), (previous, stem))[0]
    return TITLE_WEIGHT * len(title) + len(body)


def _prefix_counts(view: View, field: str, prefix: str, docs: np.ndarray) -> dict:
    """Return {stem: documents among `docs` holding it} for the stems starting with prefix.

    From the term arrays in bulk; a segment without them (Whoosh's own writer) makes the
    whole count go term by term through the lexicon (at most MAX_COMPLETION_SCAN terms).
    """
    if any(s.arrays.get(field) is None for s in view.state.segments):
        counts = {}
        for i, term in enumerate(view.expand_prefix(field, prefix)):
            if i >= MAX_COMPLETION_SCAN:
                break
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            held = int(np.count_nonzero(docs[view.term_docs(field, text)]))
            if held:
                counts[text] = held
        return counts
    low = prefix.encode("utf-8")
    counts: dict[str, int] = {}
    for segment in view.state.segments:
        arrays = segment.arrays[field]
        lo, hi = (int(x) for x in np.searchsorted(arrays.terms, [low, low + b"\xff"]))
        if lo == hi:
            continue
        starts = arrays.starts[lo : hi + 1]
        owner = np.repeat(np.arange(hi - lo), np.diff(starts))
        held = docs[arrays.docs[starts[0] : starts[-1]] + segment.offset]
        got = np.bincount(owner[held], minlength=hi - lo)
        for k in np.flatnonzero(got).tolist():
            term = arrays.terms[lo + k].decode("utf-8")
            counts[term] = counts.get(term, 0) + int(got[k])
    return counts


def _spelt(view: View, stem: str) -> str | None:
    """Return the commonest title-and-lead word with this stem (the stem itself if none)."""
    for _, word in _used_words(view, stem[: max(1, len(stem) - 1)])[:SPELLINGS_TRIED]:
        if index_terms(word) == [stem]:
            return word
    return stem if stem.isalpha() else None
