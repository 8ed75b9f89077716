"""How the command line shows articles, result pages and statistics in a terminal."""

from __future__ import annotations

import html
import json
import re

import click

from searchsvc.config import Settings
from searchsvc.contract import SearchPage


def print_article(art) -> None:
    """Print one article as `searchsvc extract` shows it."""
    click.secho(art.title or "(untitled)", bold=True)
    meta = [
        art.published.isoformat() if art.published else "no date",
        art.author or "no author",
        art.source or "no source",
    ]
    click.echo(" · ".join(meta) + (f"  [{', '.join(art.tags)}]" if art.tags else ""))
    click.echo(f"id {art.id}  path {art.path}" + (f"  url {art.url}" if art.url else ""))
    click.echo("")
    click.echo(art.body)
    click.echo("-" * 72)


def print_page(page: SearchPage) -> None:
    """Print one page of results, matches in bold."""

    click.echo(f"{page.total} results for {page.query!r} ({page.took_ms:.1f} ms)")
    if page.suggestion:
        click.echo(f"Did you mean: {page.suggestion}")
    start = (page.page - 1) * page.per_page
    for n, hit in enumerate(page.hits, start + 1):
        click.echo("")
        click.secho(f"{n}. {hit.title}", bold=True)
        section = hit.tags[0] if hit.tags else ""
        meta = " · ".join(
            x for x in (hit.published or "undated", hit.source, hit.author, section) if x
        )
        more = f"  (+{hit.similar} similar)" if hit.similar else ""
        click.echo(f"   {meta}  [{hit.id}]{more}")
        text = re.sub(r"<mark>(.*?)</mark>", lambda m: click.style(m[1], bold=True), hit.snippet)
        click.echo("   " + " ".join(html.unescape(text).split()))
    if page.pages > page.page:
        click.echo(f"\npage {page.page} of {page.pages}; next: --page {page.page + 1}")


def print_stats(stats) -> None:
    """Print what an index holds, one fact a line."""
    size = f"{stats.index_bytes / 1e6:,.1f} MB" if stats.index_bytes is not None else "-"
    span = " .. ".join(d for d in stats.date_span if d) or "-"
    sources = sorted(stats.sources.items(), key=lambda kv: -kv[1])[:10]
    rows = [
        ("documents", f"{stats.documents:,}"),
        ("index size", size),
        ("last update", stats.last_update or "-"),
        ("generation", f"{stats.generation} ({stats.backend})"),
        ("dates", f"{span} ({stats.undated:,} undated)"),
        ("sources", ", ".join(f"{k} ({v})" for k, v in sources) or "-"),
        ("top tags", ", ".join(f"{t.tag} ({t.count})" for t in stats.top_tags[:10]) or "-"),
    ]
    rows += [("note", note) for note in stats.notes]
    for key, value in rows:
        click.echo(f"{key}: {value}")


def print_query_report(settings: Settings, since: str | None, as_json: bool) -> None:
    """Print the report of the query log beside the index (`stats --queries`)."""
    from searchsvc import analytics

    try:
        start = analytics.parse_since(since) if since else None
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--since'") from None
    log = analytics.QueryLog(analytics.log_path(settings), settings.query_log_bytes)
    if not log.path.exists():
        click.echo(f"no query log at {log.path} yet", err=True)
    report = analytics.report(log.read(start))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(analytics.format_report(report, str(log.path)))


def progress_to(bar):
    """Return an indexing progress callback that moves a tqdm bar (None: no bar)."""
    if bar is None:
        return None

    def progress(done: int, total: int | None = None, path: str = "") -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return progress
