"""The Whoosh schema for articles and the mapping from Article records to index documents."""

from __future__ import annotations

from datetime import datetime, time

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from searchsvc.model import Article
from searchsvc.text.analysis import PossessiveNumberFilter, english_analyzer, fold, plain_analyzer
from searchsvc.text.fingerprint import near_duplicate_key
from searchsvc.text.tokenize import FastFrequency, FastPositions, fuse

# Field weights for BM25F: a title match counts more than a body match.
FIELD_BOOSTS = {"title": 2.5, "body": 1.0}
# The `words` field (spelling suggestions, completions) gets the title and this much of the body:
# every indexed word costs a posting, and the lead holds the words people search for.
WORDS_LEAD_CHARS = 400


def _text(analyzer, *, phrase: bool, boost: float = 1.0, **kwargs) -> TEXT:
    """Return a TEXT field whose format indexes through a fused analyzer without Tokens."""
    field = TEXT(analyzer=analyzer, phrase=phrase, field_boost=boost, **kwargs)
    field.format = (FastPositions if phrase else FastFrequency)(field_boost=boost)
    return field


def build_schema() -> Schema:
    """Return the article schema: analysed text, exact-match facets, a sortable date, an id."""
    english = fuse(english_analyzer(), per_token=(PossessiveNumberFilter,))
    return Schema(
        id=ID(stored=True, unique=True),
        path=ID(stored=True),
        title=_text(english, phrase=True, boost=FIELD_BOOSTS["title"], stored=True),
        body=_text(english, phrase=True, stored=True),
        # Unstemmed words of title and lead: spelling suggestions and completions.
        words=_text(fuse(plain_analyzer()), phrase=False),
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
        "words": f"{article.title}\n{lead(article.body)}",
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


def lead(body: str, limit: int = WORDS_LEAD_CHARS) -> str:
    """Return the start of body, about `limit` characters, cut at a word boundary."""
    if len(body) <= limit:
        return body
    cut = body.rfind(" ", 0, limit + 1)
    return body[: cut if cut > 0 else limit]
