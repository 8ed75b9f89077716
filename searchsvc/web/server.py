"""The production server: gunicorn with gevent workers, run programmatically.

Each worker is one process with an event loop: a connection costs a greenlet, not a worker,
so idle or slow clients cannot starve the server; reading a request's headers must finish
within `keepalive` seconds or the connection is closed. Searches are CPU work in the worker's
one OS thread (they read no socket), so greenlets never interleave inside one, and they share
the thread's Whoosh searcher. Errors gunicorn writes itself (a bad request line, 414, 431...)
carry the same security headers as the app's responses.

Metrics (web/metrics.py): every worker writes its counters to PROMETHEUS_MULTIPROC_DIR, which
`run` points at a private temporary folder (or empties, when the variable is already set) before
any worker starts; the master marks each exited worker dead and removes its own folder at exit.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.ggevent import GeventWorker

from searchsvc.config import Settings
from searchsvc.errors import SearchsvcError
from searchsvc.web.headers import SECURITY_HEADERS

ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
HEADER_TIMEOUT_S = 5  # a request's headers must arrive within this (gunicorn's keepalive)
CONNECTIONS_PER_WORKER = 1000
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
WARM_EVERY_S = 0.25  # how often a worker looks for a new generation to open (follow_index)


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Write one of gunicorn's own error responses, with our security headers."""
    body = (
        f"<!doctype html><title>{status_int} {html.escape(reason)}</title>"
        f"<h1>{html.escape(reason)}</h1><p>{html.escape(mesg)}</p>\n"
    ).encode()
    head = [
        f"HTTP/1.1 {status_int} {reason}",
        "Connection: close",
        "Content-Type: text/html; charset=utf-8",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items()),
    ]
    util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


class SearchWorker(GeventWorker):
    """gunicorn's gevent worker whose own error pages carry the security headers."""

    def init_process(self) -> None:
        """Install our error writer in this worker process, then run as gunicorn's worker."""
        util.write_error = write_error  # gunicorn writes every error of its own through this
        super().init_process()


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

        app = create_app({"SETTINGS": self.settings})
        follow_index(app)
        return app


def follow_index(app) -> None:
    """Keep this worker's index ready: opened now, and again soon after each new generation.

    A greenlet of the worker warms the live generation (the engine's `warm`) as it starts and
    then every WARM_EVERY_S (a stat of CURRENT when nothing changed), so the first request
    after a start or a live-write batch does not pay for opening it (at Reuters x20: 2.4 s at
    a start, 0.8 s after a batch). Logged once per generation and worker. Whoosh only: a
    Typesense cluster has nothing local to open.
    """
    import gevent

    holder = app.extensions["searchsvc"]
    if holder.settings.backend != "whoosh":
        return
    log = logging.getLogger("gunicorn.error")
    failed: set[str] = set()

    def warm() -> str | None:
        try:
            return holder.engine().warm()
        except SearchsvcError:  # no index yet, or a damaged one: requests answer why
            return None
        except Exception as e:  # a fault of ours: said once; requests still open the index
            if repr(e) not in failed:
                failed.add(repr(e))
                log.exception("opening the index ahead of requests failed")
            return None

    def follow() -> None:
        ready = None
        while True:
            t0 = time.perf_counter()
            generation = warm()
            if generation is not None and generation != ready:
                ms = (time.perf_counter() - t0) * 1000
                log.info("index generation %s ready in this worker (%.0f ms)", generation, ms)
                ready = generation
            gevent.sleep(WARM_EVERY_S)

    gevent.spawn(follow)


def options(host: str, port: int, workers: int) -> dict:
    """Return the gunicorn settings used by `run`."""
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, int(workers)),
        "worker_class": f"{__name__}.SearchWorker",
        "worker_connections": CONNECTIONS_PER_WORKER,
        "preload_app": False,
        "accesslog": "/dev/stderr",
        "errorlog": "-",
        "access_log_format": ACCESS_FORMAT,
        "loglevel": "info",
        "timeout": 30,  # a worker that stops answering its master is replaced
        "graceful_timeout": 10,
        "keepalive": HEADER_TIMEOUT_S,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "proc_name": "searchsvc",
        "control_socket_disable": True,  # no gunicorn.ctl socket in the user's home
    }


def port_in_use(host: str, port: int) -> bool:
    """Return True when something already listens on host:port (gunicorn would retry 5 s)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def prepare_metrics_dir() -> tuple[Path, bool]:
    """Point PROMETHEUS_MULTIPROC_DIR at an empty folder; return it and whether we made it."""
    given = os.environ.get(METRICS_DIR_ENV)
    if given:  # the operator's folder: drop what an earlier run left, nothing else
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path, False
    path = Path(tempfile.mkdtemp(prefix="searchsvc-metrics-"))
    os.environ[METRICS_DIR_ENV] = str(path)  # before any worker imports prometheus_client
    return path, True


def child_exit(server, worker) -> None:
    """Mark an exited worker's live gauges dead (gunicorn hook, run in the master)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 2) -> None:
    """Serve the web app with gunicorn until interrupted (and the live-write applier beside it)."""
    metrics_dir, ours = prepare_metrics_dir()

    def on_exit(server) -> None:
        if ours:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    hooks = {"child_exit": child_exit, "on_exit": on_exit}
    applier = start_applier(settings)
    try:
        SearchServer(settings, {**options(host, port, workers), **hooks}).run()
    finally:
        if applier is not None:
            applier.terminate()
            try:
                applier.wait(timeout=10)
            except subprocess.TimeoutExpired:
                applier.kill()


def start_applier(settings: Settings) -> subprocess.Popen | None:
    """Start the process that applies live writes (it first replays what the log holds).

    Whoosh only (Typesense writes go to the cluster directly). It dies with this process. The
    write path is not imported here: locks made before gunicorn forks would not be gevent's.
    """
    if settings.backend != "whoosh" or not settings.live_applier:
        return None
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "searchsvc.engine.live", str(settings.index_dir), str(os.getpid())]
    return subprocess.Popen(cmd)
