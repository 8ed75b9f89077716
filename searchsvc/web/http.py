"""HTTP for API clients and other sites: keys, CORS, ETags and caching headers.

- Keys: SEARCHSVC_WRITE_KEYS lists who may write (web/write.py checks them); when
  SEARCHSVC_READ_KEYS is set, everything but /healthz and static files needs a read or a
  write key too. A key is sent as `Authorization: Bearer <key>` and compared in constant time;
  keys are never logged nor echoed.
- CORS: /api/search and /api/suggest answer the origins of SEARCHSVC_CORS_ORIGINS (default
  `*`), preflights included. Write routes allow a cross-origin caller only when its origin is
  listed by name (`*` does not count), and refuse any other Origin outright.
- Caching: search and suggest responses carry a weak ETag made of the index generation (and,
  on Typesense, how far the write log has grown) and the request, a short Cache-Control, and a
  matching If-None-Match gets 304 without running the search.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, Response, g, request

from searchsvc.errors import SearchsvcError
from searchsvc.web import backend, settings

CORS_READ = ("/api/search", "/api/suggest")
CACHED = CORS_READ
CACHE_CONTROL = "max-age=1"  # short: live writes are searchable within a second
WRITE_METHODS = ("PUT", "POST", "DELETE")
OPEN_PATHS = ("/healthz",)
PREFLIGHT_MAX_AGE = "600"


class Unauthorized(SearchsvcError):
    """No key was sent where one is needed (HTTP 401, with WWW-Authenticate)."""

    status = 401


class Forbidden(SearchsvcError):
    """The key sent may not do this, or the request is not allowed at all (HTTP 403)."""

    status = 403


def keys(raw: str) -> list[str]:
    """Return the keys of a comma-separated setting."""
    return [k.strip() for k in raw.split(",") if k.strip()]


def origins() -> list[str]:
    """Return the configured CORS origins."""
    return [o.rstrip("/") for o in keys(settings().cors_origins)]


def sent_key() -> str | None:
    """Return the key of an `Authorization: Bearer <key>` header (None without one)."""
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def require_key(allowed: list[str], what: str) -> None:
    """Raise Unauthorized without a key, Forbidden for a key not in `allowed`."""
    key = sent_key()
    if key is None:
        raise Unauthorized(f"{what} needs a key: send `Authorization: Bearer <key>`.")
    found = False
    for candidate in allowed:  # every key is compared: the time does not tell which matched
        found |= hmac.compare_digest(key.encode("utf-8"), candidate.encode("utf-8"))
    if not found:
        raise Forbidden(f"The key sent may not {what.lower()}.")


def is_write() -> bool:
    """Return True for a request (or a preflight) to a write route."""
    method = request.method
    if method == "OPTIONS":
        method = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.path.startswith("/api/articles") and method in WRITE_METHODS


def check_write_origin() -> None:
    """Refuse a write from a browser page of another origin that is not listed by name."""
    origin = request.headers.get("Origin")
    if origin is None or origin.rstrip("/") == request.host_url.rstrip("/"):
        return
    if origin.rstrip("/") not in origins():
        raise Forbidden("Writes from other sites are not allowed.")


def _etag() -> str | None:
    """Return the weak ETag of this search/suggest request (None when there is no index)."""
    try:
        version = backend().store().version
    except SearchsvcError:
        return None
    key = f"{settings().backend}|{version}|{request.full_path}".encode()
    return 'W/"' + hashlib.blake2b(key, digest_size=12).hexdigest() + '"'


def _before() -> Response | None:
    if request.method == "OPTIONS":
        return None
    read_keys = keys(settings().read_keys)
    guarded = request.path not in OPEN_PATHS and not request.path.startswith("/static/")
    if request.path == "/metrics" and settings().metrics_key:
        guarded = False  # /metrics then has its own key (issue 18)
    if read_keys and guarded and not is_write():
        require_key(read_keys + keys(settings().write_keys), "Reading")
    if request.method in ("GET", "HEAD") and request.path in CACHED:
        g.etag = _etag()
        wanted = request.headers.get("If-None-Match", "")
        if g.etag and g.etag in [t.strip() for t in wanted.split(",")]:
            return Response(status=304)
    return None


def _after(response: Response) -> Response:
    if request.path in CACHED and request.method in ("GET", "HEAD"):
        etag = g.get("etag")
        if etag and response.status_code in (200, 304):
            response.headers["ETag"] = etag
            private = "private" if keys(settings().read_keys) else "public"
            response.headers["Cache-Control"] = f"{private}, {CACHE_CONTROL}"
            if private == "private":
                response.vary.add("Authorization")
    origin = request.headers.get("Origin")
    if origin:
        _cors(response, origin.rstrip("/"))
    return response


def _cors(response: Response, origin: str) -> None:
    listed = origins()
    if is_write():
        if origin not in listed:  # `*` never lets another site write
            return
        allow, methods = origin, "PUT, POST, DELETE, OPTIONS"
        headers = "Authorization, Content-Type"
    elif request.path in CORS_READ:
        if "*" not in listed and origin not in listed:
            return
        star = "*" in listed and not keys(settings().read_keys)
        allow, methods = ("*" if star else origin), "GET, HEAD, OPTIONS"
        headers = "Authorization, If-None-Match"
    else:
        return
    response.headers["Access-Control-Allow-Origin"] = allow
    if allow != "*":
        response.vary.add("Origin")
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = headers
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE


def register(app: Flask) -> None:
    """Install the key check, the ETag short-cut and the CORS and caching headers."""
    from searchsvc.web.errors import render_error

    app.before_request(_before)
    app.after_request(_after)

    @app.errorhandler(Unauthorized)
    def _unauthorized(err: Unauthorized):
        challenge = [("WWW-Authenticate", 'Bearer realm="searchsvc"')]
        return render_error(401, err.message, err.hint, headers=challenge)
