"""searchsvc: full-text search for collections of articles, news first.

The library's public API; the command line (`searchsvc`) and the web app are thin shells over it:

    from searchsvc import Settings, SearchRequest, open_engine, index_with
    settings = Settings.from_env(index_dir="index", corpus_dir="corpus")
    index_with(settings)                                     # IndexSummary
    page = open_engine(settings).search(SearchRequest(q="interest rates"))   # SearchPage
"""

from searchsvc.backends import index_with, open_engine, open_store
from searchsvc.config import Settings
from searchsvc.contract import ArticleView, Hit, SearchPage, SearchRequest, Stats

__version__ = "0.1.0"
__all__ = [
    "ArticleView",
    "Hit",
    "SearchPage",
    "SearchRequest",
    "Settings",
    "Stats",
    "index_with",
    "open_engine",
    "open_store",
]
