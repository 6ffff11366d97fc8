"""The Sitrep application: settings, composition root, CLI, and (later) the Telegram wiring."""
