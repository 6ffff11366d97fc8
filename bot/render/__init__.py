"""Rendering by audience: ``text`` for the terminal, ``data`` for JSON, ``html`` for Telegram
(imported only by the Telegram edge)."""
