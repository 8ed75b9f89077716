"""The analyzers used at index and at query time (one place, so both sides agree).

Title and body: words (numbers keep their separators), case and accents folded, possessives
dropped, British and American spellings made one (text/variants.py), stop words removed,
Snowball stems.
"""

from __future__ import annotations

import re
from functools import cache

import Stemmer
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.analyzers import Analyzer
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

from searchsvc.text.tokenize import fuse
from searchsvc.text.variants import SpellingVariantFilter, canonical

# Numbers keep their decimal point or thousands separators ("3.5", "1,000"); words keep
# inner apostrophes so possessives can be stripped ("reuters's" -> "reuters"); hyphens split.
TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:['’]\w+)*", re.UNICODE)
STOP_WORDS = frozenset(stoplists["en"])
_POSSESSIVE = re.compile(r"['’]s?$")


class PossessiveNumberFilter(Filter):
    """Drop possessive endings ("bank's" -> "bank") and thousands commas ("1,000" -> "1000")."""

    def __call__(self, tokens):
        for t in tokens:
            text = t.text
            if "'" in text or "’" in text:
                text = _POSSESSIVE.sub("", text).replace("’", "'")
            elif "," in text and text[0].isdigit():
                text = text.replace(",", "")
            if text:
                t.text = text
                yield t


@cache
def _stemmer():
    return Stemmer.Stemmer("english", 0)  # no word cache: StemFilter keeps its own LRU


def stem(word: str) -> str:
    """Return the English (Snowball) stem of a lower-case word."""
    return _stemmer().stemWord(word)


def stem_many(words: list[str]) -> list[str]:
    """Return the stems of many lower-case words at once."""
    return _stemmer().stemWords(words)


stem.many = stem_many  # the fused analyzer stems a batch of new words at once with it


@cache
def english_analyzer() -> Analyzer:
    """Return the analyzer for title and body: fold case, accents and spellings, stop, stem."""
    return fuse(english_chain(), per_token=(PossessiveNumberFilter, SpellingVariantFilter))


@cache
def english_chain() -> Analyzer:
    """Return english_analyzer() as Whoosh's filter chain (the fused one is 2-3x faster)."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | PossessiveNumberFilter()
        | SpellingVariantFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=stem, cachesize=200_000)
    )


@cache
def plain_analyzer() -> Analyzer:
    """Return the analyzer for spelling and completion: folded words, no stemming or stops."""
    return fuse(plain_chain())


@cache
def plain_chain() -> Analyzer:
    """Return plain_analyzer() as Whoosh's filter chain."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


_ACCENTS = str.maketrans(accent_map)


_TERMS: dict[str, str] = {}  # a folded word -> its index term ("" for a stop word)
_TERMS_MAX = 400_000  # words remembered; past that the memory starts again (a new dict)


def index_terms(text: str) -> list[str]:
    """Return the terms english_analyzer() indexes for text, computed in bulk (fast path).

    Each distinct word is analysed once per process (RM3 re-reads the best documents of every
    query); other threads keep reading the dict they started with when it is replaced.
    """
    global _TERMS
    words = TOKEN_PATTERN.findall(text.lower().translate(_ACCENTS))
    terms = _TERMS
    new = [w for w in dict.fromkeys(words) if w not in terms]
    if new:
        if len(terms) + len(new) > _TERMS_MAX:
            terms = _TERMS = {}
        terms.update(zip(new, _analyse(new), strict=True))
    return [t for t in map(terms.__getitem__, words) if t]


def _analyse(words: list[str]) -> list[str]:
    """Return each folded word's index term, "" for a stop word (stems in one batch)."""
    kept, out = [], []
    for w in words:
        if "'" in w or "’" in w:
            w = _POSSESSIVE.sub("", w).replace("’", "'")
        elif "," in w and w[0].isdigit():
            w = w.replace(",", "")
        out.append(bool(w and w not in STOP_WORDS))
        if out[-1]:
            kept.append(canonical(w))
    stems = iter(stem_many(kept))
    return [next(stems) if keep else "" for keep in out]


def fold(text: str) -> str:
    """Return text folded the way exact-match fields (source, author, tags) are indexed."""
    return " ".join(text.split()).casefold()


MAX_FIELD_TOKENS = 200_000  # words indexed per field (Lucene's LimitTokenCountFilter idea)


def searchable(text: str, limit: int = MAX_FIELD_TOKENS) -> tuple[str, bool]:
    """Return the part of text that is indexed (its first `limit` tokens) and whether it is cut.

    Indexing memory grows with the tokens of one document; a longer text is stored whole but
    searchable by its first `limit` words.
    """
    if len(text) <= limit:  # every token takes at least one character
        return text, False
    for i, m in enumerate(TOKEN_PATTERN.finditer(text)):
        if i == limit:
            return text[: m.start()], True
    return text, False
