"""`searchsvc serve`: the search page and JSON API under gunicorn."""

from __future__ import annotations

from pathlib import Path

import click

from searchsvc.cli.common import Fail, backend_options, pop_backend, run_index, settings_from
from searchsvc.errors import SearchsvcError


@click.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--corpus", type=click.Path(path_type=Path), help="Corpus to index if no index yet.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", default=2, type=int, show_default=True)
@click.option("--admin-key", help="Key to see query analytics [SEARCHSVC_ADMIN_KEY].")
@backend_options
def serve(index_dir, corpus, host, port, workers, **kw) -> None:
    """Serve the search page and JSON API with a production WSGI server."""
    from searchsvc.backends import open_store

    settings = settings_from(index_dir=index_dir, corpus_dir=corpus, **pop_backend(kw), **kw)
    if not open_store(settings).exists():
        if settings.corpus_dir.is_dir():
            where = f"indexing {settings.corpus_dir} first"
            click.echo(f"no index in {settings.index_dir}: {where}", err=True)
            summary = run_index(settings, rebuild=False, quiet=False)
            click.echo(str(summary), err=True)
        else:
            click.echo(
                f"no index in {settings.index_dir} and no corpus folder {settings.corpus_dir}: "
                "serving anyway; /healthz answers 503 until `searchsvc index` builds one",
                err=True,
            )
    from searchsvc.web.server import port_in_use, run

    if port_in_use(host, port):
        raise Fail(
            f"{host}:{port} is already in use (another searchsvc serve?); "
            "stop it, or pass another --port"
        )
    try:
        run(settings, host=host, port=port, workers=workers)
    except SearchsvcError as err:
        raise Fail(err) from None
