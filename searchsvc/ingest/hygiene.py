"""Files that travel with a corpus but are not articles: documentation, DTDs, word lists, tables.

The content tests read only the start of the decoded text (HEAD_CHARS). A text whose characters
are mostly in lines of running prose is an article, whatever else it holds (a BBC story with a
list of 24 seeded players measured 0.66); only the rest is tested for a word list, a table or a
list of short entries, each needing most of at least ten lines to look alike.
"""

from __future__ import annotations

import re
from pathlib import PurePath

# bbc/README.TXT, a SOURCE.txt, LICENSE, ...: matched on the name before the first dot.
DOC_NAMES = frozenset((
    "readme", "source", "sources", "license", "licence", "copying", "changelog", "changes",
    "notice", "authors", "contributors", "install", "todo",
))  # fmt: skip
HEAD_CHARS = 8192
MIN_LINES = 10
PROSE_SHARE = 0.4  # articles measured 0.66 and up, the non-articles 0.21 at most
_SENTENCE_END = re.compile(r"[.!?:;。！？][\"'”’」)\]]?$")
_PROSE = re.compile(r"[^\W\d_][,;:]?\s+[^\W\d_]")  # a space between two words
_DTD = re.compile(r"^\s*(<!--.*?-->\s*)*<!(ELEMENT|ENTITY|ATTLIST|DOCTYPE)\b", re.S)


def doc_file_reason(path: PurePath) -> str | None:
    """Return why a file is a data set's documentation by its name (README, LICENSE...)."""
    stem = path.name.lower().split(".")[0]
    if stem in DOC_NAMES:
        return f"a data set's documentation file ({path.name}), not an article"
    if path.suffix.lower() == ".dtd":
        return "a DTD (document type definition), not an article"
    return None


def _is_row(line: str) -> bool:
    """A table row: numbers mostly, or delimiter-separated fields that are not prose."""
    chars = [c for c in line if not c.isspace()]
    if sum(c.isdigit() for c in chars) * 2 >= len(chars):
        return True
    fields = max(line.count(d) for d in (",", "\t", ";", "|"))
    return fields >= 2 and len(_PROSE.findall(line)) < fields


def _is_prose(line: str) -> bool:
    """A line of running text: five gaps between words, or a long sentence (CJK has no gaps)."""
    if len(_PROSE.findall(line)) >= 5:
        return True
    return bool(_SENTENCE_END.search(line)) and sum(c.isalpha() for c in line) >= 30


def content_reason(text: str) -> str | None:
    """Return why a decoded text file is not an article (DTD, word list, list, table), or None."""
    head = text[:HEAD_CHARS]
    if _DTD.match(head):
        return "a DTD (document type definition), not an article"
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    if len(text) > HEAD_CHARS and len(lines) > 1:
        lines.pop()  # the last line may be cut short
    if len(lines) < MIN_LINES:
        return None
    n = len(lines)
    if sum(len(ln) for ln in lines if _is_prose(ln)) >= PROSE_SHARE * sum(len(ln) for ln in lines):
        return None  # mostly running text: an article, whatever else it holds
    if sum(1 for ln in lines if len(ln.split()) == 1 and len(ln) <= 25) >= 0.8 * n:
        return "a word list (one entry a line), not an article"
    if sum(1 for ln in lines if _is_row(ln)) >= 0.6 * n:
        return "a data table (numbers or delimiter-separated columns), not an article"
    short = sum(1 for ln in lines if len(ln) <= 50)
    ended = sum(1 for ln in lines if _SENTENCE_END.search(ln))
    if short >= 0.7 * n and ended <= 0.1 * n:
        return "a list of short entries (no sentences), not an article"
    return None
