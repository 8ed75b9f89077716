"""Build Whoosh W3 segments in bulk: documents in, complete segments (same format) out.

Stock Whoosh turns every document into Token objects and every posting into a tuple that goes
through a sorting pool and several Python calls. SegmentBuilder keeps, per text field, only a flat
array of term ids (one int per token, from a raw-word -> term-id cache over the fused analyzer) and
writes each field once at flush: numpy sorts the tokens into postings, and postwrite.TermsOut
writes the blocks. Other indexed fields (ids, dates, tags) go through the field's own
`index()` (cached per value), stored fields and columns through Whoosh's W3PerDocWriter.
"""

from __future__ import annotations

from array import array
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.util.numeric import _length_byte_cache

from searchsvc.engine.w3 import termarrays
from searchsvc.engine.w3.bulkfields import OtherField, TermIds, TextField
from searchsvc.engine.w3.formats import FastFrequency, FastPositions
from searchsvc.engine.w3.postwrite import TermsOut, TermTable, deflate
from searchsvc.text.tokenize import FusedAnalyzer

STORED_LEVEL = 1  # deflate level of stored fields: ~20% faster than Whoosh's 3, ~3% bigger
_LENGTH_CACHE = np.asarray(_length_byte_cache, dtype=np.int64)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Return whoosh.util.numeric.length_to_byte of every length (vectorised)."""
    lb = np.searchsorted(_LENGTH_CACHE, lengths, side="left")
    return np.where(lengths >= 106374, 255, lb).astype(np.uint8)


def _deflate_stored(data: bytes, level: int) -> bytes:
    """Compress a document's pickled stored fields (any zlib stream reads back the same)."""
    return deflate(data, STORED_LEVEL)


class SegmentBuilder:
    """Accumulate documents and write them as W3 segments into `storage` (one per flush)."""

    def __init__(self, schema, storage, indexname: str, codec=None, limit_tokens: int = 0) -> None:
        self.schema, self.storage, self.indexname = schema, storage, indexname
        self._folder = getattr(storage, "folder", None)  # term arrays go beside the segments
        self.codec = codec or W3Codec()
        self.limit_tokens = limit_tokens
        self.text: dict[str, TextField] = {}
        self.other: dict[str, OtherField] = {}
        term_tables: dict[int, TermIds] = {}
        for name in schema.names():
            field = schema[name]
            if not field.indexed:
                continue
            fused = isinstance(getattr(field, "analyzer", None), FusedAnalyzer)
            fast = type(field.format) in (FastPositions, FastFrequency)
            if fused and fast and not field.vector and not field.separate_spelling():
                table = term_tables.setdefault(id(field.analyzer), TermIds(field.analyzer))
                self.text[name] = TextField(name, field, table)
            else:
                if field.vector or field.separate_spelling():
                    raise ValueError(f"field {name}: vectors and spelling are not supported")
                self.other[name] = OtherField(name, field)
        self._tables = list(term_tables.values())
        self.stored = sorted(n for n in schema.names() if schema[n].stored)  # Whoosh's order
        self._names = set(schema.names()) | {f"_stored_{n}" for n in self.stored}
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
        # "_stored_<name>": a value to store instead of the indexed one (as add_document takes)
        get = fields.get
        stored = {n: v for n in self.stored if (v := get(f"_stored_{n}", get(n))) is not None}
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
        totals, ranked = {}, {}
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
            if name in termarrays.ARRAY_FIELDS and self._folder is not None:  # for queries
                ends = np.append(np.asarray(tstarts, dtype=np.int64), len(docs))
                ranked[name] = (terms, ends, docs, weights, getattr(acc, "last_positions", None))
        out.close()
        self.perdoc._fieldlengths.update(totals)
        self.perdoc._doccount = ndocs
        self.perdoc.close()
        segment.set_doc_count(ndocs)
        if segment.should_assemble():
            segment.create_compound_file(self.storage)
        for name, arrays in ranked.items():  # after assembly, which packs the segment's files
            termarrays.write_field(self._folder, segment.segment_id(), name, *arrays)
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
