"""Write one field's terms and posting blocks in Whoosh's W3 format from whole-field arrays.

Whoosh's W3FieldWriter/W3PostingsWriter take one posting at a time through several Python
calls. Here a field arrives complete (terms in order, every posting's document, weight and
value), so block boundaries, delta-encoded ids, weight minification and the block/term statistics
are computed with numpy, and Python only runs once per block (pickle, deflate, write) and once per
term (term info). The bytes decode exactly as Whoosh's own: same pickled tuples, same statistics.
"""

from __future__ import annotations

import struct
import zlib
from hashlib import md5
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort

BLOCK_LIMIT = 128  # postings per block (W3Codec's blocklimit)
COMPRESSION = 3  # deflate level of posting blocks (W3Codec's compression)
# Block data is pickled with protocol 4, where bytes are stored as they are; protocol 2 (Whoosh's)
# stores each posting value as a latin-1 string plus a codecs call, twice the bytes to deflate.
# Readers only call pickle.loads on it, and the loaded tuple is the same.
BLOCK_PROTOCOL = 4
# Smaller pickled blocks are written uncompressed (deflate saves nothing on them; Whoosh meant
# to skip compressing blocks under 20 bytes and readers check each block's flag).
MIN_DEFLATE = 128
_TERMINFO = W3TermInfo._struct
_LENGTHS = struct.Struct("!ii")  # key and value length of a term table record
_POINTER = struct.Struct("!Iq")  # hash and record position in a term table hash slot
_NULL_SLOT = _POINTER.pack(0, 0)


def deflate(data: bytes, level: int = COMPRESSION) -> bytes:
    """Return zlib.compress(data, level) (a sized-down window measured slower in real builds)."""
    return zlib.compress(data, level)


def _none_for_1(weights: list[float]) -> list[float | None]:
    return [None if w == 1.0 else w for w in weights]


