"""searchsvc: full-text search for collections of articles, news first."""

__version__ = "0.1.0"
