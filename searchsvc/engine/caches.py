"""A thread-safe LRU cache bounded by item count or bytes, for the per-generation caches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRU:
    """A thread-safe least-recently-used cache bounded by a total size (default: item count)."""

    def __init__(self, limit: int, size: Callable[[Any], int] = lambda _: 1) -> None:
        self.limit, self.used, self.size = limit, 0, size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable):
        """Return the cached value of key (and mark it recently used), or None."""
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: Hashable, value):
        """Cache value under key (dropping the least recently used over the limit); return it."""
        size = self.size(value)
        with self.lock:
            if key in self.items:  # another thread was first: keep one copy
                return self.items[key]
            if size <= self.limit:
                self.items[key] = value
                self.used += size
                while self.used > self.limit:
                    _, old = self.items.popitem(last=False)
                    self.used -= self.size(old)
        return value


def array_bytes(value: tuple) -> int:
    """Return the bytes held by a cached tuple of arrays, with their headers."""
    return 250 + sum(a.nbytes for a in value)
