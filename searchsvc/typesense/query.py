"""Typesense search parameters from searchsvc's parsed query, results as SearchPage parts, and
the did-you-mean rule.

Words are analysed by searchsvc's English analyzer and searched in the stemmed title and body
fields, so they match exactly as in the Whoosh index; NOTES lists what differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from searchsvc.contract import TOP_TAGS, SearchRequest
from searchsvc.text.analysis import STOP_WORDS, fold
from searchsvc.text.dates import timeline
from searchsvc.text.query import FILTER_FIELDS, ParsedQuery
from searchsvc.typesense.index import UNDATED, stems
from searchsvc.typesense.plan import day, key_value, quote

NOTES = [
    "ranking is the Whoosh backend's BM25F (tiers, proximity, RM3 feedback) computed by "
    "searchsvc over "
    "candidates from the cluster: for keyword queries per word and per set of its words the 30 "
    "documents of highest BM25F impact, for longer queries per word the 250 highest, so a "
    "document holding only very common words can rank lower than on Whoosh",
    "a word's document frequency counts documents with it in title or body (Whoosh: the larger "
    "of the two fields' counts); field lengths are exact (Whoosh rounds long ones)",
    "total and facets are counted by Typesense (for phrases, title: and prefix* only when the "
    "match set is larger than the candidates: a phrase then counts as all its words, title: as "
    "the word anywhere); a copy of a story counts once per facet value (Whoosh: one copy's "
    "values)",
    "copies of a story fold only when their texts are the same after folding case and spaces "
    "(Whoosh also folds near copies it finds by MinHash similarity)",
    "RM3 feedback learns from the best documents before the proximity boost (Whoosh: after it)",
    "OR between alternatives is read as plain words in the did-you-mean check",
    "'Did you mean' corrections come from Typesense's typo tolerance (edit distance 2 on the "
    "stems of matching documents), not from a list of every indexed word",
    "source:/author: filters match the whole folded value only; -prefix* leaves out the "
    "prefix as a word",
]
KEYS = {"author": "author_key", "source": "source_key", "tag": "tags", "tags": "tags"}
MAX_PER_CALL = 250  # Typesense's per_page limit
HIDDEN = "title_stems,body_stems,words"  # indexed only, never returned


def facets_from(res: dict) -> tuple[dict, list]:
    """Return ({source, tags, year}, timeline) from Typesense facet counts."""
    got = {f["field_name"]: f["counts"] for f in res.get("facet_counts", ())}

    def ordered(counts) -> dict:
        return dict(
            sorted(((c["value"], c["count"]) for c in counts), key=lambda kv: (-kv[1], kv[0]))
        )

    # Month counts (a facet on days costs ~10x more): the timeline is per month or per year,
    # only the choice between the two looks at the first of each month instead of the day.
    days = {date.fromisoformat(c["value"] + "-01"): c["count"] for c in got.get("month", ())}
    facets = {
        "source": {k: v for k, v in ordered(got.get("source", ())).items() if k},
        "tags": dict(list(ordered(got.get("tags", ())).items())[:TOP_TAGS]),
        "year": dict(sorted(((c["value"], c["count"]) for c in got.get("year", ())), reverse=True)),
    }
    return facets, timeline(days)


def build_params(pq: ParsedQuery, req: SearchRequest) -> dict:
    """Return the Typesense search parameters for a parsed query and the request's filters."""
    words, prefix, filters = [], False, []
    groups = [g for g in pq.groups if not all(c.field in FILTER_FIELDS for c in g)]
    for g in pq.groups:
        if all(c.field in FILTER_FIELDS for c in g):
            by: dict[str, list[str]] = {}
            for c in g:
                by.setdefault(KEYS[c.field], []).append(key_value(c.field, c.text))
            ors = [f"{k}:=[{', '.join(quote(v) for v in vs)}]" for k, vs in by.items()]
            filters.append(ors[0] if len(ors) == 1 else "(" + " || ".join(ors) + ")")
    last = groups[-1][-1] if groups else None
    for g in groups:
        for c in g:
            if c.field in FILTER_FIELDS:
                continue
            if c.kind == "prefix":
                if c is last:
                    words.append(fold(c.text))
                    prefix = True
            elif c.kind == "phrase" and len(stems(c.text).split()) > 1:
                words.append(f'"{stems(c.text)}"')
            elif stems(c.text):
                words.append(stems(c.text))
    for c in pq.excluded:
        if c.field in FILTER_FIELDS:
            filters.append(f"{KEYS[c.field]}:!={quote(key_value(c.field, c.text))}")
        elif c.kind == "phrase" and len(stems(c.text).split()) > 1:
            words.append(f'-"{stems(c.text)}"')
        else:
            words += [f"-{s}" for s in stems(c.text).split()]
    lo = max(filter(None, [pq.date_from, req.date_from]), default=None)
    hi = min(filter(None, [pq.date_to, req.date_to]), default=None)
    if lo or hi:
        span = f"day:[{day(lo) if lo else UNDATED + 1}..{day(hi) if hi else 99999}]"
        filters.append(f"({span} || day:={UNDATED})" if req.include_undated else span)
    if req.source:
        filters.append(
            f"source_key:=[{', '.join(quote(key_value('source', s)) for s in req.source)}]"
        )
    if req.tag:
        keys = ", ".join(quote(fold(t.replace("_", " "))) for t in req.tag)
        filters.append(f"tags:=[{keys}]")
    positive = [w for w in words if not w.startswith("-")]
    q = " ".join(words) if positive else "*"
    newest = req.sort == "newest" or q == "*"
    return {
        "q": q,
        "query_by": "title_stems,body_stems",
        "query_by_weights": "5,2",
        "prefix": "false,false" if not prefix else "true,true",
        # Dropping words finds documents matching only some of them (any-word matching);
        # with a single word Typesense would drop it and keep just the exclusions.
        "drop_tokens_threshold": 1_000_000 if len(positive) > 1 else 0,
        "num_typos": 0,  # words match exactly, as in Whoosh; typos only feed did_you_mean
        "typo_tokens_threshold": 0,
        "sort_by": "day:desc,_text_match:desc" if newest else "_text_match:desc,day:desc",
        **({"filter_by": " && ".join(filters)} if filters else {}),
        "highlight_fields": "title_stems,body_stems",
        "exclude_fields": HIDDEN,
    }


