"""One small error hierarchy; each error carries the HTTP status it maps to."""

from __future__ import annotations


class SearchsvcError(Exception):
    """Base class of every error searchsvc reports to a user."""

    status = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class BadRequest(SearchsvcError):
    """A query or parameter the user can fix (HTTP 400)."""

    status = 400


class NotFound(SearchsvcError):
    """An article id or page that does not exist (HTTP 404)."""

    status = 404


class IndexBusy(SearchsvcError):
    """Another writer holds the index lock (HTTP 503)."""

    status = 503


class IndexMissing(SearchsvcError):
    """There is no index yet at the configured location (HTTP 503)."""

    status = 503


class BackendUnavailable(SearchsvcError):
    """The search backend (a Typesense cluster) cannot be reached or has no healthy node (503)."""

    status = 503


class IndexWriteError(SearchsvcError):
    """Writing the index failed (disk full, permissions); the previous index is intact."""

    status = 500


class SearchTimeout(SearchsvcError):
    """A search ran past its deadline and was stopped (HTTP 503); the worker lives on."""

    status = 503


class IndexDamaged(SearchsvcError):
    """Files of an index generation fail their checks; it is never served (HTTP 503)."""

    status = 503