class TermTable(OrderedHashWriter):
    """Whoosh's ordered term hash (.trm), buffering records and counting offsets itself.

    The file is the same: records, then the 256 hash tables, directory, extras and key index.
    """

    def __init__(self, dbfile) -> None:
        super().__init__(dbfile)
        self._pos = dbfile.tell()
        self._records: list[bytes] = []
        self._positions: list[int] = []

    def add(self, key: bytes, value: bytes) -> None:
        """Add a key (greater than the last one) and its value."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        pos = self._pos
        record = _LENGTHS.pack(len(key), len(value)) + key + value
        self._records.append(record)
        self._positions.append(pos)
        self._pos += len(record)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")  # md5_hash
        self.buckets[h & 255].append((h, pos))
        self.lastkey = key

    def add_many(self, keys: list[bytes], values: list[bytes]) -> None:
        """Add keys (increasing, all greater than the last one) and their values."""
        if not keys:
            return
        if keys[0] <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{keys[0]!r}")
        pack, buckets, pos = _LENGTHS.pack, self.buckets, self._pos
        records, positions = self._records, self._positions
        for key, value in zip(keys, values, strict=True):
            record = pack(len(key), len(value)) + key + value
            records.append(record)
            positions.append(pos)
            h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
            buckets[h & 255].append((h, pos))
            pos += len(record)
        self._pos = pos
        self.lastkey = keys[-1]

    def _write_hashes(self) -> None:
        """HashWriter._write_hashes (same linear-probing tables), written in one call."""
        pos = self.dbfile.tell()
        out = []
        for entries in self.buckets:
            numslots = 2 * len(entries)
            self.directory.append((pos, numslots))
            table: list = [None] * numslots
            for entry in entries:
                slot = (entry[0] >> 8) % numslots
                while table[slot] is not None:
                    slot = (slot + 1) % numslots
                table[slot] = entry
            out.append(b"".join([_NULL_SLOT if e is None else _POINTER.pack(*e) for e in table]))
            pos += numslots * _POINTER.size
        self.dbfile.write(b"".join(out))

    def close(self) -> None:
        """Write the buffered records, then finish the table as Whoosh does."""
        self.dbfile.write(b"".join(self._records))
        if self._positions:
            self.index._retype(self._positions[-1])
            self.index.array.extend(self._positions)
        super().close()


class TermsOut:
    """The .trm and .pst files of a new segment: terms must arrive in (field, bytes) order."""

    def __init__(self, tindex, postfile) -> None:
        self.tindex = tindex  # a whoosh.filedb.filetables.OrderedHashWriter
        self.postfile = postfile
        self.fieldmap = tindex.extras["fieldmap"] = {}
        self.offset = postfile.tell()

    def write_field(
        self,
        fieldname: str,
        terms: list[bytes],
        starts: np.ndarray,
        docs: np.ndarray,
        weights: np.ndarray,
        values: list[bytes] | bytes | None,
        lenbytes: np.ndarray | None,
        value_size: int | None,
    ) -> None:
        """Write the postings of one field.

        Term i owns postings starts[i]:starts[i+1] (docs increasing). `values` is a list of
        bytes per posting (variable-size formats), one bytes string of all `value_size`-byte
        values (fixed-size formats) or None (no values). `lenbytes` holds each document's
        length byte for scorable fields (None otherwise).
        """
        if not terms:
            return
        fieldid = self.fieldmap.setdefault(fieldname, len(self.fieldmap))
        prefix = pack_ushort(fieldid)
        npost = len(docs)
        starts = np.asarray(starts, dtype=np.int64)
        # Blocks: each term's postings cut every BLOCK_LIMIT.
        counts = np.diff(np.append(starts, npost))
        nblocks = (counts + BLOCK_LIMIT - 1) // BLOCK_LIMIT
        bterm = np.repeat(np.arange(len(terms)), nblocks)
        first_block = np.cumsum(nblocks) - nblocks
        bstart = starts[bterm] + (np.arange(len(bterm)) - first_block[bterm]) * BLOCK_LIMIT
        bend = np.minimum(bstart + BLOCK_LIMIT, np.append(starts[1:], npost)[bterm])
        # Ids: absolute at a block's start, else the difference from the previous posting.
        docs = np.asarray(docs, dtype=np.int64)
        delta = np.diff(docs, prepend=0)
        delta[bstart] = docs[bstart]
        w64 = np.asarray(weights, dtype=np.float64)
        w32 = w64.astype(np.float32)
        wsum = np.add.reduceat(w32.astype(np.float64), bstart)
        wmax = np.maximum.reduceat(w64, bstart)
        wlo = np.minimum.reduceat(w32, bstart)
        whi = np.maximum.reduceat(w32, bstart)
        if lenbytes is not None:
            lb = lenbytes[docs]
            lmin, lmax = np.minimum.reduceat(lb, bstart), np.maximum.reduceat(lb, bstart)
        else:
            lmin = lmax = np.zeros(len(bstart), dtype=np.uint8)
        self._write_blocks(
            prefix,
            terms,
            nblocks.tolist(),
            (bstart.tolist(), bend.tolist(), docs.tolist(), delta.tolist(), w32.tolist()),
            # _mini_weights: None when all are 1.0, the float when all are equal, else a tuple
            (wsum.tolist(), wmax.tolist(), (wlo == whi).tolist(), _none_for_1(wlo.tolist())),
            (lmin.tolist(), lmax.tolist()),
            values,
            value_size,
        )

    def _write_blocks(self, prefix, terms, nblocks, post, stats, lens, values, value_size):
        """Python part of write_field: one pickle+deflate per block, one term info per term."""
        bstart, bend, docs, delta, wf = post
        wsum, wmax, wsame, wfirst = stats
        lmin, lmax = lens
        out, keys, infos, pos = [], [], [], self.offset

        def block(b: int, compress) -> tuple:
            """Return (start, end, data bytes, compression level) of posting block b."""
            s, e = bstart[b], bend[b]
            mini_w = wfirst[b] if wsame[b] else tuple(wf[s:e])
            if value_size is None:
                vals = tuple(values[s:e])
            elif value_size == 0:
                vals = None
            else:
                vals = values[s * value_size : e * value_size]
            data = dumps((tuple(delta[s:e]), mini_w, vals), BLOCK_PROTOCOL)
            comp = COMPRESSION if len(data) >= MIN_DEFLATE else 0
            return s, e, (compress(data) if comp else data), comp

        b = 0
        for term, nb in zip(terms, nblocks, strict=True):
            term_start = pos
            if nb == 1:  # most terms: one block, whose statistics are the term's
                s, e, data, comp = block(b, deflate)
                mw, lo, hi = wmax[b], lmin[b], lmax[b]
                info = dumps((e - s, docs[e - 1], mw, comp, lo, hi), 2)
                blob = b"".join(
                    (WHOOSH3_HEADER_MAGIC, pack_int(-len(info) - len(data)), info, data)
                )
                out.append(blob)
                pos += len(blob)
                head = _TERMINFO.pack(
                    0, wsum[b], e - s, lo if hi else 0, hi, mw, docs[s], docs[e - 1]
                )
                keys.append(prefix + term)
                infos.append(head + pack_long(term_start) + pack_int(len(blob)))
                b += 1
                continue
            tw, tmaxw, tmin, tmax = 0.0, 0, 255, 0
            blobs = [WHOOSH3_HEADER_MAGIC]
            for k in range(nb):
                s, e, data, comp = block(b, deflate)
                info = dumps((e - s, docs[e - 1], wmax[b], comp, lmin[b], lmax[b]), 2)
                size = len(info) + len(data)
                blobs += (pack_int(-size if k == nb - 1 else size), info, data)
                tw += wsum[b]
                tmaxw = max(tmaxw, wmax[b])
                tmin, tmax = min(tmin, lmin[b]), max(tmax, lmax[b])
                b += 1
            blob = b"".join(blobs)
            out.append(blob)
            pos += len(blob)
            first, last = docs[bstart[b - nb]], docs[bend[b - 1] - 1]
            df = bend[b - 1] - bstart[b - nb]
            head = _TERMINFO.pack(0, tw, df, tmin if tmax else 0, tmax, tmaxw, first, last)
            keys.append(prefix + term)
            infos.append(head + pack_long(term_start) + pack_int(pos - term_start))
        self.postfile.write(b"".join(out))
        self.tindex.add_many(keys, infos)
        self.offset = pos

    def close(self) -> None:
        """Finish the term table and close both files."""
        self.tindex.close()
        self.postfile.close()


_PICKLE_HEAD = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)  # protocol 2, list, memo 0
_K, _M, _J = ord("K"), ord("M"), ord("J")  # BININT1, BININT2, BININT opcodes


def encode_positions(pos: np.ndarray, pstart: np.ndarray, freq: np.ndarray) -> list[bytes]:
    """Return Positions.encode(poslist) of every posting, built in one numpy buffer.

    `pos` holds all positions posting after posting, `pstart` where each posting starts, `freq`
    its length. Each value is pack_uint(n) + pickle.dumps(deltas, 2), byte for byte.
    """
    npost, ntok = len(pstart), len(pos)
    if not npost:
        return []
    post_of = np.repeat(np.arange(npost), freq)
    delta = np.diff(pos, prepend=0)
    delta[pstart] = pos[pstart]
    size = np.where(delta < 256, 2, np.where(delta < 65536, 3, 5))
    csum = np.cumsum(size)
    items = np.add.reduceat(size, pstart)
    multi = freq > 1
    # n == 1: head(4+5) item 'a' '.'; n > 1: head '(' items 'e' '.'
    psize = 11 + items + multi
    pend = np.cumsum(psize)
    pbeg = pend - psize
    buf = np.zeros(int(pend[-1]), dtype=np.uint8)
    buf[pbeg[:, None] + np.arange(4)] = freq.astype(">u4").view(np.uint8).reshape(-1, 4)
    buf[pbeg[:, None] + 4 + np.arange(5)] = _PICKLE_HEAD
    buf[pbeg[multi] + 9] = ord("(")
    item_beg = pbeg + 9 + multi
    before = (csum - size) - (csum - size)[pstart][post_of]
    off = item_beg[post_of] + before
    buf[off] = np.where(size == 2, _K, np.where(size == 3, _M, _J))
    d = delta.astype("<u4").view(np.uint8).reshape(-1, 4)
    for k in range(4):
        sel = size > k + 1
        buf[off[sel] + 1 + k] = d[sel, k]
    item_end = item_beg + items
    buf[item_end] = np.where(multi, ord("e"), ord("a"))
    buf[item_end + 1] = ord(".")
    raw = buf.tobytes()
    values = list(map(raw.__getitem__, map(slice, pbeg.tolist(), pend.tolist())))
    if (ntok and freq.max() > 1000) or delta.max(initial=0) >= 1 << 31:
        # pickle batches APPENDS per 1000 items and has other int opcodes: let it encode those
        ends = np.append(pstart[1:], ntok)
        for i in np.flatnonzero((freq > 1000) | (np.maximum.reduceat(delta, pstart) >= 1 << 31)):
            deltas = delta[pstart[i] : ends[i]].tolist()
            values[i] = pack_uint(len(deltas)) + dumps(deltas, 2)
    return values
