"""The one error tree of the knowledge core; foreign exceptions become these at the boundary."""

from __future__ import annotations


class SitrepError(Exception):
    """Base of every error Sitrep raises on purpose; its message is meant for the user."""


class SourceError(SitrepError):
    """A source (file, URL, feed, JSONL line) could not be read or holds no usable article."""


class StoreError(SitrepError):
    """The SQLite store or the vector index cannot be used as it is."""


class ModelError(SitrepError):
    """The embedding model cannot be loaded or does not match the stored vectors."""


class QueryError(SitrepError):
    """A question or one of its options (time window, k) cannot be understood."""
