"""Ingest: sources to articles to passages, and the address guard for fetched URLs."""
