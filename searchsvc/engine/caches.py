"""The per-generation caches: a thread-safe LRU bounded by item count or bytes; heap release."""

from __future__ import annotations

import ctypes
import ctypes.util
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


def release_heap() -> None:
    """Give the heap's free pages back to the OS (glibc's malloc_trim; elsewhere nothing).

    Building a generation's columns makes and drops millions of small Python objects (at
    Reuters x20 a peak of ~190 MB); the allocator keeps the freed pages otherwise, and they
    count in every worker's private memory (70 MB at x20).
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _libc():
    global _LIBC
    if _LIBC is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC = lib if hasattr(lib, "malloc_trim") else False
        except OSError:
            _LIBC = False
    return _LIBC or None


_LIBC = None
