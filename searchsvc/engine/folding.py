"""Folding copies: near-duplicate articles among the matches count and show as one story."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from searchsvc.engine.columns import ranges
from searchsvc.engine.matching import Matches
from searchsvc.engine.ranking import top

SIMILAR_IDS = 10  # folded copies named on a hit


@dataclass
class Folded:
    """A match set with its copies folded: the page's best per story, and story sizes."""

    total: int  # stories (groups of copies) among the matches
    page: list[tuple[float, int]]  # (score, docnum) of the first `end` stories, best first
    sizes: np.ndarray  # matches per near-duplicate code
    dup: np.ndarray  # near-duplicate code of every document
    cols: dict  # the facet columns (story_order, story_starts: each story's documents)
    stories: np.ndarray | None = None  # the story of every match (dup of the match ids)

    def among(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return what `facets.stories_of` returns for the matches, from the fold's counts."""
        return self.stories, self.sizes > 0, np.flatnonzero(self.sizes)

    def similar(self, docnum: int) -> int:
        """Return how many other matches are copies of this document."""
        return int(self.sizes[self.dup[docnum]]) - 1

    def newest_copies(
        self, docnums: list[int], ids: np.ndarray, newest: np.ndarray, limit: int = SIMILAR_IDS
    ) -> list[list[int]]:
        """Return for each document up to `limit` other matches (of `ids`, ascending) that are
        copies of it, as a hit names them: by `newest` position, descending. One pass for a
        page's hits: their stories' documents looked up in ids, not ids scanned."""
        docs = np.asarray(docnums, dtype=np.int64)
        stories = self.dup[docs]
        starts = self.cols["story_starts"]
        owner = np.repeat(np.arange(len(docs)), starts[stories + 1] - starts[stories])
        members = self.cols["story_order"][ranges(starts, stories)].astype(np.int64)
        at = np.minimum(np.searchsorted(ids, members), max(len(ids) - 1, 0))
        keep = (ids[at] == members) & (members != docs[owner]) if len(ids) else owner < 0
        members, owner = members[keep], owner[keep]
        order = np.lexsort((-newest[members], owner))  # by document, then newest position
        members, bounds = members[order], np.searchsorted(owner[order], np.arange(len(docs) + 1))
        return [members[a : min(b, a + limit)].tolist() for a, b in pairwise(bounds.tolist())]


def collapse(matches: Matches, best: np.ndarray, stories: np.ndarray, end: int) -> list:
    """Return the first `end` of the ranked match positions `best` as (score, docnum), the
    best of each story (`stories`: each match's story)."""
    _, first = np.unique(stories[best], return_index=True)  # each story's best position
    keep = best[np.sort(first)[:end]]
    scores = [0.0] * len(keep) if matches.by_date else matches.keys[keep].tolist()
    return list(zip(scores, matches.ids[keep].tolist(), strict=True))


def fold(matches: Matches, cols: dict, end: int) -> Folded:
    """Return the matches folded by near-duplicate key, ranked far enough for `end` stories."""
    dup = cols["dup"]
    stories = dup[matches.ids]
    sizes = np.bincount(stories, minlength=cols["dup_count"])
    total = int(np.count_nonzero(sizes))
    # as many ranked matches as `end` stories of the average size take, twice over (the top
    # `want` is always a prefix of a longer top list, so a longer look changes nothing)
    want = int(end * 2 * len(matches.ids) / max(total, 1)) + 10
    best = top(matches.keys, want)
    page = collapse(matches, best, stories, end)
    while len(page) < min(end, total) and len(best) < len(matches.ids):
        want *= 4  # many near-duplicates among the best: look further down
        best = top(matches.keys, want)
        page = collapse(matches, best, stories, end)
    return Folded(total, page, sizes, dup, cols, stories)
