"""The `searchsvc` command: a thin shell over the library that turns its errors into messages.

One module per family of commands (indexing, querying, serving); `common` holds what they
share, `terminal` the printing.
"""

from __future__ import annotations

import click

from searchsvc.cli.indexing import extract, index, watch
from searchsvc.cli.querying import check, search, stats
from searchsvc.cli.serving import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="searchsvc")
def main() -> None:
    """Full-text search for collections of articles: index, search and serve them."""


for command in (extract, index, watch, search, stats, check, serve):
    main.add_command(command)
