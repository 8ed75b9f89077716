"""The Whoosh schema for articles and the mapping from Article records to index documents."""

from __future__ import annotations

from datetime import datetime, time

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import english_analyzer, fold, plain_analyzer
from .articles import Article, near_duplicate_key

# Field weights for BM25F: a title match counts more than a body match.
FIELD_BOOSTS = {"title": 2.5, "body": 1.0}


def build_schema() -> Schema:
    """Return the article schema: analysed text, exact-match facets, a sortable date, an id."""
    return Schema(
        id=ID(stored=True, unique=True),
        path=ID(stored=True),
        title=TEXT(analyzer=english_analyzer(), stored=True, field_boost=FIELD_BOOSTS["title"]),
        body=TEXT(analyzer=english_analyzer(), stored=True, phrase=True),
        # Unstemmed words of title and body: spelling suggestions and completions.
        words=TEXT(analyzer=plain_analyzer(), phrase=False),
        published=DATETIME(stored=True, sortable=True),
        year=ID(stored=False, sortable=True),
        author=STORED(),
        author_key=ID(),
        source=ID(stored=True, sortable=True),
        source_key=ID(),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        url=STORED(),
        dup=ID(stored=True, sortable=True),
        content_hash=STORED(),
    )


def article_to_doc(article: Article) -> dict:
    """Return the keyword arguments for `writer.add_document` for one article."""
    doc = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "words": f"{article.title}\n{article.body}",
        "author": article.author,
        "author_key": fold(article.author),
        "source": article.source,
        "source_key": fold(article.source),
        "tags": ",".join(fold(t) for t in article.tags if t),
        "url": article.url,
        "dup": near_duplicate_key(article.title, article.body),
        "content_hash": article.content_hash,
    }
    if article.published:
        doc["published"] = datetime.combine(article.published, time())
        doc["year"] = str(article.published.year)
    return doc
