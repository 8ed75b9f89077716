"""Outlet names: one key per outlet however it is written, and names found on a page."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_LEADING_THE = re.compile(r"^the\s+", re.I)
_EDITION = re.compile(r"\s+(online|on\s*line|digital|web\s+edition)$", re.I)  # "X Online" is X
_NOT_ALNUM = re.compile(r"[\W_]+")
# "© 2025 The English Chronicle. All rights reserved.", "Copyright (c) 2019-2024 Foo Media Ltd"
_COPYRIGHT = re.compile(
    r"(?:copyright\s*)?(?:©|\(c\)|&copy;|(?<=copyright )(?=\d{4}))\s*"
    r"(?:\d{4}(?:\s*[-–]\s*\d{2,4})?\s*,?\s*)?"
    r"(?P<name>[^\W\d][^|•·\n]{1,80}?)\s*(?:[.,|•·]\s|all rights|$)",
    re.I,
)
_NOT_A_NAME = re.compile(r"^(all rights|copyright|by |the authors?$|\d)", re.I)
_COMPANY_SUFFIX = re.compile(r",?\s+(inc|ltd|llc|plc|gmbh|s\.?a|limited|corp(oration)?)\.?$", re.I)
NAME_MAX = 60


def source_key(name: str) -> str:
    """Return one key for every spelling of an outlet name (case, accents, "The", punctuation).

    "The Marlow Valley Courier", "Marlow Valley Courier" and "marlow-valley courier" share a key,
    and so do "The English Chronicle Online" and "The English Chronicle".
    """
    text = unicodedata.normalize("NFKD", name.strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    return _NOT_ALNUM.sub("", _EDITION.sub("", _LEADING_THE.sub("", text)))


def domain_of(url: str) -> str:
    """Return the host of a URL in lower case without a leading "www.", or ""."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def clean_name(name: str) -> str:
    """Return an outlet name with collapsed spaces, or "" when it is too long to be one."""
    name = " ".join(name.split()).strip(" .,:;|-–—")
    return name if 1 < len(name) <= NAME_MAX else ""


def name_from_copyright(text: str) -> str:
    """Return the holder named in a copyright line ("© 2025 The Daily Planet. All rights...")."""
    for m in _COPYRIGHT.finditer(text):
        name = clean_name(_COMPANY_SUFFIX.sub("", m.group("name")))
        if name and not _NOT_A_NAME.match(name) and len(name.split()) <= 6:
            return name
    return ""
