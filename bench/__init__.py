"""Sitrep benchmarks: scripts that print figures, never pass/fail on timing."""
