"""The package's shape (issue 12): Whoosh internals in one private layer, small modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "searchsvc"
STORAGE = {"codec", "filedb", "writing", "matching", "columns", "util", "reading"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_only_engine_w3_imports_whoosh_storage_modules():
    private = PACKAGE / "engine" / "w3"
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in _modules()
        if private not in path.parents
        for name in _imported(path)
        if name.split(".")[0] == "whoosh"
        and len(name.split(".")) > 1
        and name.split(".")[1] in STORAGE
    ]
    assert offenders == []


def test_no_caches_are_stashed_on_whoosh_objects():
    stash = re.compile(r"[\"']_searchsvc_|__dict__\[|__dict__\.setdefault")
    assert [p.name for p in _modules() if stash.search(p.read_text(encoding="utf-8"))] == []


def test_modules_are_small_and_the_top_level_is_short():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 10, top
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}  # fmt: skip
    assert long == {}
