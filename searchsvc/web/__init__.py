"""The Flask web app: HTML search pages, a JSON API and an OpenAPI description."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_compress import Compress

from searchsvc.config import Settings
from searchsvc.errors import IndexMissing
from searchsvc.web.headers import SECURITY_HEADERS


def settings_from_config(config: dict[str, Any]) -> Settings:
    """Return Settings from the environment, overridden by upper-case keys of `config`."""
    if isinstance(config.get("SETTINGS"), Settings):
        return config["SETTINGS"]
    overrides = {
        f.name: config[f.name.upper()] for f in fields(Settings) if f.name.upper() in config
    }
    return Settings.from_env(**overrides)


class FastJSON(DefaultJSONProvider):
    """Flask's JSON provider on orjson: a search page encodes in 5 us instead of 100 us.

    Same JSON, unsorted keys (the SearchPage field order), non-ASCII text as UTF-8 rather than
    \\u escapes; calls with options (the templates' `tojson`) go to Flask's own encoder.
    """

    sort_keys = False
    _OPTIONS = orjson.OPT_NON_STR_KEYS

    def dumps(self, obj, **kwargs) -> str:
        """Return obj as JSON text."""
        if kwargs:
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=self._OPTIONS).decode()

    def response(self, *args, **kwargs):
        """Return a JSON response of the arguments (as jsonify takes them)."""
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(
            obj, default=self.default, option=self._OPTIONS | orjson.OPT_APPEND_NEWLINE
        )
        return self._app.response_class(body, mimetype=self.mimetype)


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app; the index is opened lazily, once per process, on first use."""
    config = dict(config or {})
    app = Flask(__name__)
    app.config.update({k: v for k, v in config.items() if k != "SETTINGS"})
    app.json = FastJSON(app)  # keeps the SearchPage field order in JSON
    app.extensions["searchsvc"] = _Backend(settings_from_config(config))

    from searchsvc.web import api, errors, http, views, write

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(write.bp)  # live writes (issue 17)
    errors.register(app)
    http.register(app)  # keys, CORS, ETags (issue 17)
    # Issue 18, how search is used: Atom feeds, Prometheus metrics, query log, admin analytics.
    from searchsvc.web import admin, feed, metrics, usage

    for module in (feed, metrics, usage, admin):
        app.register_blueprint(module.bp)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    _deliver(app)
    return app


YEAR = 31_536_000
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/opensearchdescription+xml",
]


def _deliver(app: Flask) -> None:
    """Compress responses (brotli or gzip), fingerprint static URLs and set their caching."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    Compress(app)
    digests: dict[str, str | None] = {}

    def digest(filename: str) -> str | None:
        if filename not in digests:
            path = Path(app.static_folder or "") / filename
            try:
                digests[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            except OSError:
                digests[filename] = None
        return digests[filename]

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = digest(values["filename"])

    @app.after_request
    def _caching(response):
        if request.endpoint == "static" and response.status_code == 200:
            filename = (request.view_args or {}).get("filename", "")
            fresh = request.args.get("v") and request.args.get("v") == digest(filename)
            # Read the (small) file now, so that it is compressed whole and its file is closed
            # with the response: flask-compress's streaming path never closes the file.
            response.direct_passthrough = False
            response.make_sequence()
            # A fingerprinted URL never changes its content: cache it for a year.
            response.headers["Cache-Control"] = (
                f"public, max-age={YEAR}, immutable" if fresh else "no-cache"
            )
        return response


class _Backend:
    """The per-process Store and SearchEngine, created on first use and then reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._store = None
        self._engine = None

    def store(self):
        """Return the shared Store, or raise IndexMissing when there is no index yet."""
        if self._store is None:
            from searchsvc.backends import open_store

            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings)
        if not self._store.exists():
            _ = self._store.generation  # raises why: no index yet, or a backend out of reach
            raise IndexMissing(
                f"no index in {self.settings.index_dir}", hint="Build it with `searchsvc index`."
            )
        return self._store

    def engine(self):
        """Return the shared SearchEngine (raises IndexMissing when there is no index)."""
        store = self.store()
        if self._engine is None:
            from searchsvc.backends import open_engine

            with self._lock:
                if self._engine is None:
                    self._engine = open_engine(self.settings, store)
        return self._engine


def backend() -> _Backend:
    """Return the current app's backend holder."""
    return current_app.extensions["searchsvc"]


def settings() -> Settings:
    """Return the current app's Settings."""
    return backend().settings


def engine():
    """Return the current app's SearchEngine (a request's first search is kept for the log)."""
    from searchsvc.web.usage import recording

    return recording(backend().engine())
