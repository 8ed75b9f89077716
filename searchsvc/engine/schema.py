"""The Whoosh schema for articles and the mapping from Article records to index documents."""

from __future__ import annotations

from datetime import datetime, time

from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from searchsvc.engine.w3 import FastFrequency, FastPositions, FixedBytesColumn
from searchsvc.ingest.sources import domain_of, source_key
from searchsvc.model import Article
from searchsvc.text.analysis import (
    PossessiveNumberFilter,
    english_analyzer,
    fold,
    plain_analyzer,
    searchable,
)
from searchsvc.text.fingerprint import FINGERPRINT_BYTES, fingerprints, near_duplicate_key
from searchsvc.text.snippets import opening
from searchsvc.text.tokenize import fuse

# The `words` field (spelling suggestions, completions) gets the title and this much of the body:
# every indexed word costs a posting, and the lead holds the words people search for.
WORDS_LEAD_CHARS = 400


def _text(analyzer, *, phrase: bool, **kwargs) -> TEXT:
    """Return a TEXT field whose format indexes through a fused analyzer without Tokens.

    No field boost: the ranking's field weights live in text/scoring.py, not in the postings.
    """
    field = TEXT(analyzer=analyzer, phrase=phrase, **kwargs)
    field.format = (FastPositions if phrase else FastFrequency)()
    return field


def build_schema() -> Schema:
    """Return the article schema: analysed text, exact-match facets, a sortable date, an id."""
    english = fuse(english_analyzer(), per_token=(PossessiveNumberFilter,))
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),  # a column: ids without stored fields
        path=ID(stored=True),
        title=_text(english, phrase=True, stored=True),
        body=_text(english, phrase=True, stored=True),
        # Unstemmed words of title and lead: spelling suggestions and completions.
        words=_text(fuse(plain_analyzer()), phrase=False),
        published=DATETIME(stored=True, sortable=True),
        author=STORED(),
        author_key=ID(),
        source=ID(stored=True, sortable=True),
        source_key=ID(),
        domain=ID(sortable=True),  # of the url: names a bare-domain source (engine/sources.py)
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        url=STORED(),
        summary=STORED(),
        dup=ID(stored=True, sortable=True),  # exact-copy key
        fp=COLUMN(FixedBytesColumn(FINGERPRINT_BYTES)),  # near-copy fingerprint
        content_hash=STORED(),
    )


def same_schema(schema) -> bool:
    """Return True when an index's schema is this version's: the same fields, analysed alike.

    An index whose words were analysed otherwise (a new spelling or stemming rule) would miss
    query words that the new analyzer spells differently, so it counts as another version's.
    """
    current = build_schema()
    if sorted(schema.names()) != sorted(current.names()):
        return False
    return all(
        getattr(schema[n], "analyzer", None) == getattr(current[n], "analyzer", None)
        for n in current.names()
    )


def articles_to_docs(articles: list[Article]) -> list[dict]:
    """Return the keyword arguments of `writer.add_document` for each article (fingerprinted
    together: text/fingerprint.py hashes a batch at once)."""
    prints = fingerprints([(a.title, a.body) for a in articles])
    return [_doc(a, fp) for a, fp in zip(articles, prints, strict=True)]


def article_to_doc(article: Article) -> dict:
    """Return the keyword arguments of `writer.add_document` for one article."""
    return articles_to_docs([article])[0]


def _doc(article: Article, fp: bytes) -> dict:
    doc = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "body": article.body,  # stored whole; indexed up to MAX_FIELD_TOKENS (see below)
        "words": f"{article.title}\n{opening(article.body, WORDS_LEAD_CHARS)}",
        "author": article.author,
        "author_key": fold(article.author),
        "source": article.source,
        "source_key": source_key(article.source),
        "domain": domain_of(article.url),
        "tags": ",".join(fold(t) for t in article.tags if t),
        "url": article.url,
        "summary": article.summary,
        "dup": near_duplicate_key(article.title, article.body),
        "fp": fp,
        "content_hash": article.content_hash,
    }
    if article.published:
        doc["published"] = datetime.combine(article.published, time())
    indexed, cut = searchable(article.body)
    if cut:  # index the first words only; the stored text stays whole
        doc["body"] = indexed
        doc["_stored_body"] = article.body
    return doc
