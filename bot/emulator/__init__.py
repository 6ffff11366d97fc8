"""A local Telegram Bot API emulator: local mode, the demo and the end-to-end tests."""