def _distance(a: str, b: str) -> int:
    """Return the Levenshtein distance of two short words."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


Search = Callable[[dict], dict]


def _surface(call: Search, stem: str) -> str | None:
    """Return the most frequent indexed word starting with `stem` (the word itself if indexed)."""
    res = call({"q": "*", "facet_by": "words", "facet_query": f"words:{stem}", "per_page": 0})
    counts = res["facet_counts"][0]["counts"] if res.get("facet_counts") else []
    found = [(c["value"] != stem, -c["count"], c["value"]) for c in counts]
    found = [f for f in found if f[2].startswith(stem)]
    return min(found)[2] if found else None


def did_you_mean(
    pq: ParsedQuery, req: SearchRequest, params: dict, call: Search, build: Callable
) -> str | None:
    """Return a corrected query when its words, corrected by typo tolerance, find more hits.

    The Whoosh rule, on Typesense: only words that occur nowhere in the index are corrected; the
    correction is the closest stem (edit distance <= 2) that a typo-tolerant search matched,
    shown as its most frequent indexed word.
    """
    if params["q"] == "*" or req.page != 1:
        return None
    flat = {k: v for k, v in params.items() if k not in ("group_by", "group_limit", "facet_by")}
    typo = call({**flat, "num_typos": 2, "typo_tokens_threshold": 1, "per_page": 10})
    matched = {
        t.lower()
        for h in typo.get("hits", ())
        for hl in h.get("highlights", ())
        for t in hl.get("matched_tokens", ())
    }
    text, changed = pq.text, False
    for group in pq.groups:
        for c in group:
            if c.kind != "word" or c.field in FILTER_FIELDS:
                continue
            for word in re.findall(r"\w+", c.text)[:10]:
                w = fold(word)
                if w in STOP_WORDS or len(w) < 3 or w.isdigit() or _surface(call, w) == w:
                    continue
                stem = stems(w)
                near = sorted((_distance(stem, t), t) for t in matched if t != stem)
                if near and near[0][0] <= 2 and (fix := _surface(call, near[0][1])):
                    text = re.sub(rf"(?i)\b{re.escape(word)}\b", fix, text)
                    changed = True
    if not changed:
        return None
    every = {"drop_tokens_threshold": 0, "per_page": 0}  # documents matching every word
    before = call({**flat, **every})["found"]
    after = {k: v for k, v in build(text).items() if k not in ("group_by", "group_limit")}
    return text if call({**after, **every})["found"] > before else None
