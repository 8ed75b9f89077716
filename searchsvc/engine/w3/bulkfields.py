"""Per-field accumulators of the bulk segment builder: documents in, sorted postings out.

A text field with a fused analyzer keeps one term id per token (raw word -> term id, resolved in
bulk for new words) and turns them into postings with numpy; any other indexed field keeps the
postings of Whoosh's own `field.index()` (cached per value, ID fields without the analyzer).
`postings()` returns (terms, term starts, docs, weights, values, lengths) in index order.
"""

from __future__ import annotations

import contextlib
from array import array

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.formats import Existence

from searchsvc.engine.w3.formats import FastPositions
from searchsvc.engine.w3.postwrite import encode_positions
from searchsvc.text.tokenize import FusedAnalyzer

INDEX_CACHE = 50_000  # cached field.index() results per non-text field


class TermIds:
    """Raw words of one fused analyzer, per segment: raw word -> raw id as tokens arrive, and
    raw id -> term id (-1: dropped or stop word) resolved in bulk when the segment is written.
    """

    def __init__(self, analyzer: FusedAnalyzer) -> None:
        self.analyzer = analyzer
        self.findall = analyzer.tokenizer.expression.findall
        self.ids: dict[str, int] = {}  # raw word -> raw id
        self.raws: list[str] = []
        self.texts: list[str] = []  # term id -> term text
        self._text_ids: dict[str, int] = {}
        self._term_of = np.zeros(0, dtype=np.int32)  # raw id -> term id, for raws resolved

    def lookup(self, value: str) -> array:
        """Return the raw id of every raw token of value (in order)."""
        tokens = self.findall(value)
        get = self.ids.get
        try:
            return array("i", map(get, tokens))
        except TypeError:  # a None: words not seen before in this segment
            pass
        ids, raws = self.ids, self.raws
        for raw in set(tokens).difference(ids):
            ids[raw] = len(raws)
            raws.append(raw)
        return array("i", map(get, tokens))

    def term_of(self) -> np.ndarray:
        """Return the raw id -> term id array, running the analyzer on the new raw words."""
        start = len(self._term_of)
        if start < len(self.raws):
            new = self.raws[start:]
            tids = []
            for text in self.analyzer.index_texts(new):
                tid = -1
                if text is not None:
                    tid = self._text_ids.get(text, -1)
                    if tid < 0:
                        tid = self._text_ids[text] = len(self.texts)
                        self.texts.append(text)
                tids.append(tid)
            self._term_of = np.append(self._term_of, np.asarray(tids, dtype=np.int32))
        return self._term_of


class TextField:
    """Token term ids of one fused-analyzer field for the documents of the current segment."""

    def __init__(self, name: str, field, terms: TermIds) -> None:
        self.name, self.field, self.terms = name, field, terms
        self.positional = type(field.format) is FastPositions
        self.boost = field.format.field_boost
        self.renumber = terms.analyzer.renumber
        self.tids = array("i")
        self.counts = array("i")  # raw tokens per document
        self.last_positions: np.ndarray | None = None  # of the last postings() call

    def add(self, value: str | None) -> int:
        """Add one document's value; return its token count."""
        if value is None:
            self.counts.append(0)
            return 0
        ids = self.terms.lookup(value)
        self.tids.extend(ids)
        self.counts.append(len(ids))
        return len(ids)

    def postings(self, ndocs: int):
        """Return (terms, term starts, docs, weights, values, lengths) in index order."""
        raw_ids = np.frombuffer(self.tids, dtype=np.int32) if self.tids else np.zeros(0, np.int32)
        tid = self.terms.term_of()[raw_ids]
        counts = np.frombuffer(self.counts, dtype=np.int32).astype(np.int64)
        doc = np.repeat(np.arange(ndocs, dtype=np.int64), counts)
        keep = tid >= 0
        kt, kd = tid[keep], doc[keep]
        lengths = np.bincount(kd, minlength=ndocs)
        used = np.unique(kt)
        texts = [self.terms.texts[i] for i in used.tolist()]
        order = sorted(range(len(texts)), key=texts.__getitem__)  # code points = UTF-8 order
        rank = np.zeros(len(self.terms.texts) + 1, dtype=np.int64)
        rank[used[order]] = np.arange(len(used))
        key = rank[kt]
        srt = np.argsort(key, kind="stable")  # tokens stay in document, then position order
        sk, sd = key[srt], kd[srt]
        n = len(sk)
        new = np.ones(n, dtype=bool)
        new[1:] = (sk[1:] != sk[:-1]) | (sd[1:] != sd[:-1])
        pstart = np.flatnonzero(new)
        freq = np.diff(np.append(pstart, n))
        pkey = sk[pstart]
        tstarts = np.flatnonzero(np.diff(pkey, prepend=-1))
        terms = [texts[i].encode("utf-8") for i in order]
        weights = freq * self.boost
        if self.positional:
            raw = np.arange(len(tid), dtype=np.int64) - np.repeat(
                np.cumsum(counts) - counts, counts
            )
            kraw = raw[keep]
            if self.renumber:  # StopFilter(renumber=True): first kept token keeps its index
                kstart = np.cumsum(lengths) - lengths
                pos = kraw[kstart[kd]] + (np.arange(len(kd)) - kstart[kd])
            else:
                pos = kraw
            self.last_positions = pos[srt]  # in posting order: the term arrays keep them
            values = encode_positions(self.last_positions, pstart, freq)
        else:
            values = freq.astype(">u4").tobytes()
        return terms, tstarts, sd[pstart], weights, values, lengths


