"""Followed feeds: the feed domain and the poller that fetches, ingests and backs off."""
