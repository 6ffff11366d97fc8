"""The bot's domain values (watches, digests, feeds): plain frozen values that storage reads
and writes and that front ends render; no I/O here."""
