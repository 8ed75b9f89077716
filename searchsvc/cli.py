"""The `searchsvc` command: a thin shell over the library that turns its errors into messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from searchsvc import terminal
from searchsvc.config import Settings
from searchsvc.contract import SORTS, SearchRequest
from searchsvc.errors import SearchsvcError


class _Fail(click.ClickException):
    """A clean one-line error with an optional hint, exit status 1."""

    def __init__(self, err: SearchsvcError | str) -> None:
        if isinstance(err, SearchsvcError):
            msg = err.message + (f"\nHint: {err.hint}" if err.hint else "")
        else:
            msg = err
        super().__init__(msg)


def _settings(**overrides) -> Settings:
    """Return Settings from SEARCHSVC_* variables and options, as a clean error when invalid."""
    try:
        return Settings.from_env(**overrides)
    except SearchsvcError as err:
        raise _Fail(err) from None


def _engine(settings: Settings):
    from searchsvc.backends import open_engine

    return open_engine(settings)


def _backend_options(command):
    """Add --backend/--typesense-url/--typesense-api-key (read back with _pop_backend)."""
    options = [
        click.option(
            "--backend",
            type=click.Choice(["whoosh", "typesense"]),
            help="Search backend [SEARCHSVC_BACKEND or whoosh].",
        ),
        click.option(
            "--typesense-url",
            help="Typesense node URLs, comma-separated [SEARCHSVC_TYPESENSE_URL].",
        ),
        click.option(
            "--typesense-api-key", help="Typesense API key [SEARCHSVC_TYPESENSE_API_KEY]."
        ),
    ]
    for option in options:
        command = option(command)
    return command


def _pop_backend(kwargs: dict) -> dict:
    """Remove the backend options from a command's kwargs; return them as Settings overrides."""
    return {k: kwargs.pop(k) for k in ("backend", "typesense_url", "typesense_api_key")}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="searchsvc")
