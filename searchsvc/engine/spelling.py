"""Spelling: "did you mean" corrections and completions of the last word typed.

Both read the `words` field: unstemmed, folded words of each article's title and lead.
"""

from __future__ import annotations

import re

from searchsvc.text.analysis import STOP_WORDS, fold

CORRECTION_CACHE = 20_000  # misspelt words whose correction is remembered per generation
MAX_CORRECTED_WORDS = 3  # corrections are tried only for queries with this many unknown words
MAX_COMPLETION_SCAN = 5000  # lexicon entries looked at for one completion


def _corrections(reader, corrector, word: str) -> list[str]:
    """Return the corrector's best suggestion for word, memoised per reader (per generation)."""
    cache = reader.__dict__.setdefault("_searchsvc_corrections", {})
    if word not in cache:
        if len(cache) >= CORRECTION_CACHE:
            cache.clear()
        # prefix=1: typos rarely hit the first letter, and it cuts the lexicon walk ~10x.
        cache[word] = corrector.suggest(word, limit=1, maxdist=2, prefix=1)
    return cache[word]


def correct(searcher, pq) -> str | None:
    """Return the query text with its unknown words corrected, or None if nothing changed."""
    reader = searcher.reader()
    unknown: dict[str, str] = {}
    for group in pq.groups:
        for c in group:
            if c.kind != "word" or c.field in ("author", "source", "tag", "tags"):
                continue
            for word in re.findall(r"\w+", c.text):
                w = fold(word)
                if w in STOP_WORDS or len(w) < 3 or w.isdigit() or w in unknown.values():
                    continue
                if reader.doc_frequency("words", w) == 0:
                    unknown[word] = w
    # A few unknown words are typos; many are another language or noise, and correcting
    # each would cost a lexicon walk per word while a worker waits.
    if not unknown or len(unknown) > MAX_CORRECTED_WORDS:
        return None
    corrector = searcher.corrector("words")
    text, changed = pq.text, False
    for word, w in unknown.items():
        cands = _corrections(reader, corrector, w)
        if cands and cands[0] != w:
            text = re.sub(rf"(?i)\b{re.escape(word)}\b", cands[0], text)
            changed = True
    return text if changed else None


def last_word(prefix: str) -> tuple[str, str, str] | None:
    """Split typed text into (earlier words, leading quote or minus, folded last word), or None."""
    if not prefix or prefix[-1].isspace():
        return None
    head, _, last = prefix.rpartition(" ")
    stem = fold(last).lstrip("-\"'(")
    if not stem or not re.fullmatch(r"\w+", stem):
        return None
    return head, last[: len(last) - len(last.lstrip("-\"'("))], stem


def completions(head: str, keep: str, counted: list[tuple[int, str]], limit: int) -> list[str]:
    """Return whole query strings for (frequency, word) candidates, most frequent first."""
    words = sorted((c for c in counted if c[1] not in STOP_WORDS and len(c[1]) > 1),
                   key=lambda c: (-c[0], c[1]))  # fmt: skip
    return [f"{head} {keep}{t}".strip() for _, t in words[:limit]]


def complete(reader, prefix: str, limit: int = 8) -> list[str]:
    """Return whole query strings completing the last word typed, most frequent words first."""
    split = last_word(prefix)
    if split is None:
        return []
    head, keep, stem = split
    counted = []
    for i, term in enumerate(reader.expand_prefix("words", stem)):
        if i >= MAX_COMPLETION_SCAN:
            break
        t = term.decode() if isinstance(term, bytes) else term
        counted.append((reader.doc_frequency("words", t), t))
    return completions(head, keep, counted, limit)
