"""Rendering by audience: terminal text and JSON here; Telegram HTML in ``html``."""
