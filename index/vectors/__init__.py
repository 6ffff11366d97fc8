"""Vector indexes over normalised embeddings: one protocol, one module per backend, one factory."""
