"""How search is used: each page or API search goes to the query log and the search metrics.

`searchsvc.web.engine()` hands out the engine wrapped in a recorder that keeps the request's
first search (the user's: a page's facet or browse searches run after it) in `flask.g`; after
the response, a hook logs it when the route is the results page or the search API. Feeds, the
home page's newest articles and other reads are not searches of a user and are not logged.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, has_request_context, request

from searchsvc import analytics
from searchsvc.web import metrics, settings
from searchsvc.web.params import has_filters

bp = Blueprint("usage", __name__)
VIA = {"views.search": "page", "api.search": "api"}  # endpoint -> how the search came in


class _Recorder:
    """An engine whose first search in a request is kept for the after-request hook."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def search(self, req):
        """Run the search and keep (request, page) when it is the request's first."""
        page = self._engine.search(req)
        if "searchsvc_search" not in g:
            g.searchsvc_search = (req, page)
        return page


def recording(engine):
    """Return `engine`, wrapped so that a web request's first search is recorded."""
    return _Recorder(engine) if has_request_context() else engine


def query_log() -> analytics.QueryLog | None:
    """Return this app's query log, or None when SEARCHSVC_QUERY_LOG=0."""
    s = settings()
    if not s.query_log:
        return None
    log = current_app.extensions.get("searchsvc_query_log")
    if log is None:
        log = analytics.QueryLog(analytics.log_path(s), s.query_log_bytes)
        current_app.extensions["searchsvc_query_log"] = log
    return log


@bp.after_app_request
def _record(response):
    found = g.pop("searchsvc_search", None)
    via = VIA.get(request.endpoint or "")
    if found is None or via is None or 300 <= response.status_code < 400:
        return response  # not a user's search, or one redirected to the page that is shown
    req, page = found
    if not req.q and not has_filters(req):  # the home page's newest articles: not a search
        return response
    record = analytics.entry(req, page, via)
    metrics.observe_search(record["hits"])
    log = query_log()
    if log is not None:
        try:
            log.append(record)
        except OSError as err:  # a full disk or a read-only folder never fails a search
            if not current_app.extensions.get("searchsvc_query_log_failed"):
                current_app.extensions["searchsvc_query_log_failed"] = True
                current_app.logger.warning("query log %s not written: %s", log.path, err)
    return response
