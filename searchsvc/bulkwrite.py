"""Build Whoosh W3 segments in bulk: documents in, complete segments (same format) out.

Stock Whoosh turns every document into Token objects and every posting into a tuple that goes
through a sorting pool and several Python calls. SegmentBuilder keeps, per text field, only a flat
array of term ids (one int per token, from a raw-word -> term-id cache over the fused analyzer) and
writes each field once at flush: numpy sorts the tokens into postings, and postwrite.TermsOut
writes the blocks. Other indexed fields (ids, dates, tags) go through the field's own
`index()` (cached per value), stored fields and columns through Whoosh's W3PerDocWriter.
"""

from __future__ import annotations

import contextlib
from array import array
from pickle import dumps

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.formats import Existence
from whoosh.util.numeric import _length_byte_cache

from .postwrite import TermsOut, TermTable, deflate, encode_positions
from .tokenize import FastFrequency, FastPositions, FusedAnalyzer

INDEX_CACHE = 50_000  # cached field.index() results per non-text field
STORED_LEVEL = 1  # deflate level of stored fields: ~20% faster than Whoosh's 3, ~3% bigger
_LENGTH_CACHE = np.asarray(_length_byte_cache, dtype=np.int64)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Return whoosh.util.numeric.length_to_byte of every length (vectorised)."""
    lb = np.searchsorted(_LENGTH_CACHE, lengths, side="left")
    return np.where(lengths >= 106374, 255, lb).astype(np.uint8)


def _deflate_stored(data: bytes, level: int) -> bytes:
    """Compress a document's pickled stored fields (any zlib stream reads back the same)."""
    return deflate(data, STORED_LEVEL)


class _TermIds:
    """Raw word -> term id (-1: dropped or stop word) for one fused analyzer, per segment."""

    def __init__(self, analyzer: FusedAnalyzer) -> None:
        self.analyzer = analyzer
        self.findall = analyzer.tokenizer.expression.findall
        self.ids: dict[str, int] = {}
        self.texts: list[str] = []
        self._text_ids: dict[str, int] = {}

    def lookup(self, value: str) -> array:
        """Return the term id of every raw token of value (in order)."""
        tokens = self.findall(value)
        get = self.ids.get
        try:
            return array("i", map(get, tokens))
        except TypeError:  # a None: words not seen before in this segment
            pass
        ids = self.ids
        new = list(set(tokens).difference(ids))
        for raw, text in zip(new, self.analyzer.index_texts(new), strict=True):
            tid = -1
            if text is not None:
                tid = self._text_ids.get(text, -1)
                if tid < 0:
                    tid = self._text_ids[text] = len(self.texts)
                    self.texts.append(text)
            ids[raw] = tid
        return array("i", map(get, tokens))


class _TextField:
    """Token term ids of one fused-analyzer field for the documents of the current segment."""

    def __init__(self, name: str, field, terms: _TermIds) -> None:
        self.name, self.field, self.terms = name, field, terms
        self.positional = type(field.format) is FastPositions
        self.boost = field.format.field_boost
        self.renumber = terms.analyzer.renumber
        self.tids = array("i")
        self.counts = array("i")  # raw tokens per document

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
        tid = np.frombuffer(self.tids, dtype=np.int32) if self.tids else np.zeros(0, np.int32)
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
            values = encode_positions(pos[srt], pstart, freq)
        else:
            values = freq.astype(">u4").tobytes()
        return terms, tstarts, sd[pstart], weights, values, lengths


class _OtherField:
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


