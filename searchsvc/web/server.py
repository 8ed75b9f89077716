"""The production server: gunicorn, run programmatically, one searcher per worker process."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from searchsvc.config import Settings

ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


class SearchServer(BaseApplication):
    """A gunicorn application that builds the Flask app inside each worker (no preload)."""

    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Copy our options into gunicorn's config."""
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer gunicorn settings are skipped on older versions
                self.cfg.set(key, value)

    def load(self):
        """Return the WSGI app; called in each worker because preload_app is False."""
        from searchsvc.web import create_app

        return create_app({"SETTINGS": self.settings})


def options(host: str, port: int, workers: int, threads: int = 1) -> dict:
    """Return the gunicorn settings used by `run` (one request at a time per worker process).

    The store's Whoosh searcher reads shared file handles, which is not safe with threads
    inside one process (concurrent reads corrupt each other), so the default is sync workers.
    """
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, int(workers)),
        "worker_class": "sync" if threads <= 1 else "gthread",
        "threads": max(1, threads),
        "preload_app": False,
        "accesslog": "/dev/stderr",
        "errorlog": "-",
        "access_log_format": ACCESS_FORMAT,
        "loglevel": "info",
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 8190,
        "proc_name": "searchsvc",
        "control_socket_disable": True,  # no gunicorn.ctl socket in the user's home
    }


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 2) -> None:
    """Serve the web app with gunicorn until interrupted."""
    SearchServer(settings, options(host, port, workers)).run()
