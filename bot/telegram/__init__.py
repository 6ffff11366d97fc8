"""The Telegram edge: the python-telegram-bot application, its notifier and the local chat."""
