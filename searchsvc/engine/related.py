"""More like this: articles sharing an article's strongest words, one per story."""

from __future__ import annotations

from collections import Counter

from searchsvc.engine import facets
from searchsvc.engine.ranking import sum_scores, top
from searchsvc.engine.state import View
from searchsvc.engine.termscores import bm25f
from searchsvc.text.analysis import index_terms
from searchsvc.text.scoring import FIELDS, idf

MLT_CHARS = 20_000  # the start of a long article says what it is about
MLT_TERMS = 15  # strongest words (tf * idf) searched for


def strongest_terms(view: View, text: str, k: int = MLT_TERMS) -> list[str]:
    """Return the k words of text with the highest tf * idf in this index."""
    counts = Counter(t for t in index_terms(text[:MLT_CHARS]) if len(t) > 2 and not t.isdigit())
    total = view.state.total

    def weight(item: tuple[str, int]) -> float:
        term, tf = item
        df = max(view.doc_frequency(f, term) for f in FIELDS)
        return tf * idf(df, total) if df > 1 else 0.0  # a word only here finds nothing else

    ranked = sorted(counts.items(), key=lambda item: (-weight(item), item[0]))
    return [t for t, _ in ranked[:k] if weight((t, counts[t])) > 0]


def more_like_this(view: View, docnum: int, limit: int) -> list[tuple[float, int]]:
    """Return (score, docnum) of up to `limit` articles like docnum, never its copies."""
    me = view.stored(docnum)
    terms = strongest_terms(view, f"{me.get('title') or ''}\n{me.get('body') or ''}")
    ids, scores = sum_scores([bm25f(view, t) for t in terms])
    if not len(ids):
        return []
    dup = facets.columns(view)["dup"]
    keep = dup[ids] != dup[docnum]
    ids, scores = ids[keep], scores[keep]
    out, seen = [], set()
    for i in top(scores, limit * 4 + 10).tolist():
        key = int(dup[ids[i]])
        if key not in seen:
            seen.add(key)
            out.append((float(scores[i]), int(ids[i])))
            if len(out) >= limit:
                break
    return out
