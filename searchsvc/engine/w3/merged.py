"""Merged term arrays: the big segments' term arrays as one, so a term is one lookup, not 32.

A large build leaves many bulk segments of ~10,000 documents each (the builders' memory bound):
Reuters x20 has 32. Every term lookup, proximity and feedback pass then repeats its binary
searches and numpy calls once per segment. After a build, `write_merged` concatenates the term
arrays of the leading segments that the tiered merge policy never rewrites (engine/w3/tiers.py:
`MAX_MERGE_DOCS` documents or more, with any partial segment between them) into one set,
`merged.<field>.<part>.npy` in the generation folder, in the same format as a segment's
(engine/w3/termarrays.py) with document numbers counted from the first covered segment.
`merged.json` names the covered segments and their sizes; a reader uses the set only while its
first segments are exactly those (deletions are applied by the live masks, as for any segment),
so an update that keeps the big segments keeps it, and one that drops one of them falls back to
the per-segment arrays until the next commit merges again.

The names carry no `_<segment id>.` part, so Whoosh's file cleaner leaves them alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from searchsvc.engine.w3.termarrays import FIELDS, KEY_FIELDS, MAX_TERM_BYTES, TermArrays
from searchsvc.engine.w3.tiers import MAX_MERGE_DOCS

NAME = "merged"
MANIFEST = f"{NAME}.json"
MIN_SEGMENTS = 2  # fewer: nothing to gain


def covered(folder: str | os.PathLike) -> list[tuple[str, int]] | None:
    """Return the [segment id, document count] pairs a folder's merged arrays cover, or None."""
    try:
        with open(Path(folder) / MANIFEST, encoding="utf-8") as f:
            return [(str(s), int(n)) for s, n in json.load(f)["segments"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def leading(
    segments: list[tuple[str | None, int, bool]], min_docs: int = MAX_MERGE_DOCS
) -> list[tuple[str, int]]:
    """Return the leading segments worth merging, from (id, document count, has arrays).

    The longest run of segments with arrays from the first that ends with a big one
    (`min_docs` documents or more: by default one the tiered policy never rewrites). A
    builder's last, partial segment may stand between big ones; if a later merge of small
    segments removes it, the next commit merges the arrays again.
    """
    run: list[tuple[str, int]] = []
    end = 0
    for sid, count, has_arrays in segments:
        if sid is None or not has_arrays:
            break
        run.append((sid, count))
        if count >= min_docs:
            end = len(run)
    return run[:end] if end >= MIN_SEGMENTS else []


def write_merged(folder: str | os.PathLike, segments: list[tuple[str, int]]) -> bool:
    """Write the merged term arrays of `segments` (in index order) into folder; True if written.

    Files already there are unlinked first, never written through: a new generation holds
    hard links to the previous generation's files.
    """
    folder = Path(folder)
    if covered(folder) == segments:
        return False
    for p in folder.glob(f"{NAME}.*"):
        p.unlink()
    if not segments:
        return False
    offsets = np.cumsum([0] + [n for _, n in segments[:-1]]).tolist()
    for field in FIELDS:
        arrays = [TermArrays(folder, sid, field) for sid, _ in segments]
        if any(a.positions is None for a in arrays):
            return False
        _merge_field(folder, field, arrays, offsets)
    for field in KEY_FIELDS:  # segments built before these had arrays: read through Whoosh
        try:
            arrays = [TermArrays(folder, sid, field) for sid, _ in segments]
        except (OSError, ValueError):
            continue
        _merge_field(folder, field, arrays, offsets)
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps({"segments": [list(s) for s in segments]}), encoding="utf-8")
    tmp.replace(folder / MANIFEST)  # last: the arrays are complete once this names them
    return True


def _out(folder: Path, field: str, part: str, dtype, n: int) -> np.ndarray:
    path = folder / f"{NAME}.{field}.{part}.npy"
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n,))


def _merge_field(folder: Path, field: str, arrays: list[TermArrays], offsets: list[int]) -> None:
    """Write one field's merged arrays: each term's postings segment after segment."""
    union = np.unique(np.concatenate([a.terms for a in arrays]))
    gids = [np.searchsorted(union, a.terms) for a in arrays]
    sizes = [np.diff(a.starts) for a in arrays]
    total = np.zeros(len(union), dtype=np.int64)
    for g, s in zip(gids, sizes, strict=True):
        total[g] += s  # a segment holds each term once: no repeated index in g
    starts = np.concatenate(([0], np.cumsum(total))).astype(np.int64)
    wide = any(a.weights.dtype == np.float64 for a in arrays)
    out = {
        "terms": _out(folder, field, "terms", f"S{MAX_TERM_BYTES}", len(union)),
        "starts": _out(folder, field, "starts", np.int64, len(starts)),
        "docs": _out(folder, field, "docs", np.int32, int(starts[-1])),
        "weights": _out(
            folder, field, "weights", np.float64 if wide else np.float32, int(starts[-1])
        ),
    }
    out["terms"][:], out["starts"][:] = union, starts
    run = starts[:-1].copy()  # where each term's next segment goes
    for a, g, s, offset in zip(arrays, gids, sizes, offsets, strict=True):
        dest = np.repeat(run[g] - a.starts[:-1], s) + np.arange(len(a.docs))
        out["docs"][dest] = a.docs.astype(np.int64) + offset
        out["weights"][dest] = a.weights
        run[g] += s
    if all(a.positions is not None for a in arrays):
        _merge_positions(folder, field, arrays, gids, out)
    for part in out.values():
        part.flush()
    del out


def _merge_positions(folder: Path, field: str, arrays: list[TermArrays], gids, out) -> None:
    """Write the merged position arrays: each term's positions segment after segment."""
    psizes = [np.diff(np.append(a.tpos, len(a.positions))) for a in arrays]
    ptotal = np.zeros(len(out["terms"]), dtype=np.int64)
    for g, p in zip(gids, psizes, strict=True):
        ptotal[g] += p
    tpos = np.concatenate(([0], np.cumsum(ptotal)))[:-1].astype(np.int64)
    out["tpos"] = _out(folder, field, "tpos", np.int64, len(tpos))
    out["positions"] = _out(folder, field, "positions", np.int32, int(ptotal.sum()))
    out["tpos"][:] = tpos
    prun = tpos.copy()
    for a, g, p in zip(arrays, gids, psizes, strict=True):
        pdest = np.repeat(prun[g] - a.tpos, p) + np.arange(len(a.positions))
        out["positions"][pdest] = a.positions
        prun[g] += p
