"""`searchsvc search`, `stats` and `check`: asking the index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from searchsvc.cli import terminal
from searchsvc.cli.common import Fail, backend_options, engine_for, pop_backend, settings_from
from searchsvc.config import Settings
from searchsvc.contract import SORTS, SearchRequest
from searchsvc.errors import SearchsvcError


@click.command()
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
@backend_options
def search(query, index_dir, limit, page, sort, as_json, explain, topics, run_out, **kw) -> None:
    """Search the index for QUERY, or run a topics file into a TREC run (--topics/--run)."""
    settings = settings_from(index_dir=index_dir, **pop_backend(kw))
    try:
        if topics or run_out:
            if not (topics and run_out):
                raise Fail("batch mode needs both --topics FILE and --run OUT")
            _batch(settings, topics, run_out, limit or 1000)
            return
        engine = engine_for(settings)
        if explain:
            click.echo(engine.explain(query))
        req = SearchRequest(q=query, page=page, per_page=limit or 10, sort=sort)
        page_obj = engine.search(req)
    except SearchsvcError as err:
        raise Fail(err) from None
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
    rows = run_topics(engine_for(batch), read_topics(topics), limit=limit, errors=errors)
    write_run(run_out, rows)
    for qid, message in errors.items():
        click.echo(f"topic {qid} skipped: {message}", err=True)
    click.echo(f"wrote {len(rows)} lines to {run_out}", err=True)


@click.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option("--queries", is_flag=True, help="Report the query log (top, zero-result, paged).")
@click.option("--since", help="Only searches since then: 7d, 12h, a date (implies --queries).")
@backend_options
def stats(index_dir, as_json, queries, since, **kw) -> None:
    """Show documents, index size, last update, sources and date span (or --queries)."""
    settings = settings_from(index_dir=index_dir, **pop_backend(kw))
    if queries or since:
        return terminal.print_query_report(settings, since, as_json)
    try:
        data = engine_for(settings).stats()
    except SearchsvcError as err:
        raise Fail(err) from None
    if as_json:
        click.echo(json.dumps(data.to_dict(), ensure_ascii=False))
        return
    terminal.print_stats(data)


@click.command()
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index/]."
)
def check(index_dir) -> None:
    """Verify every file of the live index against its recorded checksums (exit 1 if damaged)."""
    from searchsvc.engine.integrity import check_index

    settings = settings_from(index_dir=index_dir)
    try:
        report = check_index(settings.index_dir)
    except SearchsvcError as err:
        raise Fail(err) from None
    if not report.recorded:
        click.echo(f"{report.generation}: no checksums recorded (built by an older searchsvc)")
    for problem in report.damaged:
        click.echo(f"damaged: {problem}", err=True)
    if report.damaged:
        raise Fail(
            f"{report.generation} is damaged ({len(report.damaged)} problems); "
            "rebuild it with `searchsvc index --rebuild`"
        )
    click.echo(f"{report.generation}: {report.checked} files verified, no damage found")
