"""How search is used: the query log beside the index and the report drawn from it.

Plain Python (no Flask, no click): the web app appends (`web/usage.py`), `searchsvc stats
--queries` and the admin block of the home page read.
"""

from searchsvc.analytics.querylog import QueryLog, entry, log_path, normalise
from searchsvc.analytics.report import format_report, latency, parse_since, report

__all__ = [
    "QueryLog",
    "entry",
    "format_report",
    "latency",
    "log_path",
    "normalise",
    "parse_since",
    "report",
]
