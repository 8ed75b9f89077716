"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data sets folder: env SEARCHSVC_DATA or <repo>/../shared/data (else skip)."""
    path = Path(os.environ.get("SEARCHSVC_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is missing (set SEARCHSVC_DATA)")
    return path
