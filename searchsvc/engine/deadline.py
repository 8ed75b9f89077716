"""A request's time budget: `deadline` sets it, `check_deadline` ends the work past it.

Long loops of a search (groups, terms, segments) call check_deadline, so a search that runs
too long answers 503 rather than getting its worker killed mid-request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from searchsvc.errors import SearchTimeout

_DEADLINE: ContextVar[float | None] = ContextVar("searchsvc_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Let the work inside run until `seconds` from now (check_deadline raises after that)."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise SearchTimeout when the current request has run past its deadline."""
    end = _DEADLINE.get()
    if end is not None and time.monotonic() > end:
        raise SearchTimeout(
            "The search took too long and was stopped.",
            hint="Use fewer or more distinctive words, phrases and prefixes.",
        )
