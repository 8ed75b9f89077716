"""One outlet, one name: source names folded to one key, shown by their commonest spelling.

At ingest every source gets a key (ingest/sources.py: case, accents, a leading "The", an
"Online" suffix and punctuation do not count). Once per generation the engine also maps a
source that is just its page's bare domain ("wendshirepost.example", a page that named no
outlet) to the outlet name other articles from that domain carry. Facets, statistics and
`source:` filters all use the result.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from searchsvc.engine.columns import column_codes, first_appearance
from searchsvc.engine.state import View
from searchsvc.ingest.sources import source_key
from searchsvc.text.analysis import fold


def canonical_sources(
    view: View, domain_codes: tuple[np.ndarray, list] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Return (a code per document, the display name of each code; "" for no source).

    `domain_codes`: `column_codes(view, "domain")`, when the caller has it already."""
    names, name_values = column_codes(view, "source")
    domains, domain_values = domain_codes or column_codes(view, "domain")
    width = max(1, len(domain_values))
    codes, pairs = first_appearance(names.astype(np.int64) * width + domains)
    distinct = [
        (name_values[p // width] or "", domain_values[p % width] or "") for p in pairs.tolist()
    ]
    live = np.bincount(codes[view.state.live], minlength=len(distinct)).tolist()
    weight = [n + 1 for n in live]  # every spelling counts, live documents more
    keys = [source_key(name) for name, _ in distinct]
    bare = [bool(d) and k == source_key(d) for (_, d), k in zip(distinct, keys, strict=True)]
    named: dict[str, Counter] = {}  # domain -> keys of the real names its pages carry
    for (_, domain), key, is_bare, w in zip(distinct, keys, bare, weight, strict=True):
        if domain and key and not is_bare:
            named.setdefault(domain, Counter())[key] += w
    canon = [
        named[d].most_common(1)[0][0] if is_bare and d in named else key
        for (_, d), key, is_bare in zip(distinct, keys, bare, strict=True)
    ]
    spellings: dict[str, Counter] = {}  # canonical key -> its spellings (bare domains last)
    for (name, _), key, is_bare, w in zip(distinct, canon, bare, weight, strict=True):
        if key:
            spellings.setdefault(key, Counter())[name] += w if not is_bare else 0
    names = {k: c.most_common(1)[0][0] for k, c in spellings.items()}
    values = sorted({names.get(k, "") for k in canon})
    code_of = {v: i for i, v in enumerate(values)}
    per_pair = np.array([code_of[names.get(k, "")] for k in canon], dtype=np.int32)
    return (per_pair[codes] if len(codes) else codes), values


def matching(values: list[str], wanted: str) -> list[int]:
    """Return the codes of the display names a `source:` value means (its key, else its words)."""
    key = source_key(wanted)
    exact = [i for i, v in enumerate(values) if v and source_key(v) == key]
    if exact or not key:
        return exact
    pat = re.compile(r"\b" + re.escape(fold(wanted)) + r"\b")
    return [i for i, v in enumerate(values) if v and pat.search(fold(v))]
