"""Spelling: "did you mean" corrections and completions of the last word typed.

Corrections look first among the `words` field (unstemmed, folded words of each article's
title and lead: the words people search for), then among every word of every body (the body's
stems, shown as a body spells them); completions read the `words` field.
"""

from __future__ import annotations

import re

from searchsvc.engine.ranking import term_docs
from searchsvc.engine.state import View, check_deadline
from searchsvc.text.analysis import STOP_WORDS, fold, index_terms
from searchsvc.text.query import ParsedQuery, completions, last_word
from searchsvc.text.snippets import find_matches

MAX_CORRECTED_WORDS = 3  # corrections are tried only for queries with this many unknown words
MAX_COMPLETION_SCAN = 5000  # lexicon entries looked at for one completion
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
    docs = term_docs(view, "body", stem)
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
    """Return whole query strings completing the last word typed, most frequent words first."""
    split = last_word(prefix)
    if split is None:
        return []
    head, keep, stem = split
    counted = []
    for i, term in enumerate(view.expand_prefix("words", stem)):
        if i >= MAX_COMPLETION_SCAN:
            break
        t = term.decode() if isinstance(term, bytes) else term
        counted.append((view.doc_frequency("words", t), t))
    return completions(head, keep, counted, limit)
