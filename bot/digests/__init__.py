"""Watches and digests: the domain, matching, building, scheduling and delivery."""
