"""Listing a corpus: sorted walk, hidden files, `.searchsvcignore`, symlinks out of the corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pathspec

IGNORE_FILE = ".searchsvcignore"
OUTSIDE_LINK = "symlink to a file outside the corpus"


def load_ignore(root: Path) -> pathspec.PathSpec | None:
    """Return the gitignore-style patterns of root/.searchsvcignore, or None without one."""
    try:
        lines = (Path(root) / IGNORE_FILE).read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def rel_path(path: Path, root: Path) -> str:
    """Return path relative to root in POSIX form, without resolving symlinks (or the name)."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            return Path(path).name


def is_outside(path: Path, root: Path) -> bool:
    """True when path, with every symlink followed, lies outside root."""
    try:
        Path(path).resolve(strict=True).relative_to(Path(root).resolve())
    except ValueError:
        return True
    except (OSError, RuntimeError):
        return False  # a broken link or a loop: reading it reports that instead
    return False


def discover(root: Path, *, follow_external_links: bool = False) -> Iterator[Path]:
    """Yield the corpus files below root in sorted order, minus hidden and ignored ones.

    Patterns in root/.searchsvcignore (gitignore syntax) leave files and folders out. Symlinked
    files are yielded wherever they point, so that read_file reports one that leaves the corpus;
    symlinked folders are entered only when they lead out of the corpus and
    follow_external_links is set (each real folder once, so a loop ends).
    """
    root = Path(root)
    spec = load_ignore(root)
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_external_links):
        if follow_external_links:
            st = os.stat(dirpath)
            if (st.st_dev, st.st_ino) in seen:
                dirnames[:] = []
                continue
            seen.add((st.st_dev, st.st_ino))
        here = Path(dirpath)
        base = rel_path(here, root)
        prefix = "" if base == "." else base + "/"
        keep = []
        for d in sorted(dirnames):
            if d.startswith(".") or (spec is not None and spec.match_file(f"{prefix}{d}/")):
                continue
            if follow_external_links and (here / d).is_symlink() and not is_outside(here / d, root):
                continue  # a link back into the corpus: its files are found where they are
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith(".") or (spec is not None and spec.match_file(prefix + name)):
                continue
            path = here / name
            if path.is_file():
                yield path
