"""News extraction pipeline: articles -> spaCy -> entities, dates, quotes -> Parquet tables."""

__version__ = "0.1.0"
