"""What the `searchsvc` commands share: settings, backend options, clean errors, the index run."""

from __future__ import annotations

import sys

import click

from searchsvc.cli import terminal
from searchsvc.config import Settings
from searchsvc.errors import SearchsvcError


class Fail(click.ClickException):
    """A clean one-line error with an optional hint, exit status 1."""

    def __init__(self, err: SearchsvcError | str) -> None:
        if isinstance(err, SearchsvcError):
            msg = err.message + (f"\nHint: {err.hint}" if err.hint else "")
        else:
            msg = err
        super().__init__(msg)


def settings_from(**overrides) -> Settings:
    """Return Settings from SEARCHSVC_* variables and options, as a clean error when invalid."""
    try:
        return Settings.from_env(**overrides)
    except SearchsvcError as err:
        raise Fail(err) from None


def engine_for(settings: Settings):
    """Return the search engine of the configured backend."""
    from searchsvc.backends import open_engine

    return open_engine(settings)


def backend_options(command):
    """Add --backend/--typesense-url/--typesense-api-key (read back with pop_backend)."""
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


def pop_backend(kwargs: dict) -> dict:
    """Remove the backend options from a command's kwargs; return them as Settings overrides."""
    return {k: kwargs.pop(k) for k in ("backend", "typesense_url", "typesense_api_key")}


def run_index(settings: Settings, *, rebuild: bool, quiet: bool):
    """Run one index of the configured backend (a progress bar on a terminal)."""
    from searchsvc.backends import index_with

    if not settings.corpus_dir.is_dir():
        raise Fail(f"corpus folder not found: {settings.corpus_dir}")
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="file", desc="indexing", leave=False, file=sys.stderr)
    try:
        return index_with(settings, rebuild=rebuild, progress=terminal.progress_to(bar))
    except SearchsvcError as err:
        raise Fail(err) from None
    finally:
        if bar is not None:
            bar.close()
