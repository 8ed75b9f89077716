"""`searchsvc extract`, `index` and `watch`: reading a corpus into the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from searchsvc.cli import terminal
from searchsvc.cli.common import Fail, backend_options, pop_backend, run_index, settings_from
from searchsvc.errors import SearchsvcError


@click.command()
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
        result = read_file(path, root or path.parent, max_bytes=settings_from().max_file_bytes)
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


@click.command()
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
@backend_options
def index(corpus, index_dir, rebuild, as_json, procs, wait, bulk_writer, **kw) -> None:
    """Add new, update changed and remove deleted articles (incremental by default)."""
    settings = settings_from(
        corpus_dir=corpus,
        index_dir=index_dir,
        index_procs=procs,
        lock_timeout=wait,
        bulk_writer=bulk_writer,
        **pop_backend(kw),
    )
    summary = run_index(settings, rebuild=rebuild, quiet=as_json)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        for skip in summary.skipped:
            click.echo(f"skipped {skip['path']}: {skip['reason']}", err=True)
        for part in summary.truncated:
            click.echo(f"indexed in part {part['path']} ({part['id']}): {part['reason']}", err=True)
        click.echo(str(summary))


@click.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [corpus/].")
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@backend_options
def watch(corpus, index_dir, **kw) -> None:
    """Index the corpus, then index what is added, changed or removed in it (Ctrl-C stops)."""
    import signal
    import threading
    from dataclasses import replace

    from searchsvc.backends import index_with
    from searchsvc.ingest.watch import LOCK_WAIT_S, watch_corpus

    settings = settings_from(corpus_dir=corpus, index_dir=index_dir, **pop_backend(kw))
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
        raise Fail(err) from None
    except KeyboardInterrupt:
        pass
    click.echo("stopped", err=True)
