"""Storage of the chat side: chats, watches, deliveries, feeds and the digest lease (SQLite)."""
