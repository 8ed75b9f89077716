"""Near-duplicate keys: articles whose text is the same copy get the same key."""

from __future__ import annotations

import hashlib
import re

_WS = re.compile(r"\s+")


def near_duplicate_key(title: str, body: str) -> str:
    """Return the near-duplicate group key: a hash of the text after folding case and spaces."""
    text = body if len(body) >= 40 else f"{title} {body}"
    norm = _WS.sub(" ", text).strip().casefold()
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()