class SegmentBuilder:
    """Accumulate documents and write them as W3 segments into `storage` (one per flush)."""

    def __init__(self, schema, storage, indexname: str, codec=None, limit_tokens: int = 0) -> None:
        self.schema, self.storage, self.indexname = schema, storage, indexname
        self.codec = codec or W3Codec()
        self.limit_tokens = limit_tokens
        self.text: dict[str, _TextField] = {}
        self.other: dict[str, _OtherField] = {}
        term_tables: dict[int, _TermIds] = {}
        for name in schema.names():
            field = schema[name]
            if not field.indexed:
                continue
            fused = isinstance(getattr(field, "analyzer", None), FusedAnalyzer)
            fast = type(field.format) in (FastPositions, FastFrequency)
            if fused and fast and not field.vector and not field.separate_spelling():
                table = term_tables.setdefault(id(field.analyzer), _TermIds(field.analyzer))
                self.text[name] = _TextField(name, field, table)
            else:
                if field.vector or field.separate_spelling():
                    raise ValueError(f"field {name}: vectors and spelling are not supported")
                self.other[name] = _OtherField(name, field)
        self._tables = list(term_tables.values())
        self.stored = sorted(n for n in schema.names() if schema[n].stored)  # Whoosh's order
        self._names = set(schema.names())
        self.columns = [(n, schema[n]) for n in schema.names() if schema[n].column_type]
        self.perdoc = None
        self.ndocs = self.tokens = 0

    def _open(self) -> None:
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        stored = self.perdoc._get_column("_stored")._child  # the CompressedBytesColumn writer
        stored._compress = _deflate_stored
        self._add_stored = stored.add
        self._colwriters: dict = {}
        self.ndocs = self.tokens = 0

    def add(self, fields: dict) -> bool:
        """Add one document (add_document's keyword arguments); True when a flush is due."""
        if not fields.keys() <= self._names:
            raise ValueError(f"unsupported document fields: {sorted(fields)}")
        if self.perdoc is None:
            self._open()
        docnum = self.ndocs
        for name, acc in self.text.items():
            self.tokens += acc.add(fields.get(name))
        for name, acc in self.other.items():
            value = fields.get(name)
            if value is not None:
                acc.add(docnum, value)
        stored = {n: v for n in self.stored if (v := fields.get(n)) is not None}
        if stored:  # W3PerDocWriter.finish_doc without its per-call layers
            self._add_stored(docnum, dumps(stored, 2))
        for name, field in self.columns:
            value = fields.get(name)
            if value is not None:
                writer = self._colwriters.get(name)
                if writer is None:
                    self.perdoc._create_column(name, field.column_type)
                    writer = self._colwriters[name] = self.perdoc._get_column(name)
                writer.add(docnum, field.to_column_value(value))
        self.ndocs += 1
        return bool(self.limit_tokens) and self.tokens >= self.limit_tokens

    def flush(self):
        """Write the documents added since the last flush as one segment; None when empty."""
        if not self.ndocs:
            return None
        segment, ndocs = self.segment, self.ndocs
        fields = sorted([*self.text.items(), *self.other.items()])
        out = TermsOut(
            TermTable(segment.create_file(self.storage, W3Codec.TERMS_EXT)),
            segment.create_file(self.storage, W3Codec.POSTS_EXT),
        )
        totals = {}
        for name, acc in fields:
            terms, tstarts, docs, weights, values, lengths = acc.postings(ndocs)
            scorable = bool(self.schema[name].scorable)
            lenbytes = length_bytes(lengths) if scorable else None
            if scorable and lengths.any():
                self._write_lengths(name, lengths, lenbytes)
                totals[name] = int(lengths.sum())
            fmt = self.schema[name].format
            out.write_field(
                name, terms, tstarts, docs, weights, values, lenbytes, fmt.fixed_value_size()
            )
        out.close()
        self.perdoc._fieldlengths.update(totals)
        self.perdoc._doccount = ndocs
        self.perdoc.close()
        segment.set_doc_count(ndocs)
        if segment.should_assemble():
            segment.create_compound_file(self.storage)
        for acc in self.text.values():
            acc.tids, acc.counts = array("i"), array("i")
        for acc in self.other.values():
            acc.reset()
        for table in self._tables:
            table.__init__(table.analyzer)
        self.perdoc, self.ndocs, self.tokens = None, 0, 0
        return segment

    def discard(self) -> None:
        """Drop the documents added since the last flush (their temporary files are closed)."""
        if self.perdoc is not None:
            self.perdoc._cols._temp.close()
        self.perdoc, self.ndocs, self.tokens = None, 0, 0

    def _write_lengths(self, name: str, lengths: np.ndarray, lenbytes: np.ndarray) -> None:
        """Write a scorable field's length column (a byte per document with a length)."""
        col = _lenfield(name)
        if not self.perdoc._has_column(col):
            self.perdoc._create_column(col, LENGTHS_COLUMN)
        add = self.perdoc._get_column(col).add
        docs = np.flatnonzero(lengths)
        for docnum, lb in zip(docs.tolist(), lenbytes[docs].tolist(), strict=True):
            add(docnum, lb)
