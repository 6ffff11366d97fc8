"""Watches and digests: the chat-side watch operations, matching, building, scheduling, delivery."""
