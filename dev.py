#!/usr/bin/env python3
"""Set-up and test entry point that needs nothing but Python 3.11 and this checkout.

python3 dev.py serve        # venv + package + index of corpus/, then serve on http://127.0.0.1:8000
python3 dev.py test         # venv + test tools + Debian packages for the tests; ruff; all of pytest
python3 dev.py test --fast  # venv + test tools; ruff; only the quick tests (FAST_MARKS below)

Other arguments after `test` go to pytest as they are.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
# Debian packages the test suite drives for real: the browser for the end-to-end tests.
DEBIAN_TEST_PACKAGES = {"chromium": "/usr/bin/chromium"}
# npm packages of the browser tests (axe-core, injected into pages): tests/e2e/package-lock.json.
NPM_DIR = ROOT / "tests" / "e2e"
# The quick set of `test --fast`: no real server, subprocess indexer, browser or shared data, and
# nothing that takes more than about a second (the markers are declared in pyproject.toml).
FAST_MARKS = "not slow and not e2e and not data"


def sh(*cmd: str | Path, **kw) -> None:
    """Run a command, echoing it, and stop on failure."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the package (with extras) unless pyproject.toml is unchanged."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("searchsvc needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        sh(sys.executable, "-m", "venv", VENV)
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target, cwd=ROOT)
    stamp.write_text(digest)


def ensure_debian_packages() -> None:
    """Install the Debian packages the tests need (as root, with apt-get) when they are missing."""
    missing = [pkg for pkg, path in DEBIAN_TEST_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"note: cannot install {missing} (needs root and apt-get); their tests will skip")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh("apt-get", "update", "-qq", env=env)
    sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def ensure_npm_packages() -> None:
    """Run `npm ci` in tests/e2e when its lock file changed since the last install."""
    lock = NPM_DIR / "package-lock.json"
    stamp = NPM_DIR / "node_modules" / ".installed-lock"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("the browser tests need npm (Node.js) for axe-core: apt-get install npm")
    sh(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=NPM_DIR)
    stamp.write_text(digest)


def serve(args: list[str]) -> None:
    """Set everything up, index corpus/ (incrementally) and serve it."""
    ensure_venv("")
    sh(BIN / "searchsvc", "index", cwd=ROOT)
    os.chdir(ROOT)
    os.execv(BIN / "searchsvc", [str(BIN / "searchsvc"), "serve", *args])


def test(args: list[str]) -> None:
    """Install what the tests need, check style, then run pytest: all of it, or --fast's set."""
    fast = "--fast" in args
    args = [a for a in args if a != "--fast"]
    ensure_venv("test")
    if not fast:  # the browser and axe-core are for the e2e tests only
        ensure_debian_packages()
        ensure_npm_packages()
    sh(BIN / "ruff", "check", ".", cwd=ROOT)
    sh(BIN / "ruff", "format", "--check", ".", cwd=ROOT)
    sh(BIN / "lint-imports", cwd=ROOT)
    marks = ["-m", FAST_MARKS] if fast else []  # before args: a `-m` of the caller's wins
    sh(BIN / "python", "-m", "pytest", *marks, *args, cwd=ROOT)


def main() -> None:
    """Dispatch `serve` or `test`."""
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode)


if __name__ == "__main__":
    main()
