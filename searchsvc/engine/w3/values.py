"""Readers of variable-length column values by document (article ids, for hits' copies).

Whoosh's VarBytes reader sums the column's offsets in a Python loop when it opens and reads a
value through four Python layers; these read the same values with numpy offsets and, when the
segment is memory-mapped (engine/w3/mapped.py), one slice of the map a value.
"""

from __future__ import annotations

import struct
from array import array

import numpy as np
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.columns import TranslatingColumnReader, VarBytesColumn

from searchsvc.engine.w3.mapped import _ViewFile


def column_reader(leaf, name: str):
    """Return a segment's reader of a column (values translated), or None if it has none."""
    if not leaf.has_column(name):
        return None
    column, perdoc = leaf.schema[name].column_type, getattr(leaf, "_perdoc", None)
    if type(column) is not VarBytesColumn or not isinstance(perdoc, W3PerDocReader):
        return leaf.column_reader(name)
    if name not in perdoc._colfiles:
        perdoc._colfiles[name] = perdoc._get_column_file(name)
    colfile, offset, length = perdoc._colfiles[name]
    reader = _VarBytesReader(colfile, offset, length, leaf.doc_count_all())
    translate = leaf.schema[name].from_column_value
    if isinstance(colfile, _ViewFile):  # mapped: each value is one slice of the map
        return _MappedValues(reader, colfile.view(), translate)
    return TranslatingColumnReader(reader, translate)


class _MappedValues:
    """A VarBytes column's translated values by document, sliced from the file's memory map
    (Whoosh's reader goes through four Python layers a value: 21 us an id at Reuters x20)."""

    def __init__(self, reader: VarBytesColumn.Reader, buf: memoryview, translate) -> None:
        self._lengths, self._offsets = reader._lengths, reader._offsets
        self._base, self._buf, self._translate = reader._basepos, buf, translate

    def __len__(self) -> int:
        return len(self._lengths)

    def __getitem__(self, docnum: int):
        n = self._lengths[docnum]
        start = self._base + self._offsets[docnum]
        return self._translate(bytes(self._buf[start : start + n]))


class _VarBytesReader(VarBytesColumn.Reader):
    """Whoosh's VarBytes column reader, with the offsets it derives from the lengths summed by
    numpy: Whoosh's Python loop took 0.2 s over the id columns at Reuters x20, at each new
    generation."""

    def _read_offsets_and_lengths(self) -> None:
        dbfile, doccount = self._dbfile, self._doccount
        last = self._basepos + self._length - 1
        code = chr(dbfile.get_byte(last))
        if code == "X":  # the offsets were written: Whoosh's own reading is fast
            super()._read_offsets_and_lengths()
            return
        size = struct.calcsize(code)
        self._lengths = dbfile.get_array(last - size * doccount, code, doccount)
        lengths = np.frombuffer(self._lengths, dtype=self._lengths.typecode).astype(np.int64)
        self._offsets = array("q")
        self._offsets.frombytes((np.cumsum(lengths) - lengths).tobytes())  # where each starts
