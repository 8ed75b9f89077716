"""Query analytics on the home page, for whoever holds the admin key (`serve --admin-key`).

`/?admin=1` with `Authorization: Bearer KEY` shows the report; without the header it shows a
form that posts the key to `/?admin=1` (nothing is kept in cookies or anywhere else: every view
of the report carries the key again). A wrong key is a 403. The block is the partial
`_analytics.html`, fed by the `admin` template variable; the responses are never cached.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, g, make_response, request
from werkzeug.exceptions import MethodNotAllowed

from searchsvc import analytics
from searchsvc.web import settings
from searchsvc.web.errors import render_error
from searchsvc.web.metrics import bearer_ok

bp = Blueprint("admin", __name__)
HOME_ENDPOINTS = ("views.search", "admin.unlock")


def asked() -> bool:
    """Return True when this request asks for the analytics and an admin key is configured."""
    return bool(
        request.endpoint in HOME_ENDPOINTS and request.args.get("admin") and settings().admin_key
    )


@bp.before_app_request
def _check_bearer():
    if asked() and "Authorization" in request.headers:
        if not bearer_ok(settings().admin_key):
            return render_error(403, "That is not the admin key.")
        g.searchsvc_admin = True
    return None


@bp.post("/")
def unlock():
    """Show the home page with the query analytics to whoever posts the admin key."""
    key = settings().admin_key
    if not key:  # no analytics on this server: POST / is what it always was
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
    given = request.form.get("key", "")
    ok = hmac.compare_digest(given.encode(), key.encode())
    g.searchsvc_admin = ok
    if not ok:
        g.searchsvc_admin_error = "That is not the admin key."
    response = make_response(current_app.view_functions["views.search"]())
    if not ok:
        response.status_code = 403
    return response


def report() -> dict:
    """Return the `admin` template variable: the report, or the key form (with an error)."""
    if not g.get("searchsvc_admin"):
        return {"form": True, "error": g.get("searchsvc_admin_error")}
    since_text = (request.args.get("since") or "").strip()[:40]
    try:
        since = analytics.parse_since(since_text) if since_text else None
    except ValueError as err:
        return {"form": False, "error": str(err), "report": None}
    s = settings()
    log = analytics.QueryLog(analytics.log_path(s), s.query_log_bytes)
    return {"form": False, "since": since_text, "report": analytics.report(log.read(since))}


@bp.app_context_processor
def _admin_context() -> dict:
    return {"admin": report() if asked() else None}


@bp.after_app_request
def _private(response):
    if request.args.get("admin") and request.endpoint in HOME_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response
