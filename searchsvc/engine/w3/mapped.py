"""Zero-copy reads of compound Whoosh segments: one shared memory map per segment file.

Whoosh maps a compound segment (`.seg`) and then copies every part of it into a BytesIO, so
each process holds a private copy of the whole index (~680 MB per worker at Reuters x5).
`MappedStorage` maps the file itself and hands Whoosh views of the map: the pages are the
page cache's, shared by every worker, and no file descriptor stays open (as before).
"""

from __future__ import annotations

import mmap
import os

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile


class _View:
    """A read-only file over a memoryview: read, seek and tell without copying the bytes."""

    def __init__(self, buf: memoryview) -> None:
        self._buf, self._pos = buf, 0

    def read(self, n: int = -1) -> bytes:
        """Return up to n bytes from the current position (all that is left for n < 0)."""
        end = len(self._buf) if n is None or n < 0 else min(len(self._buf), self._pos + n)
        out = bytes(self._buf[self._pos : end])
        self._pos = end
        return out

    def readline(self, limit: int = -1) -> bytes:
        """Return the bytes up to and including the next newline (pickle reads with it)."""
        stop = (
            len(self._buf) if limit is None or limit < 0 else min(len(self._buf), self._pos + limit)
        )
        end = self._pos
        while end < stop:  # look in small windows: lines in pickles are short
            window = bytes(self._buf[end : min(stop, end + 256)])
            nl = window.find(b"\n")
            if nl >= 0:
                return self.read(end + nl + 1 - self._pos)
            end += len(window)
        return self.read(stop - self._pos)

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        """Move to pos (from the start, the current position or the end)."""
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._buf)}[whence]
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        """Return the current position."""
        return self._pos

    def close(self) -> None:
        """Do nothing: the map is released when its last view is gone."""


class _ViewFile(BufferFile):
    """Whoosh's BufferFile without its BytesIO copy of the buffer."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None) -> None:
        StructFile.__init__(self, _View(buf), name=name, onclose=onclose)
        self._buf = buf

    def view(self) -> memoryview:
        """Return the file's bytes as a memoryview of the map (no copy)."""
        return self._buf

    def subset(self, position: int, length: int, name: str | None = None) -> _ViewFile:
        """Return a view of part of this file (CompoundStorage opens its parts this way)."""
        return _ViewFile(self._buf[position : position + length], name=name or self._name)


class MappedStorage(FileStorage):
    """A FileStorage whose compound segment files are read as memory-mapped views.

    The returned file has no `fileno`, so Whoosh's CompoundStorage does not map it again and
    opens each part through `subset`, a view of the same map. Read-only for searching; a
    writer's storage (`readonly=False`) creates files as usual and reads the existing segments
    through maps too (segment files are never rewritten, only new ones made).
    """

    def __init__(self, path: str, readonly: bool = True) -> None:
        super().__init__(path, supports_mmap=True, readonly=readonly)

    def open_file(self, name: str, **kwargs):
        """Open a file; compound segments come back as a view of a shared memory map."""
        if not name.endswith(".seg"):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return super().open_file(name, **kwargs)
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return _ViewFile(memoryview(mapped), name=name)
