"""The record format of the write-ahead log (ingest/wal.py): encoding, scanning, decoding.

A record is one line: an 8-digit hex CRC-32 and the length of its body, then the body, which is
a JSON header, a tab and the JSON payload (the article, or null for a deletion)::

    1f2e3d4c 0000000123 {"seq": 4398046511104, "op": "put", "id": "a-1", "t": 1760000000.1}\\t{...}

A scan stops at the first incomplete or damaged record.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

_PREFIX = 20  # "%08x %010d " before the body


@dataclass(frozen=True)
class Record:
    """One log record: position, operation, article id, time, and (when read) its payload."""

    seq: int
    end: int  # position just after this record (what a consumer records as applied)
    op: str  # "put" or "delete"
    id: str
    t: float
    payload: dict | None = None
    path: str = ""  # where it was read (fold): its file and offset there
    offset: int = 0


def file_number(name: str, prefix: str) -> int | None:
    """Return the number in a log or snapshot file name (None for other files)."""
    if name.startswith(prefix) and name.endswith(".wal"):
        digits = name[len(prefix) : -4]
        return int(digits) if digits.isdigit() else None
    return None


def encode(seq: int, op: str, article_id: str, payload: dict | None, t: float) -> bytes:
    """Return the bytes of one record."""
    head = json.dumps({"seq": seq, "op": op, "id": article_id, "t": round(t, 3)})
    body = (head + "\t" + json.dumps(payload, ensure_ascii=False)).encode("utf-8")
    return b"%08x %010d " % (zlib.crc32(body), len(body)) + body + b"\n"


def scan(f, start: int, size: int, payload: bool) -> Iterator[tuple[int, int, dict, bytes]]:
    """Yield (offset, end, header, payload bytes or b"") of the complete records from start."""
    pos = start
    while pos + _PREFIX + 1 <= size:
        f.seek(pos)
        prefix = f.read(_PREFIX)
        try:
            crc, length = int(prefix[:8], 16), int(prefix[9:19])
        except ValueError:
            return
        end = pos + _PREFIX + length + 1
        if prefix[8:9] != b" " or prefix[19:20] != b" " or end > size:
            return
        if payload:
            body = f.read(length + 1)
            if body[-1:] != b"\n" or zlib.crc32(body[:-1]) != crc:
                return
            head, _, rest = body[:-1].partition(b"\t")
        else:
            f.seek(end - 1)
            if f.read(1) != b"\n":
                return
            f.seek(pos + _PREFIX)
            head, rest = f.read(min(length, 1024)).partition(b"\t")[0], b""
        try:
            header = json.loads(head)
        except ValueError:
            return
        yield pos, end, header, rest
        pos = end


def raw(f, offset: int) -> bytes:
    """Return the bytes of the record at offset of an open log file, as they are."""
    f.seek(offset)
    length = int(f.read(_PREFIX)[9:19])
    f.seek(offset)
    return f.read(_PREFIX + length + 1)


def decode(seq: int, end: int, head: dict, body: bytes, path="", offset: int = 0) -> Record:
    """Return the Record of a scanned header and payload bytes."""
    payload = json.loads(body) if body else None
    t = float(head.get("t", 0))
    return Record(seq, end, head["op"], head["id"], t, payload, str(path), offset)
