"""Render errors in the format the route speaks: JSON under /api and /healthz, HTML elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from searchsvc.errors import (
    BackendUnavailable,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    SearchsvcError,
    SearchTimeout,
)

_GENERIC_500 = "Something went wrong on our side. The error has been logged; please try again."


def wants_json() -> bool:
    """Return True when the current route answers in JSON."""
    path = request.path
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def public_message(err: SearchsvcError) -> str:
    """Return a message for a server-side error that reveals no paths or internals."""
    if isinstance(err, IndexMissing):
        return "The search index is not available yet; it has to be built first."
    if isinstance(err, IndexBusy):
        return "The search index is busy; please try again in a moment."
    if isinstance(err, IndexDamaged):
        return f"The search index cannot be served: {err.message}."
    if isinstance(err, BackendUnavailable):
        return "The search backend cannot be reached; please try again in a moment."
    if isinstance(err, SearchTimeout):
        return err.message
    return _GENERIC_500


def render_error(status: int, message: str, hint: str | None = None, headers=None):
    """Return a response for an error, as JSON or as an HTML page."""
    if wants_json():
        body = {"error": message}
        if hint:
            body["hint"] = hint
        response = jsonify(body)
    else:
        q = request.args.get("q", "")[:1000].replace("\x00", "")  # keep the query in the box
        html = render_template("error.html", status=status, message=message, hint=hint, q=q)
        response = make_response(html)
    response.status_code = status
    for name, value in headers or ():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    """Install the error handlers on `app`."""

    @app.errorhandler(SearchsvcError)
    def _searchsvc_error(err: SearchsvcError):
        if err.status < 500:
            return render_error(err.status, err.message, err.hint)
        # Server-side messages may name files or folders: log them, answer in general terms.
        app.logger.error("%s on %s: %s", type(err).__name__, request.path, err.message)
        return render_error(err.status, public_message(err), err.hint)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        code = err.code or 500
        headers = [(k, v) for k, v in err.get_headers() if k.lower() == "allow"]
        messages = {
            404: "Nothing here: the page or article you asked for does not exist.",
            405: f"Method {request.method} is not allowed here.",
        }
        message = messages.get(code, err.description or err.name)
        if code >= 500:
            app.logger.error("HTTP %s on %s: %s", code, request.path, err)
            message = _GENERIC_500
        return render_error(code, message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500, _GENERIC_500)
