"""The one bytes-to-text decoder: BOMs, declarations, UTF-8, detection, binary files."""

from __future__ import annotations

import pytest

from searchsvc.ingest.decode import declared_charset, decode_bytes
from searchsvc.ingest.fields import BadFile

CAFE = "Le café est très bon, à Paris, déjà. It cost £4 — “really”."


@pytest.mark.parametrize(
    ("text", "encoding", "markup"),
    [
        (CAFE, "utf-8", False),
        ("\ufeff" + CAFE, "utf-8", False),  # the BOM is dropped (see below)
        (CAFE, "utf-16", False),  # BOM first, so its NUL bytes are fine
        (CAFE, "utf-32", False),
        (CAFE, "cp1252", False),  # undeclared legacy bytes: detection prefers cp1252
        ("Price: \xa315.8m", "latin-1", False),  # one stray byte in ASCII text
        # Declared charsets are honoured in markup...
        (f'<meta charset="cp1252"><p>{CAFE}', "cp1252", True),
        ("<meta charset=koi8-r><p>Привет, мир", "koi8-r", True),
        # ...but valid multi-byte UTF-8 wins over a stale single-byte Latin label...
        ('<meta charset="iso-8859-1"><p>déjà', "utf-8", True),
    ],
)
def test_decode_bytes(text, encoding, markup):
    assert decode_bytes(text.encode(encoding), markup=markup) == text.lstrip("\ufeff")


def test_wrong_utf8_label_on_latin1_bytes():
    page = '<meta charset="utf-8"><p>déjà vu, café'
    assert decode_bytes(page.encode("latin-1"), markup=True) == page


def test_declared_charset_forms():
    assert declared_charset(b'<meta charset="ISO-8859-1">') == "cp1252"
    equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=utf-16">'
    assert declared_charset(equiv) == "utf-8"
    assert declared_charset(b'<?xml version="1.0" encoding="windows-1251"?><p>') == "windows-1251"
    assert declared_charset(b"<p>no declaration</p>") is None


def test_binary_is_refused():
    with pytest.raises(BadFile, match=r"^binary file \(NUL bytes\)$"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(BadFile, match=r"^binary or undecodable file$"):
        decode_bytes(bytes(range(1, 32)) * 100)
