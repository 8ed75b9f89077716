"""Settings from SEARCHSVC_* environment variables, overridable by CLI options or a test config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from searchsvc.errors import SearchsvcError

_DEFAULT_ROOT = Path.cwd


@dataclass(frozen=True)
class Settings:
    """Every knob searchsvc reads; built once per process, never global."""

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    backend: str = "whoosh"
    typesense_url: str = "http://127.0.0.1:8108"
    typesense_api_key: str = ""
    public_url: str = ""  # e.g. https://search.example.org: absolute links (OpenSearch, feeds)
    max_query_chars: int = 1000
    max_query_terms: int = 200
    max_per_page: int = 100
    max_page: int = 1000
    max_file_bytes: int = 20 * 1024 * 1024
    index_procs: int = 0  # 0 = pick from the machine's cores
    lock_timeout: float = 0.0  # seconds a second `index` waits for the writer lock
    verify_on_open: bool = False  # check every file's digest when a generation is opened
    search_deadline: float = 3.0  # seconds a search may run before it is stopped with a 503
    follow_links: bool = False  # index symlinked files whose target lies outside the corpus
    bulk_writer: bool = True  # False: build segments with Whoosh's own writer (slower, same ranks)
    # Live writes (web/write.py): keys are comma-separated and never shown (repr=False).
    write_keys: str = field(default="", repr=False)  # who may PUT/POST/DELETE articles
    read_keys: str = field(default="", repr=False)  # set: reading needs a read or write key too
    cors_origins: str = "*"  # origins the read API answers (comma-separated; * for any)
    max_article_bytes: int = 5 * 1024 * 1024  # one article sent to the write API
    max_batch_bytes: int = 64 * 1024 * 1024  # one NDJSON batch
    live_applier: bool = True  # `serve` runs the process that applies live writes
    # Usage (issue 18): the query log beside the index, /metrics and the admin analytics.
    query_log: bool = True  # SEARCHSVC_QUERY_LOG=0: log no searches
    query_log_path: Path | None = None  # default: <index_dir>.queries.jsonl beside the index
    query_log_bytes: int = 10 * 1024 * 1024  # rotate past this size (5 older files are kept)
    admin_key: str = field(default="", repr=False)  # shows query analytics on the home page
    metrics_key: str = field(default="", repr=False)  # /metrics wants this Bearer token if set

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> Settings:
        """Read SEARCHSVC_<FIELD> variables, then apply explicit overrides (None is ignored)."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f"SEARCHSVC_{f.name.upper()}")
            if raw is None and f.name == "index_dir":
                raw = env.get("SEARCHSVC_INDEX")
            if raw is None and f.name == "corpus_dir":
                raw = env.get("SEARCHSVC_CORPUS")
            if raw is not None and raw != "":
                try:
                    values[f.name] = _convert(f.type, raw)
                except ValueError:
                    raise SearchsvcError(
                        f"SEARCHSVC_{f.name.upper()}={raw!r} is not a valid {f.type}"
                    ) from None
        settings = cls(**values)
        clean = {k: v for k, v in overrides.items() if v is not None}
        for k in ("index_dir", "corpus_dir", "query_log_path"):
            if k in clean:
                clean[k] = Path(clean[k])
        return replace(settings, **clean)


def _convert(kind, raw: str):
    kind = str(kind)
    if "bool" in kind:
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a yes/no value: {raw!r}")
    if "Path" in kind:
        return Path(raw)
    if "int" in kind:
        return int(raw)
    if "float" in kind:
        return float(raw)
    return raw
