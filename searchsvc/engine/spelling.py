"""Spelling: "did you mean" corrections and completions of the last word typed.

Both read the `words` field: unstemmed, folded words of each article's title and lead.
"""

from __future__ import annotations

import re

from searchsvc.engine.state import View, check_deadline
from searchsvc.text.analysis import STOP_WORDS, fold
from searchsvc.text.query import ParsedQuery, completions, last_word

MAX_CORRECTED_WORDS = 3  # corrections are tried only for queries with this many unknown words
MAX_COMPLETION_SCAN = 5000  # lexicon entries looked at for one completion
MAX_WORD_CHARS = 30  # longer unknown words are not corrected (an edit-distance walk per letter)


def _correction(view: View, word: str) -> list[str]:
    """Return the corrector's best suggestion for word, memoised per generation."""
    found = view.state.corrections.get(word)
    if found is None:
        # prefix=1: typos rarely hit the first letter, and it cuts the lexicon walk ~10x.
        corrector = view.searcher.corrector("words")
        found = corrector.suggest(word, limit=1, maxdist=2, prefix=1)
        view.state.corrections.put(word, found)
    return found


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
                if view.doc_frequency("words", w) == 0:
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
