"""The one bytes-to-text decoder every reader uses: BOM, declared charset, UTF-8, detection.

Order: a byte-order mark; the charset the document declares (HTML <meta>, XML declaration),
except that valid multi-byte UTF-8 wins over a stale single-byte Latin label; valid UTF-8;
charset-normalizer's guess; cp1252, then Latin-1. NUL bytes (without a UTF-16/32 BOM) or a
decoded text full of control characters mean a binary file: BadFile.
"""

from __future__ import annotations

import codecs
import re

from bs4.dammit import EncodingDetector

from searchsvc.ingest.fields import BadFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Labels browsers read as windows-1252 (WHATWG Encoding): its superset of Latin-1 and ASCII.
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii"}
_SINGLE_BYTE_LATIN = {"cp1252", "windows-1252", "iso-8859-15", "latin-9"} | _AS_CP1252
_HIGH = re.compile(rb"[\x80-\xff]")
_WESTERN_SYMBOLS = "£€¥¢©®°±·•§¶¡¿«»‘’‚“”„–—…†‡‰™\xa0"
SNIFF_BYTES = 8192
DETECT_BYTES = 200_000


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    """Return data without its byte-order mark, and the encoding the mark names (or None)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :], name
    return data, None


def declared_charset(data: bytes) -> str | None:
    """Return the charset an HTML/XML document declares near its start (<meta>, <?xml?>)."""
    name = EncodingDetector.find_declared_encoding(data[: SNIFF_BYTES * 4], is_html=True)
    if not name:
        return None
    name = name.strip().lower()
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # a declaration readable as ASCII cannot be in UTF-16 (WHATWG)
    return "cp1252" if name in _AS_CP1252 else name


def _stray_western(sample: bytes) -> bool:
    """True for mostly-ASCII bytes whose few others read as Western letters/symbols in cp1252."""
    others = _HIGH.findall(sample)
    if not others or len(others) > len(sample) * 0.02:
        return False
    text = _try(b"".join(others), "cp1252")
    return text is not None and all(c.isalpha() or c in _WESTERN_SYMBOLS for c in text)


def detect_charset(data: bytes) -> str | None:
    """Guess a legacy charset: cp1252 for a few stray Western bytes, else charset-normalizer."""
    from charset_normalizer import from_bytes

    if _stray_western(data[:DETECT_BYTES]):
        return "cp1252"
    matches = list(from_bytes(data[:DETECT_BYTES]))
    if not matches:
        return None
    best = min(matches, key=lambda m: m.chaos)
    # Mostly-ASCII Western text with a stray byte (a Latin-1 pound sign) often ranks an Asian
    # code page first at zero chaos; cp1252 is the better guess when it is nearly as clean.
    for m in matches:
        if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.15:
            return "cp1252"
    return best.encoding


def looks_binary(text: str) -> bool:
    """True when more than 5% of the first 8 KB of decoded text are control characters."""
    sample = text[:SNIFF_BYTES]
    return bool(sample) and len(_CONTROL.findall(sample)) > len(sample) * 0.05


def _try(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_bytes(data: bytes, *, markup: bool = False) -> str:
    """Decode a file's bytes to text (markup=True honours an HTML/XML charset declaration)."""
    body, bom = strip_bom(data)
    if bom:
        return body.decode(bom, "replace")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise BadFile("binary file (NUL bytes)")
    declared = declared_charset(data) if markup else None
    if declared and declared in _SINGLE_BYTE_LATIN and not data.isascii():
        # A page saved as UTF-8 under a stale Latin declaration: real Latin-1 text is
        # practically never also valid multi-byte UTF-8, so the bytes win over the label.
        text = _try(data, "utf-8")
        if text is not None:
            return text
    if declared:
        text = _try(data, declared)
        if text is not None and not looks_binary(text):
            return text
    text = _try(data, "utf-8")
    if text is not None and not looks_binary(text):
        return text
    if text is None:
        name = detect_charset(data)
        text = _try(data, name) if name else None
        if text is None or looks_binary(text):
            text = _try(data, "cp1252") or data.decode("latin-1")
    if looks_binary(text):
        raise BadFile("binary or undecodable file")
    return text
