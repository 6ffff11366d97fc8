"""Sitrep's knowledge core: sources, articles, passages, embeddings, store, search, answers."""