def main() -> None:
    """Full-text search for collections of articles: index, search and serve them."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--root", type=click.Path(path_type=Path), help="Corpus root (folders below it become tags)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article (JSON Lines).")
def extract(files: tuple[Path, ...], root: Path | None, as_json: bool) -> None:
    """Show what the readers make of FILES (check the cleaner on your own pages)."""
    from searchsvc.ingest import read_file

    failed = 0
    for path in files:
        if not path.is_file():
            click.echo(f"skipped {path}: no such file", err=True)
            failed += 1
            continue
        result = read_file(path, root or path.parent, max_bytes=_settings().max_file_bytes)
        for skip in result.skipped:
            click.echo(f"skipped {skip.path}: {skip.reason}", err=True)
            failed += 1
        for art in result.articles:
            if as_json:
                click.echo(json.dumps(art.to_json(), ensure_ascii=False))
            else:
                terminal.print_article(art)
    if failed:
        sys.exit(1)  # the good files were shown; the status tells scripts one was skipped


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [corpus/].")
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--rebuild", is_flag=True, help="Build from scratch instead of updating.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--procs", type=int, help="Writer processes (default: picked from the cores).")
@click.option("--wait", type=float, help="Seconds to wait for another running index to finish.")
@click.option(
    "--bulk-writer/--whoosh-writer",
    default=None,
    help="Write segments with searchsvc's bulk writer (default) or Whoosh's own "
    "[SEARCHSVC_BULK_WRITER].",
)
@_backend_options
def index(corpus, index_dir, rebuild, as_json, procs, wait, bulk_writer, **kw) -> None:
    """Add new, update changed and remove deleted articles (incremental by default)."""
    settings = _settings(
        corpus_dir=corpus,
        index_dir=index_dir,
        index_procs=procs,
        lock_timeout=wait,
        bulk_writer=bulk_writer,
        **_pop_backend(kw),
    )
    summary = _run_index(settings, rebuild=rebuild, quiet=as_json)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        for skip in summary.skipped:
            click.echo(f"skipped {skip['path']}: {skip['reason']}", err=True)
        for part in summary.truncated:
            click.echo(f"indexed in part {part['path']} ({part['id']}): {part['reason']}", err=True)
        click.echo(str(summary))


def _run_index(settings: Settings, *, rebuild: bool, quiet: bool):
    from searchsvc.backends import index_with

    if not settings.corpus_dir.is_dir():
        raise _Fail(f"corpus folder not found: {settings.corpus_dir}")
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="file", desc="indexing", leave=False, file=sys.stderr)
    try:
        return index_with(settings, rebuild=rebuild, progress=terminal.progress_to(bar))
    except SearchsvcError as err:
        raise _Fail(err) from None
    finally:
        if bar is not None:
            bar.close()


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [corpus/].")
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@_backend_options
def watch(corpus, index_dir, **kw) -> None:
    """Index the corpus, then index what is added, changed or removed in it (Ctrl-C stops)."""
    import signal
    import threading
    from dataclasses import replace

    from searchsvc.backends import index_with
    from searchsvc.ingest.watch import LOCK_WAIT_S, watch_corpus

    settings = _settings(corpus_dir=corpus, index_dir=index_dir, **_pop_backend(kw))
    settings = replace(settings, lock_timeout=max(settings.lock_timeout, LOCK_WAIT_S))
    stop = threading.Event()

    def on_signal(*_) -> None:
        if stop.is_set():  # a second Ctrl-C: stop now, even inside an index run
            raise KeyboardInterrupt
        stop.set()  # the first: finish the index run in progress, then stop

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        watch_corpus(
            Path(settings.corpus_dir),
            Path(settings.index_dir),
            index=lambda: index_with(settings),
            report=lambda line: click.echo(line, err=True),
            stop=stop,
        )
    except SearchsvcError as err:
        raise _Fail(err) from None
    except KeyboardInterrupt:
        pass
    click.echo("stopped", err=True)


@main.command()
@click.argument("query", required=False, default="")
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--limit", type=int, help="Results per page (batch mode: per topic, default 1000).")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
@click.option("--explain", is_flag=True, help="Print the query as searchsvc understood it.")
@click.option("--topics", type=click.Path(exists=True, path_type=Path), help="Batch: qid<TAB>text.")
@click.option("--run", "run_out", type=click.Path(path_type=Path), help="Batch: TREC run output.")
@_backend_options
def search(query, index_dir, limit, page, sort, as_json, explain, topics, run_out, **kw) -> None:
    """Search the index for QUERY, or run a topics file into a TREC run (--topics/--run)."""
    settings = _settings(index_dir=index_dir, **_pop_backend(kw))
    try:
        if topics or run_out:
            if not (topics and run_out):
                raise _Fail("batch mode needs both --topics FILE and --run OUT")
            _batch(settings, topics, run_out, limit or 1000)
            return
        engine = _engine(settings)
        if explain:
            click.echo(engine.explain(query))
        req = SearchRequest(q=query, page=page, per_page=limit or 10, sort=sort)
        page_obj = engine.search(req)
    except SearchsvcError as err:
        raise _Fail(err) from None
    if as_json:
        click.echo(json.dumps(page_obj.to_dict(), ensure_ascii=False))
    else:
        terminal.print_page(page_obj)


def _batch(settings: Settings, topics: Path, run_out: Path, limit: int) -> None:
    """Run every topic; test-collection topics are long, so batch mode lifts the query limits."""
    from dataclasses import replace

    from searchsvc.evaluate import read_topics, run_topics, write_run

    batch = replace(
        settings,
        max_per_page=max(limit, settings.max_per_page),
        max_query_chars=max(20_000, settings.max_query_chars),
        max_query_terms=max(2_000, settings.max_query_terms),
    )
    errors: dict[str, str] = {}
    rows = run_topics(_engine(batch), read_topics(topics), limit=limit, errors=errors)
    write_run(run_out, rows)
    for qid, message in errors.items():
        click.echo(f"topic {qid} skipped: {message}", err=True)
    click.echo(f"wrote {len(rows)} lines to {run_out}", err=True)


@main.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option("--queries", is_flag=True, help="Report the query log (top, zero-result, paged).")
@click.option("--since", help="Only searches since then: 7d, 12h, a date (implies --queries).")
@_backend_options
def stats(index_dir, as_json, queries, since, **kw) -> None:
    """Show documents, index size, last update, sources and date span (or --queries)."""
    settings = _settings(index_dir=index_dir, **_pop_backend(kw))
    if queries or since:
        return terminal.print_query_report(settings, since, as_json)
    try:
        data = _engine(settings).stats()
    except SearchsvcError as err:
        raise _Fail(err) from None
    if as_json:
        click.echo(json.dumps(data.to_dict(), ensure_ascii=False))
        return
    terminal.print_stats(data)


@main.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
def check(index_dir) -> None:
    """Verify every file of the live index against its recorded checksums (exit 1 if damaged)."""
    from searchsvc.engine.integrity import check_index

    settings = _settings(index_dir=index_dir)
    try:
        report = check_index(settings.index_dir)
    except SearchsvcError as err:
        raise _Fail(err) from None
    if not report.recorded:
        click.echo(f"{report.generation}: no checksums recorded (built by an older searchsvc)")
    for problem in report.damaged:
        click.echo(f"damaged: {problem}", err=True)
    if report.damaged:
        raise _Fail(
            f"{report.generation} is damaged ({len(report.damaged)} problems); "
            "rebuild it with `searchsvc index --rebuild`"
        )
    click.echo(f"{report.generation}: {report.checked} files verified, no damage found")


@main.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--corpus", type=click.Path(path_type=Path), help="Corpus to index if no index yet.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", default=2, type=int, show_default=True)
@click.option("--admin-key", help="Key to see query analytics [SEARCHSVC_ADMIN_KEY].")
@_backend_options
def serve(index_dir, corpus, host, port, workers, **kw) -> None:
    """Serve the search page and JSON API with a production WSGI server."""
    from searchsvc.backends import open_store

    settings = _settings(index_dir=index_dir, corpus_dir=corpus, **_pop_backend(kw), **kw)
    if not open_store(settings).exists():
        if settings.corpus_dir.is_dir():
            where = f"indexing {settings.corpus_dir} first"
            click.echo(f"no index in {settings.index_dir}: {where}", err=True)
            summary = _run_index(settings, rebuild=False, quiet=False)
            click.echo(str(summary), err=True)
        else:
            click.echo(
                f"no index in {settings.index_dir} and no corpus folder {settings.corpus_dir}: "
                "serving anyway; /healthz answers 503 until `searchsvc index` builds one",
                err=True,
            )
    from searchsvc.web.server import port_in_use, run

    if port_in_use(host, port):
        raise _Fail(
            f"{host}:{port} is already in use (another searchsvc serve?); "
            "stop it, or pass another --port"
        )
    try:
        run(settings, host=host, port=port, workers=workers)
    except SearchsvcError as err:
        raise _Fail(err) from None
