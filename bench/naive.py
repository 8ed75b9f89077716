"""The naive baselines: BeautifulSoup + one default Whoosh writer, and a searcher per query."""

from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path

from speed_common import decode


def naive_schema():
    """Return the textbook schema: id, and stored title and body with StemmingAnalyzer."""
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )


def naive_index(files: list[Path], index_dir: Path) -> dict:
    """Parse each file with BeautifulSoup(html.parser) and add every story with ix.writer()."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
    from whoosh import index

    warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
    t0 = time.perf_counter()
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    ix = index.create_in(str(index_dir), naive_schema())
    writer = ix.writer()
    docs = 0
    for path in files:
        soup = BeautifulSoup(decode(path.read_bytes()), "html.parser")
        for story in soup.find_all("reuters"):
            title, body = story.find("title"), story.find("body")
            writer.add_document(
                id=f"{path.stem}-{story.get('newid')}",
                title=title.get_text() if title else "",
                body=body.get_text() if body else "",
            )
            docs += 1
    writer.commit()
    return {"documents": docs, "seconds": time.perf_counter() - t0}


class NaiveSearcher:
    """Whoosh the textbook way: QueryParser over body, a new searcher and default highlights."""

    def __init__(self, index_dir: Path) -> None:
        from whoosh import index
        from whoosh.qparser import QueryParser

        self.ix = index.open_dir(str(index_dir))
        self.parser = QueryParser("body", self.ix.schema)

    def search(self, text: str, limit: int = 10) -> list[dict]:
        """Return the top hits with title and a highlighted body fragment."""
        with self.ix.searcher() as searcher:
            results = searcher.search(self.parser.parse(text), limit=limit)
            return [
                {"id": h["id"], "title": h["title"], "snippet": h.highlights("body")}
                for h in results
            ]