class OtherField:
    """Postings of an indexed field that is not a fused text field, from `field.index()`."""

    def __init__(self, name: str, field) -> None:
        self.name, self.field = name, field
        self.scorable = bool(field.scorable)
        # ID fields index the whole value as one term: no need to run Whoosh's analyzer for it.
        self.direct = type(field.analyzer) is IDTokenizer and type(field.format) is Existence
        self.boost = field.format.field_boost
        self.value_size = field.format.fixed_value_size()
        self._cache: dict = {}
        self.reset()

    def reset(self) -> None:
        """Forget the postings (after a flush)."""
        self.term_ids: dict[bytes, int] = {}
        self._entries: dict = {}  # value -> (term ids, weights, values, length) in this segment
        self.tids, self.weights, self.values = array("i"), array("d"), []
        self.docnums, self.counts = array("i"), array("i")  # postings per document
        self.lengths: dict[int, int] = {}

    def _index(self, value) -> list:
        try:
            items = self._cache.get(value)
        except TypeError:  # a list value
            return list(self.field.index(value))
        if items is None:
            if len(self._cache) >= INDEX_CACHE:
                self._cache.clear()
            items = self._cache[value] = list(self.field.index(value))
        return items

    def _entry(self, value) -> tuple:
        """Return value's postings as (term ids, weights, values, length) in this segment."""
        term_ids = self.term_ids
        if self.direct and isinstance(value, str):
            tbytes = value.encode("utf-8")
            tid = term_ids.get(tbytes)
            if tid is None:
                tid = term_ids[tbytes] = len(term_ids)
            return (tid,), (self.boost,), (b"",), 1
        try:
            entry = self._entries.get(value)
        except TypeError:
            entry = None
        if entry is None:
            tids, weights, values, length = [], [], [], 0
            for tbytes, freq, weight, vbytes in self._index(value):
                tid = term_ids.get(tbytes)
                if tid is None:
                    tid = term_ids[tbytes] = len(term_ids)
                tids.append(tid)
                weights.append(weight)
                values.append(vbytes)
                length += freq
            entry = (tids, weights, values, length)
            with contextlib.suppress(TypeError):
                self._entries[value] = entry
        return entry

    def add(self, docnum: int, value) -> int:
        """Add one document's value; return its length (0 unless the field is scorable)."""
        tids, weights, values, length = self._entry(value)
        self.tids.extend(tids)
        self.weights.extend(weights)
        if self.value_size != 0:
            self.values.extend(values)
        self.docnums.append(docnum)
        self.counts.append(len(tids))
        if self.scorable and length:
            self.lengths[docnum] = length
        return length if self.scorable else 0

    def postings(self, ndocs: int):
        """Return (terms, term starts, docs, weights, values, lengths) in index order."""
        texts = list(self.term_ids)
        order = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.zeros(len(texts) + 1, dtype=np.int64)
        rank[order] = np.arange(len(texts))
        key = rank[np.frombuffer(self.tids, dtype=np.int32)] if self.tids else rank[:0]
        srt = np.argsort(key, kind="stable")
        tstarts = np.flatnonzero(np.diff(key[srt], prepend=-1))
        docnums = np.frombuffer(self.docnums, dtype=np.int32) if self.docnums else key
        counts = np.frombuffer(self.counts, dtype=np.int32) if self.counts else key
        docs = np.repeat(docnums, counts)[srt]
        weights = np.frombuffer(self.weights, dtype=np.float64)[srt] if self.weights else key
        if self.value_size == 0:
            values = None
        elif self.value_size is None:
            values = [self.values[i] for i in srt.tolist()]
        else:
            values = b"".join([self.values[i] for i in srt.tolist()])
        lengths = np.zeros(ndocs, dtype=np.int64)
        if self.lengths:
            lengths[list(self.lengths)] = list(self.lengths.values())
        return [texts[i] for i in order], tstarts, docs, weights, values, lengths
